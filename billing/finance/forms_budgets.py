"""F7 budget form: shape of input only; the rules are `budget_services._clean`'s, and its
refusals come back on the field they name. Thresholds are a formset of up to 3 rows (an
empty value leaves a row out); choices are narrowed to the admin's organization."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Product
from billing.models.budgets import (
    MAX_THRESHOLDS,
    BudgetPeriod,
    BudgetScope,
    PlanType,
    ThresholdBasis,
    ThresholdKind,
)
from organizations.models import Account
from tco_console.forms import ModelMultipleChoiceField

from . import budgets as sel

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self):
        super().__init__(format="%Y-%m")


class ThresholdForm(forms.Form):
    basis = forms.ChoiceField(
        label=_("Spend"), choices=ThresholdBasis.choices, initial=ThresholdBasis.ACTUAL
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=ThresholdKind.choices, initial=ThresholdKind.PERCENTAGE
    )
    value = forms.DecimalField(label=_("Value"), required=False, max_digits=30, decimal_places=6)


ThresholdFormSet = forms.formset_factory(
    ThresholdForm,
    extra=MAX_THRESHOLDS,
    max_num=MAX_THRESHOLDS,
    absolute_max=MAX_THRESHOLDS,
    validate_max=True,
)


class BudgetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    period = forms.ChoiceField(label=_("Period"), choices=BudgetPeriod.choices)
    start = forms.DateField(
        label=_("First period"),
        input_formats=MONTH_FORMATS,
        widget=MonthInput(),
        help_text=_("A quarter starts in January, April, July or October; a year in January."),
    )
    end = forms.DateField(
        label=_("Last period"),
        required=False,
        input_formats=MONTH_FORMATS,
        widget=MonthInput(),
        help_text=_("Empty: effective indefinitely (a fixed amount only)."),
    )
    plan_type = forms.ChoiceField(
        label=_("Amount"), choices=PlanType.choices, widget=forms.RadioSelect
    )
    amount = forms.DecimalField(
        label=_("Amount per period (CNY)"), required=False, max_digits=30, decimal_places=6
    )
    planned_amounts = forms.CharField(
        label=_("Planned amounts (CNY)"),
        required=False,
        max_length=400,
        help_text=_("One per period, separated by commas; later periods reuse the 12th."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=BudgetScope.choices, widget=forms.RadioSelect
    )
    departments = ModelMultipleChoiceField(
        label=_("Departments (with their subtrees)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = ModelMultipleChoiceField(
        label=_("Members"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    products = ModelMultipleChoiceField(
        label=_("Products (none: all)"),
        queryset=Product.objects.order_by("position", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notify_member_owners = forms.BooleanField(
        label=_("Also send alerts to the members in scope"), required=False
    )
    block_orders = forms.BooleanField(
        label=_("Refuse new subscription orders of the members in scope above 100 %"),
        required=False,
    )

    stacked_fields = ("members", "departments")

    def __init__(self, data=None, *, organization, initial=None, thresholds=None):
        super().__init__(data, initial=initial)
        self.fields["departments"].queryset = sel.department_choices(organization.pk)
        eligible = sel.member_choices(organization)
        self.fields["members"].queryset = Account.objects.filter(
            pk__in=[m.account_id for m in eligible]
        ).order_by("uin")
        names = {m.account_id: m.name for m in eligible}
        self.fields["members"].label_from_instance = lambda a: (
            f"{names.get(a.pk, a.name)} ({a.uin})"
        )
        self.thresholds = ThresholdFormSet(data, prefix="t", initial=thresholds)

    def is_valid(self):
        main = super().is_valid()
        return self.thresholds.is_valid() and main

    def clean_planned_amounts(self):
        raw = self.cleaned_data.get("planned_amounts") or ""
        values = [v.strip() for v in raw.split(",") if v.strip()]
        for v in values:
            try:
                Decimal(v)
            except InvalidOperation:
                raise forms.ValidationError(_("%(v)s is not an amount.") % {"v": v}) from None
        return values

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["thresholds"] = [
            {"basis": f.cleaned_data["basis"], "kind": f.cleaned_data["kind"], "value": value}
            if (value := f.cleaned_data.get("value")) is not None
            else None
            for f in self.thresholds
        ]
        return data


def initial_of(budget) -> tuple[dict, list[dict]]:
    """The form's initial values for editing `budget`, and its threshold rows by position."""
    initial = {
        "name": budget.name,
        "period": budget.period,
        "start": f"{budget.start:%Y-%m}",  # what <input type="month"> shows
        "end": f"{budget.end:%Y-%m}" if budget.end else "",
        "plan_type": budget.plan_type,
        "amount": budget.amount,
        "planned_amounts": ", ".join(budget.planned_amounts or []),
        "scope": budget.scope,
        "departments": list(budget.departments.all()),
        "members": list(budget.members.all()),
        "products": list(budget.products.all()),
        "notify_member_owners": budget.notify_member_owners,
        "block_orders": budget.block_orders,
    }
    rows = {t.position: t for t in budget.thresholds.all()}
    thresholds = [
        {"basis": t.basis, "kind": t.kind, "value": t.value}
        if (t := rows.get(i)) is not None
        else {"basis": ThresholdBasis.ACTUAL, "kind": ThresholdKind.PERCENTAGE}
        for i in range(1, MAX_THRESHOLDS + 1)
    ]
    return initial, thresholds
