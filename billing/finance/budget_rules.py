"""F7: the rules a budget must meet, each refusal a DomainError on the form field it is
about (nothing is saved): name, period alignment, end not before start, fixed amounts
(> 0, at most 10^12, whole cents), planned amounts (1 to 12, no more than the periods; an
open-ended budget is fixed), the scope (departments of the organization; members that are
the admin itself, pay-on-behalf members or self-pay members granting 9, F1) and at most 3
thresholds (a percentage at most 1000 %)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from billing.models import Budget
from billing.models.budgets import (
    MAX_AMOUNT,
    MAX_NAME,
    MAX_PLANNED,
    MAX_THRESHOLDS,
    BudgetPeriod,
    BudgetScope,
    PlanType,
    ThresholdBasis,
    ThresholdKind,
)
from organizations.models import Department, Organization
from tco_console.errors import DomainError

from . import budgets as sel


def _amount(value, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(label)s must be a number.") % {"label": label}, field=field
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(_("%(label)s must be more than 0.") % {"label": label}, field=field)
    if amount > MAX_AMOUNT:
        raise DomainError(
            _("%(label)s can be at most %(max)s CNY.") % {"label": label, "max": MAX_AMOUNT},
            field=field,
        )
    if amount != amount.quantize(sel.CENT):
        raise DomainError(
            _("%(label)s cannot have fractions of a cent.") % {"label": label}, field=field
        )
    return amount.quantize(sel.CENT)


def clean_budget(organization: Organization, budget: Budget | None, data: dict) -> dict:
    """F7: every rule a budget must meet, with a message on the form field it is about."""
    name = (data.get("name") or "").strip()
    if not name or len(name) > MAX_NAME:
        raise DomainError(_("Give the budget a name of 1 to 60 characters."), field="name")
    taken = Budget.objects.live().filter(organization=organization, name=name)
    if budget is not None:
        taken = taken.exclude(pk=budget.pk)
    if taken.exists():
        raise DomainError(_("Another budget already has this name."), field="name")
    period = data.get("period")
    if period not in BudgetPeriod.values:
        raise DomainError(_("Choose a monthly, quarterly or yearly period."), field="period")
    start, end = data.get("start"), data.get("end")
    if not isinstance(start, dt.date):
        raise DomainError(_("Choose the first period."), field="start")
    for field, day in (("start", start), ("end", end)):
        if day is not None and not sel.aligned(day, period):
            raise DomainError(
                _("A %(period)s period starts on the first day of %(what)s.")
                % {
                    "period": BudgetPeriod(period).label.lower(),
                    "what": {
                        "month": _("a month"),
                        "quarter": _("January, April, July or October"),
                        "year": _("January"),
                    }[period],
                },
                field=field,
            )
    if end is not None and end < start:
        raise DomainError(_("The last period cannot be before the first."), field="end")
    plan_type = data.get("plan_type")
    amount, planned = None, []
    if plan_type == PlanType.FIXED:
        if data.get("amount") in (None, ""):
            raise DomainError(_("Enter the amount per period."), field="amount")
        amount = _amount(data["amount"], "amount", _("The amount"))
    elif plan_type == PlanType.PLANNED:
        if end is None:
            raise DomainError(
                _("An open-ended budget must have a fixed amount: choose a last period."),
                field="end",
            )
        raw = list(data.get("planned_amounts") or [])
        if not raw:
            raise DomainError(_("Enter an amount for each period."), field="planned_amounts")
        if len(raw) > MAX_PLANNED:
            raise DomainError(
                _("At most 12 planned amounts; later periods reuse the 12th."),
                field="planned_amounts",
            )
        tmp = Budget(start=start, end=end, period=period)
        if len(raw) > sel.period_count(tmp):
            raise DomainError(
                _("There are more amounts than periods (%(n)s).") % {"n": sel.period_count(tmp)},
                field="planned_amounts",
            )
        planned = [
            str(_amount(v, "planned_amounts", _("Period %(n)s's amount") % {"n": i + 1}))
            for i, v in enumerate(raw)
        ]
    else:
        raise DomainError(_("Choose a fixed or planned amount."), field="plan_type")
    scope = data.get("scope")
    if scope not in BudgetScope.values:
        raise DomainError(_("Choose the budget's scope."), field="scope")
    departments = list(data.get("departments") or []) if scope == BudgetScope.DEPARTMENTS else []
    members = list(data.get("members") or []) if scope == BudgetScope.MEMBERS else []
    if scope == BudgetScope.DEPARTMENTS:
        if not departments:
            raise DomainError(_("Choose at least one department."), field="departments")
        ids = {d.pk for d in departments}
        if Department.objects.filter(pk__in=ids, organization=organization).count() != len(ids):
            raise DomainError(_("Choose departments of your organization."), field="departments")
    if scope == BudgetScope.MEMBERS:
        if not members:
            raise DomainError(_("Choose at least one member."), field="members")
        eligible = {m.account_id for m in sel.eligible_memberships(organization)}
        for account in members:
            if account.pk not in eligible:
                raise DomainError(
                    _(
                        "%(uin)s cannot be in a budget: only your own account, pay-on-behalf "
                        "members and self-pay members that grant budget management (9)."
                    )
                    % {"uin": account.uin},
                    field="members",
                )
    rows = list(data.get("thresholds") or [])
    if len([r for r in rows if r]) > MAX_THRESHOLDS or len(rows) > MAX_THRESHOLDS:
        raise DomainError(_("A budget has at most 3 thresholds."), field="thresholds")
    thresholds = []
    for i, row in enumerate(rows):
        if not row:
            thresholds.append(None)
            continue
        if row.get("basis") not in ThresholdBasis.values:
            raise DomainError(_("Choose actual or forecast spend."), field="thresholds")
        if row.get("kind") not in ThresholdKind.values:
            raise DomainError(_("Choose a percentage or an amount."), field="thresholds")
        value = _amount(row.get("value"), "thresholds", _("Threshold %(n)s") % {"n": i + 1})
        if row["kind"] == ThresholdKind.PERCENTAGE and value > 1000:
            raise DomainError(_("A percentage threshold is at most 1000 %."), field="thresholds")
        thresholds.append({"basis": row["basis"], "kind": row["kind"], "value": value})
    return {
        "name": name,
        "period": period,
        "start": start,
        "end": end,
        "plan_type": plan_type,
        "amount": amount,
        "planned_amounts": planned,
        "scope": scope,
        "departments": departments,
        "members": members,
        "products": list(data.get("products") or []),
        "thresholds": thresholds,
        "notify_member_owners": bool(data.get("notify_member_owners")),
        "block_orders": bool(data.get("block_orders")),
    }
