import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tco_console.html import format_html, format_html_join
from tco_console.tables import CheckBoxColumn, ConsoleTable, DateTimeColumn, TemplateColumn, badge

from .choices import MemberType, PermissionStatus
from .models import AuditRecord, Invitation, Membership
from .roles import ROLE_LABELS


class MemberTable(ConsoleTable):
    select = CheckBoxColumn(
        accessor="account__uin",
        attrs={
            "th__input": {"aria-label": _("Select all"), "data-select-all": "uins"},
            "td__input": {"name": "uins", "form": "bulk-move-form", "class": "form-check-input"},
        },
        orderable=False,
    )
    name = tables.Column(verbose_name=_("Member name"), order_by=("name_lower",))
    uin = tables.Column(accessor="account__uin", verbose_name=_("UIN"))
    member_type = tables.Column(verbose_name=_("Type"))
    department = tables.Column(accessor="department__name", verbose_name=_("Department"))
    payment_mode = tables.Column(
        accessor="payer", verbose_name=_("Payment mode"), order_by=("payer__name",), empty_values=()
    )
    tags = tables.Column(
        accessor="tag_set", verbose_name=_("Tags"), orderable=False, empty_values=()
    )
    # F17: TCO's PermissionStatus, from the list's `permission_unconfirmed` annotation
    permission_status = tables.Column(
        accessor="permission_unconfirmed",
        verbose_name=_("Permission status"),
        empty_values=(),
        attrs={"th": {"class": "th-wrap"}},
    )
    joined_at = DateTimeColumn(verbose_name=_("Joined"), format="Y-m-d")
    # the actions stay in view when the table scrolls sideways in its card (a narrow window,
    # long names; issue 17's 1280 px in both languages): `col-actions` is sticky on the right
    actions = tables.Column(
        verbose_name="",
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "col-actions"}, "th": {"class": "col-actions"}},
    )

    class Meta(ConsoleTable.Meta):
        model = Membership
        fields = (
            "select",
            "name",
            "uin",
            "member_type",
            "department",
            "payment_mode",
            "tags",
            "permission_status",
            "joined_at",
            "actions",
        )
        order_by = ("name",)
        empty_text = _("No members match these filters.")

    def __init__(self, *args, can_manage=False, **kwargs):
        self.can_manage = can_manage
        self.url = UinUrls()
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        return format_html(
            '<a href="{}">{}</a>',
            self.url("organizations:member_detail", record.account.uin),
            value,
        )

    def render_actions(self, record):
        """Edit, move and (invited members) remove, each opening its modal (O6–O9); written in
        Python: a template per row cost a tenth of the page (issue 16)."""
        if not self.can_manage:
            return ""
        links = [("organizations:member_edit", _("Edit"), "")]
        if not record.is_admin:
            links.append(("organizations:member_move", _("Move"), ""))
            if record.member_type == MemberType.INVITED:
                links.append(("organizations:member_remove", _("Remove"), " text-danger"))
        uin = record.account.uin
        return format_html(
            '<div class="text-nowrap text-end">{}</div>',
            format_html_join(
                "\n",
                '<a class="btn btn-sm btn-link py-0{}" href="{}" hx-get="{}" '
                'hx-target="#modal-content" hx-swap="innerHTML">{}</a>',
                (
                    (css, url, url, label)
                    for name, label, css in links
                    for url in (self.url(name, uin),)
                ),
            ),
        )

    def render_member_type(self, record, value):
        css = {
            "admin": "text-bg-primary",
            "invited": "text-bg-light border",
            "created": "text-bg-info",
        }
        return badge(value, css.get(record.member_type, ""))

    def render_payment_mode(self, record):
        if record.payer_id is None:
            return _("Self-pay") if not record.is_admin else "—"
        return format_html(
            '{}<div class="text-body-secondary small">{} {}</div>',
            _("Pay-on-behalf"),
            _("by"),
            record.payer.name,
        )

    def render_tags(self, record):
        return tag_badges(record.tag_set)

    def render_permission_status(self, record):
        if record.is_admin:
            return "—"
        status = (
            PermissionStatus.UNCONFIRMED
            if getattr(record, "permission_unconfirmed", False)
            else PermissionStatus.CONFIRMED
        )
        css = (
            "text-bg-warning" if status == PermissionStatus.UNCONFIRMED else "text-bg-light border"
        )
        return badge(status.label, f"{css} fw-normal", testid="permission-status")


