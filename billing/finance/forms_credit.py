"""F14, F15: the form that sets a member's allocated credit. Shape only (numbers, a date); the
service checks the member, the bounds and the end date again under its locks."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from tco_console.errors import DomainError

from .credit import clean_amount

NUMBER = {"class": "form-control", "inputmode": "decimal"}


class DateInput(forms.DateInput):
    input_type = "date"


def _required_message(label) -> str:
    return _("Enter the %(label)s (0 for none).") % {"label": str(label).lower()}


class CreditAmountField(forms.CharField):
    """CNY ≥ 0 in cents, at most 100,000,000.00 (F14), with the service's own messages."""

    def __init__(self, *, label, field_name, **kwargs):
        self.field_name = field_name
        super().__init__(label=label, max_length=40, **kwargs)
        self.error_messages["max_length"] = _("Enter a number of CNY, like 1000.00.")
        # lazy (issue 17): the fields are built at import, the message is read per request
        self.error_messages["required"] = lazy(_required_message, str)(label)

    def clean(self, value):
        value = super().clean(value)
        if not self.required and not value:
            return None
        try:
            return clean_amount(value, field=self.field_name, label=str(self.label).lower())
        except DomainError as error:
            raise forms.ValidationError(error.message, code="invalid") from None


class CreditForm(forms.Form):
    amount = CreditAmountField(
        label=_("Permanent credit"),
        field_name="amount",
        widget=forms.TextInput(attrs=NUMBER),
        help_text=_("CNY; stays until you change it."),
    )
    temporary_amount = CreditAmountField(
        label=_("Temporary credit"),
        field_name="temporary_amount",
        required=False,
        widget=forms.TextInput(attrs=NUMBER),
        help_text=_("CNY; optional, on top of the permanent credit until its last day."),
    )
    temporary_until = forms.DateField(
        label=_("Temporary credit's last day"),
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
        help_text=_("It lapses at the following midnight (UTC+8), within a year at most."),
    )

    def clean(self):
        data = super().clean()
        temporary = data.get("temporary_amount")
        day = data.get("temporary_until")
        if temporary and day is None and "temporary_until" not in self.errors:
            self.add_error("temporary_until", _("Choose the temporary credit's last day."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        temporary = data.get("temporary_amount") or 0
        day = data.get("temporary_until")
        until = None
        if temporary and day is not None:
            # F15: the last day counts whole; the credit lapses at the next console midnight
            until = timezone.make_aware(
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
            )
        return {
            "amount": data["amount"],
            "temporary_amount": temporary,
            "temporary_until": until,
        }
