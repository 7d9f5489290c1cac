"""Forms: shape of input only. Rules are enforced by services; their refusals come back as
DomainError and are attached to the field they name (see tco_console.viewkit.form_view)."""

import re

from django import forms
from django.contrib.auth import password_validation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from billing.models.catalog import Product
from tco_console.converters import UinConverter, well_formed
from tco_console.forms import ModelChoiceField, ModelMultipleChoiceField

from .choices import MANDATORY_PERMISSIONS, FinancialPermission, PaymentMode
from .models import Account, PolicyEffect
from .models.tags import KEY_MAX, MAX_TAGS, VALUE_MAX, validate_pairs
from .roles import SUB_USER_ROLES

OPTIONAL_PERMISSIONS = [
    # format_lazy: the label is rendered in the reader's language (issue 17), not at import.
    (p.value, format_lazy("{} · {}", p.value, p.label))
    for p in FinancialPermission
    if p not in MANDATORY_PERMISSIONS and p != FinancialPermission.PAY_ON_BEHALF
]


class SignUpForm(forms.Form):
    username = forms.RegexField(
        label=_("Login name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    email = forms.EmailField(label=_("Email"))
    account_name = forms.CharField(label=_("Account name"), max_length=60)
    enterprise_name = forms.CharField(
        label=_("Enterprise name"),
        max_length=200,
        required=False,
        help_text=_(
            "Enterprise real-name verification (simulated): accounts of the same enterprise "
            "can pay on behalf of each other. Needed to create an organization."
        ),
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Confirm password"), widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class FinancialFieldsMixin(forms.Form):
    """O9: payment mode and permissions. 1 and 2 are always granted; 7 follows the mode."""

    payment_mode = forms.ChoiceField(
        label=_("Payment mode"),
        choices=PaymentMode.choices,
        initial=PaymentMode.SELF_PAY,
        widget=forms.RadioSelect,
    )
    payer = forms.ChoiceField(label=_("Payer"), required=False)
    permissions = forms.TypedMultipleChoiceField(
        label=_("Financial permissions"),
        choices=OPTIONAL_PERMISSIONS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "View bills (1) and view balance (2) are always granted; "
            "pay on behalf (7) follows the payment mode."
        ),
    )

    def __init__(self, *args, payers: list[Account] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._payers = {a.uin: a for a in payers}
        self.fields["payer"].choices = [("", _("— choose the payer —"))] + [
            (a.uin, f"{a.name} ({a.uin})") for a in payers
        ]

    def clean(self):
        data = super().clean()
        perms = set(data.get("permissions") or []) | set(MANDATORY_PERMISSIONS)
        perms.discard(FinancialPermission.PAY_ON_BEHALF)
        payer = None
        if data.get("payment_mode") == PaymentMode.PAY_ON_BEHALF:
            perms.add(FinancialPermission.PAY_ON_BEHALF)
            payer = self._payers.get(data.get("payer") or "")
            if payer is None:
                self.add_error("payer", _("Choose the account that pays on behalf of this member."))
        data["permissions"] = sorted(int(p) for p in perms)
        data["payer"] = payer
        return data


class InviteForm(FinancialFieldsMixin):
    uin = forms.RegexField(
        label=_("Account UIN"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("A UIN is a 12-digit number.")},
    )
    name = forms.CharField(
        label=_("Member name"),
        max_length=25,
        help_text=_("At most 25 characters, unique in the organization."),
    )
    remark = forms.CharField(label=_("Remark"), max_length=40, required=False)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    allow_quit = forms.BooleanField(
        label=_("Allow the member to quit the organization"),
        required=False,
        help_text=_("Not available in pay-on-behalf mode."),
    )
    field_order = [
        "uin",
        "name",
        "remark",
        "department",
        "payment_mode",
        "payer",
        "permissions",
        "allow_quit",
    ]

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = departments


class CreateMemberForm(FinancialFieldsMixin):
    name = forms.CharField(
        label=_("Member name"), max_length=25, help_text=_("Also the new account's name.")
    )
    username = forms.RegexField(
        label=_("Owner login name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, strip=False, min_length=8
    )
    email = forms.EmailField(label=_("Email"), required=False)
    remark = forms.CharField(label=_("Remark"), max_length=40, required=False)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    field_order = [
        "name",
        "username",
        "password",
        "email",
        "remark",
        "department",
        "payment_mode",
        "payer",
        "permissions",
    ]

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = departments

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class MemberEditForm(FinancialFieldsMixin):
    name = forms.CharField(label=_("Member name"), max_length=25)
    remark = forms.CharField(label=_("Remark"), max_length=40, required=False)
    allow_quit = forms.BooleanField(
        label=_("Allow the member to quit the organization"),
        required=False,
        help_text=_("Not available in pay-on-behalf mode or for created members."),
    )
    field_order = ["name", "remark", "payment_mode", "payer", "permissions", "allow_quit"]


class AdminMemberEditForm(forms.Form):
    """The admin account's own row: only its display name and remark."""

    name = forms.CharField(label=_("Member name"), max_length=25)
    remark = forms.CharField(label=_("Remark"), max_length=40, required=False)


class SelectedMembersMixin(forms.Form):
    """The rows selected in the members table (a bulk action): well-formed UINs."""

    uins = forms.CharField(widget=forms.MultipleHiddenInput, required=False)

    def clean_uins(self):
        uins = [u for u in self.data.getlist("uins") if u] if hasattr(self.data, "getlist") else []
        for uin in uins:
            if not well_formed(UinConverter, uin):
                raise forms.ValidationError(
                    _("%(uin)s is not a UIN (12 digits)."), params={"uin": uin[:40]}
                )
        return uins


class MoveMembersForm(SelectedMembersMixin):
    department = forms.TypedChoiceField(label=_("Move to department"), coerce=int)
    field_order = ["department"]

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = departments


# F11: tags are typed as `key=value` lines (or separated by commas, which no tag contains); a
# line without "=" is a key with an empty value. A key therefore cannot contain "=" here.
TAG_SEPARATORS = re.compile(r"[\r\n,]+")
TAGS_INPUT_MAX = MAX_TAGS * (KEY_MAX + VALUE_MAX + 2)


def _tag_items(text: str) -> list[str]:
    return [item.strip() for item in TAG_SEPARATORS.split(text or "") if item.strip()]


class TagsField(forms.CharField):
    """`key=value` lines → [(key, value)], each line checked as F11 says (its number named),
    then the whole set: keys unique, at most 10."""

    widget = forms.Textarea(attrs={"rows": 6})
    default_error_messages = {
        "max_length": _(
            "This is too long for tags (at most %(limit_value)d characters; it has %(show_value)d)."
        )
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=TAGS_INPUT_MAX, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        pairs, errors = [], []
        for item in _tag_items(text):
            key, _sep, val = item.partition("=")
            try:
                validate_pairs([(key, val)])
            except forms.ValidationError as error:
                errors.append(
                    _("“%(item)s”: %(error)s") % {"item": item[:40], "error": error.messages[0]}
                )
            pairs.append((key.strip(), val.strip()))
        if errors:
            raise forms.ValidationError(errors[:5])
        return [tuple(p) for p in validate_pairs(pairs)]


class TagKeysField(forms.CharField):
    """Tag keys separated by commas (or lines) → a list of keys."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=TAGS_INPUT_MAX, **kwargs)

    def clean(self, value):
        keys = []
        for key in _tag_items(super().clean(value)):
            if len(key) > KEY_MAX:
                raise forms.ValidationError(
                    _("A tag key is at most %(n)s characters."), params={"n": KEY_MAX}
                )
            if key not in keys:
                keys.append(key)
        return keys


class TagsForm(forms.Form):
    """F11: a member's or a department's tags, all of them (an empty box removes them)."""

    tags = TagsField(
        label=_("Tags"),
        help_text=_(
            "One key=value per line, at most 10. Keys ≤ 127 and values ≤ 255 characters: "
            "letters, digits, spaces, Chinese characters and + - = . _ : / @ (no = in a key). "
            "Keys starting with qcs: or project are reserved."
        ),
    )


class BulkTagsForm(SelectedMembersMixin):
    """F11: add or replace some keys, or remove some keys, on the selected members."""

    add = TagsField(
        label=_("Add or replace tags"),
        help_text=_(
            "key=value, one per line: members that have the key get the new value. "
            "A member has at most 10 tags."
        ),
    )
    remove = TagKeysField(label=_("Remove tag keys"), help_text=_("Keys separated by commas."))
    field_order = ["add", "remove"]

    def clean(self):
        data = super().clean()
        add, remove = data.get("add"), data.get("remove")
        if add is not None and remove is not None and not add and not remove:
            raise forms.ValidationError(_("Enter tags to add or keys to remove."))
        both = sorted({k for k, _v in add or ()} & set(remove or ()))
        if both:
            self.add_error(
                "remove",
                _("The tag key “%(key)s” cannot be both added and removed.")
                % {"key": both[0][:40]},
            )
        return data


class DepartmentCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Department name"),
        max_length=40,
        help_text=_(
            "At most 40 characters: letters, digits, Chinese characters and + @ & . _ [ ] -"
        ),
    )
    parent = forms.TypedChoiceField(label=_("Parent department"), coerce=int)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = departments


class DepartmentRenameForm(forms.Form):
    name = forms.CharField(label=_("Department name"), max_length=40)


class DepartmentMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("New parent department"), coerce=int)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = departments


class SubUserForm(forms.Form):
    """A1/P2: a sub-user's login, groups and product permissions. On edit the login name is
    fixed and the password is optional (a new one replaces the old). The service checks the
    password against the validators, with the user's name and email at hand."""

    username = forms.RegexField(
        label=_("Login name"),
        max_length=64,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
        help_text=_("Unique across the console; it cannot be changed later."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, strip=False, min_length=8
    )
    groups = forms.MultipleChoiceField(
        label=_("Groups"),
        choices=SUB_USER_ROLES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one group.")},
    )
    scope = forms.ChoiceField(
        label=_("Product permissions"),
        choices=[("all", _("All products")), ("chosen", _("Only the products chosen below"))],
        initial="chosen",
        widget=forms.RadioSelect,
        help_text=_("Which products the user may buy, activate and manage."),
    )
    products = forms.MultipleChoiceField(
        label=_("Products"), required=False, widget=forms.CheckboxSelectMultiple
    )

    stacked_fields = ("groups", "products")

    def __init__(self, *args, products=(), refused=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        refused = refused or {}
        self._products = {p.code: p for p in products}
        self.fields["products"].choices = [
            (
                p.code,
                f"{p.display_name} ({_('not allowed by your policy')})"
                if p.code in refused
                else p.display_name,
            )
            for p in products
        ]
        if editing:
            del self.fields["username"]
            self.fields["password"].label = _("New password")
            self.fields["password"].required = False
            self.fields["password"].help_text = _("Leave empty to keep the current password.")

    def settings(self) -> dict:
        """The user's settings, as the sub-user services take them."""
        d = self.cleaned_data
        all_products = d["scope"] == "all"
        return {
            "display_name": d["display_name"],
            "email": d["email"],
            "password": d["password"],
            "groups": d["groups"],
            "all_products": all_products,
            "products": [] if all_products else [self._products[c] for c in d["products"]],
        }


class PolicyForm(forms.Form):
    """P1: a policy's name, effect and products (CreatePolicy, UpdatePolicy); the policy
    services check the name and its uniqueness."""

    name = forms.CharField(
        label=_("Policy name"),
        max_length=128,
        help_text=_("1 to 128 characters: letters, digits, Chinese characters and underscores."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    effect = forms.ChoiceField(
        label=_("Effect"), choices=PolicyEffect.choices, widget=forms.RadioSelect
    )
    all_products = forms.BooleanField(label=_("All products"), required=False)
    products = ModelMultipleChoiceField(
        label=_("Products"),
        queryset=Product.objects.order_by("position", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AttachForm(forms.Form):
    """AttachPolicy / DetachPolicy: the target is Root or a department, or one member by UIN,
    never both."""

    department = forms.TypedChoiceField(
        label=_("Root or department"), coerce=int, required=False, empty_value=None
    )
    member_uin = forms.CharField(label=_("or member UIN"), max_length=12, required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("—")), *departments]

    def clean(self):
        data = super().clean()
        if bool(data.get("department")) == bool((data.get("member_uin") or "").strip()):
            raise forms.ValidationError(_("Choose a department or enter a member UIN, not both."))
        return data


class ApiKeyCreateForm(forms.Form):
    """K3 (docs/api.md): whose key. A user creates keys for itself; an account owner may pick
    one of its sub-users instead (`users` is the owner and its sub-users; any other id is
    refused here, and the service checks again inside its lock)."""

    user = ModelChoiceField(
        label=_("For user"),
        queryset=None,
        empty_label=None,
        error_messages={
            "invalid_choice": _("Choose yourself or one of your account's sub-users."),
            "required": _("Choose yourself or one of your account's sub-users."),
        },
    )

    def __init__(self, *args, users, choose: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        if not choose:  # a sub-user, or an owner without sub-users: the key is its own
            self.fields["user"].widget = forms.HiddenInput()
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.username} ({_('you')})"
            if u.is_owner
            else f"{u.username}" + ("" if u.is_active else f" ({_('deactivated')})")
        )
