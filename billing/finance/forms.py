"""F4: the consolidated bills request form. Shape and the month rule only; the service checks
reach and the months again on the locked organization."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import ExportMode
from tco_console.forms import QuickSelectMultiple

from .export_files import Targets, month_range_error

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
LISTED = 200  # members listed per group; the others by "all" or by typing their UINs
UINS_RE = re.compile(r"[\s,;]+")
CHECKBOX = forms.CheckboxInput(attrs={"class": "form-check-input"})


class MonthField(forms.Field):
    """`YYYY-MM` (an `<input type="month">`), cleaned to the first day of the month."""

    widget = forms.TextInput(attrs={"type": "month", "maxlength": 7, "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2026-03.")}

    def to_python(self, value):
        value = str(value).strip() if value is not None else ""
        if not value:
            return None
        found = MONTH_RE.match(value) if len(value) <= 7 else None
        try:
            return dt.date(int(found[1]), int(found[2]), 1)
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, dt.date) else value


class BillExportForm(forms.Form):
    """Which accounts (one by one, or every pay-on-behalf member / every member granting 4,
    for organizations of thousands), which bill months, one CSV or one per account."""

    accounts = forms.MultipleChoiceField(
        label=_("Accounts"),
        required=False,
        widget=QuickSelectMultiple(
            attrs={"class": "form-select", "size": 12, "data-testid": "accounts"}
        ),
        error_messages={
            "invalid_choice": _(
                "One of the chosen accounts may not be exported: a member must be paid for by "
                "this account or grant permission 4 (consolidated bills)."
            ),
            "invalid_list": _("Choose accounts from the list."),
        },
    )
    other_uins = forms.CharField(
        label=_("Other members' UINs"),
        required=False,
        max_length=13 * 1000,
        help_text=_("Separated by spaces or commas, for members not in the list."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    all_pay_on_behalf = forms.BooleanField(required=False, widget=CHECKBOX)
    all_granting = forms.BooleanField(required=False, widget=CHECKBOX)
    month_from = MonthField(label=_("From bill month"))
    month_to = MonthField(label=_("To bill month"))
    mode = forms.ChoiceField(
        label=_("Files"),
        choices=ExportMode.choices,
        initial=ExportMode.COMBINED,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, data=None, *, targets: Targets, today: dt.date, **kwargs):
        month = f"{today:%Y-%m}"
        kwargs.setdefault("initial", {"month_from": month, "month_to": month})
        super().__init__(data, **kwargs)
        self.targets, self.today = targets, today
        choices = []
        if targets.own is not None:
            choices.append((targets.own.uin, f"{_('This account')} ({targets.own.uin})"))
        for label, group in (
            (_("Pay-on-behalf members"), targets.pay_on_behalf),
            (_("Self-pay members granting consolidated bills"), targets.granting),
        ):
            if group:
                listed = group[:LISTED]  # a page of 10,000 options would take a second
                choices.append((label, [(t.uin, f"{t.name} ({t.uin})") for t in listed]))
        self.unlisted = max(0, targets.pay_on_behalf_count - LISTED) + max(
            0, targets.granting_count - LISTED
        )
        self.fields["accounts"].choices = choices
        self.fields["all_pay_on_behalf"].label = _("All pay-on-behalf members (%(n)d)") % {
            "n": targets.pay_on_behalf_count
        }
        self.fields["all_granting"].label = _(
            "All self-pay members granting consolidated bills (%(n)d)"
        ) % {"n": targets.granting_count}

    def clean(self):
        data = super().clean()
        uins = set(data.get("accounts") or ())
        typed = {u for u in UINS_RE.split(data.get("other_uins") or "") if u}
        known = {
            t.uin
            for t in (self.targets.own, *self.targets.pay_on_behalf, *self.targets.granting)
            if t is not None
        }
        if typed - known:
            self.add_error(
                "other_uins",
                _("Not a member you may export: %(uins)s.")
                % {"uins": ", ".join(sorted(typed - known)[:5])[:200]},
            )
        uins |= typed & known
        if data.get("all_pay_on_behalf"):
            uins |= {t.uin for t in self.targets.pay_on_behalf}
        if data.get("all_granting"):
            uins |= {t.uin for t in self.targets.granting}
        chosen = [
            t
            for t in (self.targets.own, *self.targets.pay_on_behalf, *self.targets.granting)
            if t is not None and t.uin in uins
        ]
        if not chosen and "accounts" not in self.errors:
            self.add_error("accounts", _("Choose at least one account."))
        data["chosen"] = [t.account for t in chosen]
        month_from, month_to = data.get("month_from"), data.get("month_to")
        if month_from and month_to:
            problem = month_range_error(month_from, month_to, self.today)
            if problem:
                self.add_error(problem[0], problem[1])
        return data
