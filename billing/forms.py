"""Billing forms: shape of input only. Rules are enforced by the services; their refusals come
back as DomainError on the field they name (`spec`, `months`, `amount`).

Every form that places an order or tops up carries a hidden `idempotency_key`, a uuid4 made
when the form is first rendered and kept when it is re-rendered, so a double submit reaches
the service with the same key and is deduplicated there (B4: paying twice is impossible).
"""

import re
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceTitle
from billing.services.ledger import MAX_TOP_UP
from billing.services.orders import MAX_MONTHS

KEY_RE = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    return uuid.uuid4().hex


class IdempotentForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not KEY_RE.match(data.get("idempotency_key") or ""):
            # A submit without a (valid) key is refused below; the re-rendered form gets a
            # fresh key, so submitting it again works and is deduplicated like any other.
            data = data.copy()
            data["idempotency_key"] = new_key()
            self._key_was_missing = True
        else:
            self._key_was_missing = False
        super().__init__(data, *args, **kwargs)
        self.fields["idempotency_key"].initial = new_key()

    def clean(self):
        data = super().clean()
        if self._key_was_missing:
            raise forms.ValidationError(
                _("This form was incomplete. Check it and submit it again."), code="no_key"
            )
        return data


class MonthsField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Months"),
            min_value=1,
            max_value=MAX_MONTHS,
            initial=1,
            help_text=_("From 1 to 36 months."),
            **kwargs,
        )


class BuyForm(IdempotentForm):
    spec = forms.TypedChoiceField(label=_("Spec"), coerce=int)
    region = forms.TypedChoiceField(label=_("Region"), coerce=int)
    months = MonthsField()
    field_order = ["spec", "region", "months"]

    def __init__(self, *args, specs=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spec"].choices = specs
        self.fields["region"].choices = regions


class ActivateForm(IdempotentForm):
    """B7: start a pay-as-you-go resource. The freeze is shown, not chosen."""

    spec = forms.TypedChoiceField(label=_("Spec"), coerce=int)
    region = forms.TypedChoiceField(label=_("Region"), coerce=int)
    field_order = ["spec", "region"]

    def __init__(self, *args, specs=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spec"].choices = specs
        self.fields["region"].choices = regions


class RenewForm(IdempotentForm):
    months = MonthsField()


class ChangeSpecForm(IdempotentForm):
    """Upgrade (dearer specs of the same product) or downgrade (cheaper ones)."""

    spec = forms.TypedChoiceField(label=_("New spec"), coerce=int)

    def __init__(self, *args, specs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spec"].choices = specs


class UnsubscribeForm(IdempotentForm):
    """A confirmation that still carries the key: an unsubscribe refunds money (B6)."""


class TopUpForm(IdempotentForm):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        min_value=Decimal("0.01"),
        max_value=MAX_TOP_UP,
        max_digits=9,
        decimal_places=2,
        help_text=_("At most 1,000,000.00 CNY at a time."),
    )
    field_order = ["amount"]


class BulkOrdersForm(forms.Form):
    """The selected rows of the pay-on-behalf order table (order numbers)."""

    orders = forms.CharField(widget=forms.MultipleHiddenInput, required=False)

    def clean_orders(self):
        return (
            [n for n in self.data.getlist("orders") if n] if hasattr(self.data, "getlist") else []
        )


class InvoiceRequestForm(forms.Form):
    """B12: what an invoice request asks for; the service checks the tax number and the
    invoiceable amount. F16: with saved titles (`titles`), the form offers them; a chosen
    saved title is used, otherwise the typed title and tax number."""

    saved_title = forms.ModelChoiceField(
        label=_("Saved title"),
        queryset=InvoiceTitle.objects.none(),
        required=False,
        empty_label=_("None: type a title below"),
        help_text=_("A saved title is used as it is; choose none to type another one."),
    )
    title = forms.CharField(
        label=_("Invoice title"),
        max_length=100,
        help_text=_("The company name printed on the invoice."),
    )
    tax_number = forms.CharField(
        label=_("Tax number"),
        max_length=20,
        help_text=_("Unified social credit code: 15 to 20 letters and digits."),
    )
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=18, decimal_places=2, min_value=0
    )

    def __init__(self, *args, titles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if titles is None or not titles.exists():
            del self.fields["saved_title"]
            return
        self.fields["saved_title"].queryset = titles
        default = next((t for t in titles if t.is_default), None)
        if default is not None:
            self.fields["saved_title"].initial = default.pk
        self.fields["title"].required = False
        self.fields["tax_number"].required = False

    def clean(self):
        data = super().clean()
        saved = data.get("saved_title")
        if saved is not None:
            data["title"], data["tax_number"] = saved.title, saved.tax_number
        elif "saved_title" in self.fields:
            if not data.get("title") and "title" not in self.errors:
                self.add_error("title", _("Choose a saved title or type one."))
            if not data.get("tax_number") and "tax_number" not in self.errors:
                self.add_error("tax_number", _("Enter the tax number of the typed title."))
        return data

    def request_fields(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "tax_number": d["tax_number"], "amount": d["amount"]}


class InvoiceTitleForm(forms.Form):
    """F16: a saved invoice title; the service checks the tax number and duplicates."""

    title = forms.CharField(
        label=_("Invoice title"),
        max_length=100,
        help_text=_("The company name printed on the invoice."),
    )
    tax_number = forms.CharField(
        label=_("Tax number"),
        max_length=20,
        help_text=_("Unified social credit code: 15 to 20 letters and digits."),
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=60, required=False)
    address = forms.CharField(label=_("Mailing address"), max_length=200, required=False)
    is_default = forms.BooleanField(label=_("Default title"), required=False)


class SelfInvoicingForm(forms.Form):
    """F16: whether the member may still request invoices for itself."""

    blocked = forms.TypedChoiceField(
        label=_("The member requesting invoices for itself"),
        choices=[("0", _("Allowed")), ("1", _("Stopped: only this account requests them"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


class FundTransferForm(IdempotentForm):
    """F12: an amount to transfer to a member or to take back; the service checks it against
    the F13 formulas inside the locks."""

    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("10000000.00"),
        max_digits=10,
        decimal_places=2,
    )
    field_order = ["amount"]