class UinUrls:
    """A member page's URL for each row: reversed once per view with a sample UIN, which
    each row's UIN (12 digits, O1) then takes the place of; a reverse per row and link cost a
    tenth of the members page (issue 16)."""

    SAMPLE = "0" * 12

    def __init__(self):
        self.known = {}

    def __call__(self, viewname: str, uin: str) -> str:
        url = self.known.get(viewname)
        if url is None:
            url = self.known[viewname] = reverse(viewname, args=[self.SAMPLE])
        return url.replace(self.SAMPLE, uin)


def tag_badges(tag_set):
    """F11: a tag set as small badges `key:value` (the same markup everywhere)."""
    if tag_set is None:
        return format_html('<span class="text-body-secondary">{}</span>', "—")
    return format_html(
        '<div class="tag-list">{}</div>',
        format_html_join(
            " ",
            "{}",
            (
                (badge(f"{k}:{v}" if v else k, "text-bg-light border fw-normal", testid="tag"),)
                for k, v in tag_set.tags
            ),
        ),
    )


def _order_by_effective_status(queryset, is_descending):
    """O5: sort by the status shown (an overdue pending invitation sorts as expired)."""
    key = "-effective_status_sort" if is_descending else "effective_status_sort"
    return queryset.annotate_effective_status().order_by(key, "-created_at", "-pk")


class SentInvitationTable(ConsoleTable):
    invitee = tables.Column(accessor="invitee__uin", verbose_name=_("UIN"))
    name = tables.Column(verbose_name=_("Member name"))
    department = tables.Column(
        accessor="department__name", verbose_name=_("Department"), default="Root"
    )
    payer = tables.Column(accessor="payer__name", verbose_name=_("Payer"), default=_("Self-pay"))
    status = TemplateColumn(
        template_name="organizations/inc/invitation_status.html", verbose_name=_("Status")
    )
    created_at = DateTimeColumn(verbose_name=_("Sent"), format="Y-m-d H:i")
    expires_at = DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i")
    actions = TemplateColumn(
        template_name="organizations/inc/invitation_sent_actions.html",
        verbose_name="",
        orderable=False,
    )

    class Meta(ConsoleTable.Meta):
        model = Invitation
        fields = (
            "invitee",
            "name",
            "department",
            "payer",
            "status",
            "created_at",
            "expires_at",
            "actions",
        )
        order_by = ("-created_at",)
        empty_text = _("No invitations sent yet.")

    def order_status(self, queryset, is_descending):
        return _order_by_effective_status(queryset, is_descending), True


class ReceivedInvitationTable(ConsoleTable):
    organization = tables.Column(
        accessor="organization__admin_account__name", verbose_name=_("Organization")
    )
    admin_uin = tables.Column(
        accessor="organization__admin_account__uin", verbose_name=_("Admin UIN")
    )
    name = tables.Column(verbose_name=_("Your member name"))
    payer = tables.Column(accessor="payer__name", verbose_name=_("Payer"), default=_("Self-pay"))
    status = TemplateColumn(
        template_name="organizations/inc/invitation_status.html", verbose_name=_("Status")
    )
    created_at = DateTimeColumn(verbose_name=_("Received"), format="Y-m-d H:i")
    expires_at = DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i")
    actions = TemplateColumn(
        template_name="organizations/inc/invitation_received_actions.html",
        verbose_name="",
        orderable=False,
    )

    class Meta(ConsoleTable.Meta):
        model = Invitation
        fields = (
            "organization",
            "admin_uin",
            "name",
            "payer",
            "status",
            "created_at",
            "expires_at",
            "actions",
        )
        order_by = ("-created_at",)
        empty_text = _("You have not received any invitations.")

    def order_status(self, queryset, is_descending):
        return _order_by_effective_status(queryset, is_descending), True


class AuditTable(ConsoleTable):
    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i:s")
    actor_name = tables.Column(verbose_name=_("User"))
    action = tables.Column(verbose_name=_("Action"))
    target = tables.Column(accessor="target_account__uin", verbose_name=_("Account"), default="—")
    # long unbroken words (API key ids, order numbers) wrap instead of widening the table
    message = tables.Column(
        verbose_name=_("Description"), orderable=False, attrs={"td": {"class": "text-break"}}
    )

    class Meta(ConsoleTable.Meta):
        model = AuditRecord
        fields = ("created_at", "actor_name", "action", "target", "message")
        order_by = ("-created_at",)
        per_page = 50
        empty_text = _("Nothing has been recorded yet.")

    def render_action(self, value):
        return format_html('<code class="small">{}</code>', value)

    def render_actor_name(self, record):
        return record.shown_actor

    def render_message(self, record):
        """Issue 17: in the reader's language, whoever's request wrote it."""
        return record.shown_message


def _badge(text):
    return badge(text, "text-bg-light border fw-normal")


def _blocked_badge(text, why):
    """P2: a grant the account's policy refuses, kept and shown, never silently removed."""
    return badge(text, "text-bg-warning fw-normal", testid="blocked", title=why)


class SubUserTable(ConsoleTable):
    """A1: an account's sub-users. `blocked` (product codes the account's policy refuses)
    comes from the view, computed once per page."""

    username = tables.Column(verbose_name=_("Login name"), order_by=("username",))
    groups = tables.Column(accessor="pk", verbose_name=_("Groups"), orderable=False)
    products = tables.Column(
        accessor="all_products", verbose_name=_("Product permissions"), orderable=False
    )
    is_active = tables.Column(verbose_name=_("Status"))
    last_login = DateTimeColumn(verbose_name=_("Last sign-in"), format="Y-m-d H:i", default="—")
    date_joined = DateTimeColumn(verbose_name=pgettext_lazy("time", "Created"), format="Y-m-d")
    actions = TemplateColumn(
        template_name="organizations/inc/user_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        fields = (
            "username",
            "groups",
            "products",
            "is_active",
            "last_login",
            "date_joined",
            "actions",
        )
        order_by = ("username",)
        empty_text = _("No sub-users yet. Create one to let a colleague work in this account.")

    def __init__(self, *args, blocked=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.blocked = blocked

    def render_username(self, record):
        if record.first_name:
            return format_html(
                '{}<div class="text-body-secondary small">{}</div>',
                record.username,
                record.first_name,
            )
        return record.username

    def render_groups(self, record):
        return format_html_join(
            " ", "{}", ((_badge(ROLE_LABELS.get(g.name, g.name)),) for g in record.groups.all())
        )

    def render_products(self, record):
        if record.all_products:
            if not self.blocked:
                return _("All products")
            n = len(self.blocked)
            return format_html(
                "{} {}",
                _("All products"),
                _blocked_badge(
                    _("%(n)s blocked by policy") % {"n": n},
                    _("Your account's service control policy refuses some products"),
                ),
            )
        products = list(record.products.all())
        if not products:
            return format_html('<span class="text-body-secondary">{}</span>', _("None"))
        why = _("Granted, but your account's service control policy refuses it")
        return format_html_join(
            " ",
            "{}",
            (
                (_blocked_badge(f"{p.display_name} · {_('blocked')}", why),)
                if p.code in self.blocked
                else (_badge(p.display_name),)
                for p in products
            ),
        )

    def render_is_active(self, value):
        if value:
            return badge(_("Active"), "text-bg-success")
        return badge(_("Deactivated"), "text-bg-secondary")
