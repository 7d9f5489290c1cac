"""F7–F10 reads: budget periods, the spend and forecast of a period, who is in scope.

Periods are console-time (UTC+8) months, quarters or years counted from the budget's `start`
(the first day of its first period). Spend is F6's measure, voucher deduction + cash paid,
summed from `DailyCost` over the rows the organization's admin reaches for 9 (F1, F2: its own
and its pay-on-behalf members' rows, and each self-pay member granting 9 now, on its whole
days), narrowed to the budget's scope and products.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, F, Q, Sum
from django.utils import timezone

from billing.models import Budget, BudgetAlert, DailyCost
from billing.models.budgets import MAX_PLANNED, BudgetPeriod, BudgetScope, PlanType, ThresholdKind
from organizations.choices import FinancialPermission, MemberType
from organizations.models import Department, Membership, Organization

from . import reach
from .costs import cached_over_reach

CENT = Decimal("0.01")
MONTHS = {BudgetPeriod.MONTH: 1, BudgetPeriod.QUARTER: 3, BudgetPeriod.YEAR: 12}
MIN_FORECAST_DAYS = 3  # F9: OCI's "at least three days of consumption"
BUDGETS = FinancialPermission.BUDGET_MANAGEMENT


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- period math ---------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def aligned(day: dt.date, period: str) -> bool:
    """A period's first day: the 1st of a month, of a quarter's first month, of January."""
    return day.day == 1 and (day.month - 1) % MONTHS[period] == 0


@dataclass(frozen=True)
class Period:
    index: int  # 0 for the budget's first period
    start: dt.date
    end: dt.date  # exclusive: the first day of the next period

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def end_time(self) -> dt.datetime:
        """The console midnight at which the period ends (a block lapses then, F10)."""
        return timezone.make_aware(dt.datetime.combine(self.end, dt.time.min))


def period_count(budget: Budget) -> int | None:
    """How many periods the budget runs (None: open-ended)."""
    if budget.end is None:
        return None
    months = (budget.end.year - budget.start.year) * 12 + budget.end.month - budget.start.month
    return months // MONTHS[budget.period] + 1


def period_at(budget: Budget, day: dt.date) -> Period | None:
    """The budget's period containing `day`, or None before its start or after its end."""
    if day < budget.start:
        return None
    step = MONTHS[budget.period]
    months = (day.year - budget.start.year) * 12 + day.month - budget.start.month
    index = months // step
    count = period_count(budget)
    if count is not None and index >= count:
        return None
    start = add_months(budget.start, index * step)
    return Period(index=index, start=start, end=add_months(start, step))


def period_amount(budget: Budget, index: int) -> Decimal:
    """F7: the fixed amount, or the planned amount of period `index` (n > 12 uses the 12th)."""
    if budget.plan_type == PlanType.FIXED:
        return budget.amount
    amounts = budget.planned_amounts or ["0"]
    return Decimal(amounts[min(index, MAX_PLANNED - 1, len(amounts) - 1)])


def threshold_target(threshold, amount: Decimal) -> Decimal:
    if threshold.kind == ThresholdKind.PERCENTAGE:
        return money(amount * threshold.value / 100)
    return threshold.value


# --- reach and scope -----------------------------------------------------------------------


@dataclass(frozen=True)
class AdminReach:
    """The organization's admin account as `reach.cost_q` sees a request context of one of
    its users with view_finance: budgets are evaluated without a request (F8)."""

    account: object
    organization_id: int
    is_admin: bool = True

    def can(self, perm: str) -> bool:
        return True


def admin_reach(organization: Organization) -> AdminReach:
    return AdminReach(account=organization.admin_account, organization_id=organization.pk)


def _subtree_q(departments, prefix: str = "department__path__startswith") -> Q:
    q = Q(pk__in=[])
    for department in departments:
        q |= Q(**{prefix: department.path})
    return q


def eligible_memberships(organization: Organization):
    """F7: the memberships a budget may take: the admin itself, pay-on-behalf members and
    self-pay members that grant 9 now (filtered in Python: permissions are a JSON list)."""
    rows = Membership.objects.filter(organization=organization).select_related("account")
    return [
        m
        for m in rows
        if m.member_type == MemberType.ADMIN
        or m.payer_id == organization.admin_account_id
        or reach.grants(m, BUDGETS)
    ]


def scope_q(budget: Budget) -> Q:
    """The budget's scope and products as a filter on `DailyCost` (F7)."""
    q = Q()
    if budget.scope == BudgetScope.DEPARTMENTS:
        owners = Membership.objects.filter(organization_id=budget.organization_id).filter(
            _subtree_q(budget.departments.all())
        )
        q &= Q(owner_id__in=owners.values("account_id"))
    elif budget.scope == BudgetScope.MEMBERS:
        q &= Q(owner_id__in=budget.members.values("pk"))
    # its products, if any, in the same query as the spend
    chosen = Budget.products.through.objects.filter(budget_id=budget.pk)
    q &= ~Exists(chosen) | Q(product_id__in=chosen.values("product_id"))
    return q


def spend_rows(budget: Budget, period: Period, organization: Organization | None = None):
    organization = organization or budget.organization
    return DailyCost.objects.filter(
        reach.cost_q(admin_reach(organization), BUDGETS),
        scope_q(budget),
        day__gte=period.start,
        day__lt=period.end,
    )


@dataclass(frozen=True)
class Figures:
    period: Period
    amount: Decimal
    actual: Decimal
    forecast: Decimal | None  # None: not enough data yet (F9)
    days_elapsed: int

    @property
    def percent(self) -> Decimal:
        return money(self.actual * 100 / self.amount) if self.amount else Decimal(0)

    @property
    def forecast_percent(self) -> Decimal | None:
        if self.forecast is None or not self.amount:
            return None
        return money(self.forecast * 100 / self.amount)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.actual


def forecast(spend_to_yesterday: Decimal, days_elapsed: int, days_in_period: int):
    """F9: run-rate = spend so far ÷ whole days elapsed × days in the period, once at least
    3 whole days have elapsed (today's partial day counts in neither term); else None."""
    if days_elapsed < MIN_FORECAST_DAYS:
        return None
    return money(spend_to_yesterday / days_elapsed * days_in_period)


def figures(budget: Budget, now: dt.datetime | None = None) -> Figures | None:
    """F8, F9: the current period's amount, actual spend and forecast (one spend query), or
    None when the budget has not started or has ended."""
    today = timezone.localdate(now or timezone.now())
    period = period_at(budget, today)
    if period is None:
        return None
    totals = _spend(budget, period, today)
    elapsed = (today - period.start).days
    actual = money(totals["actual"] or 0)
    projected = forecast(money(totals["before_today"] or 0), elapsed, period.days)
    return Figures(
        period=period,
        amount=period_amount(budget, period.index),
        actual=actual,
        # F9: never below what is already spent (today's spend is not in the run-rate)
        forecast=None if projected is None else max(projected, actual),
        days_elapsed=elapsed,
    )


def _spend(budget: Budget, period: Period, today: dt.date) -> dict:
    """The period's spend and its spend before today (F8, F9), cached like F6's sums
    (`cached_over_reach`): keyed also by the budget's revision (its scope, departments,
    members and products are saved with it), the period and the day."""
    measure = F("voucher_amount") + F("cash_amount")

    def compute(reach_q):
        rows = DailyCost.objects.filter(
            reach_q, scope_q(budget), day__gte=period.start, day__lt=period.end
        )
        return rows.aggregate(
            actual=Sum(measure), before_today=Sum(measure, filter=Q(day__lt=today))
        )

    return cached_over_reach(
        admin_reach(budget.organization),
        BUDGETS,
        label=(
            f"f8|{budget.pk}|{budget.updated_at.isoformat()}|{period.start}|{period.end}|{today}"
        ),
        by_department=budget.scope == BudgetScope.DEPARTMENTS,
        compute=compute,
    )


def members_in_scope(budget: Budget, organization: Organization | None = None):
    """The member accounts in scope, the admin account left out (F8 recipients, F10 blocks):
    pay-on-behalf members and self-pay members granting 9, of the scope."""
    organization = organization or budget.organization
    memberships = [
        m
        for m in eligible_memberships(organization)
        if m.account_id != organization.admin_account_id
    ]
    if budget.scope == BudgetScope.MEMBERS:
        chosen = set(budget.members.values_list("pk", flat=True))
        return [m.account for m in memberships if m.account_id in chosen]
    if budget.scope == BudgetScope.DEPARTMENTS:
        inside = Membership.objects.filter(organization=organization).filter(
            _subtree_q(budget.departments.all())
        )
        allowed = set(inside.values_list("pk", flat=True))
        return [m.account for m in memberships if m.pk in allowed]
    return [m.account for m in memberships]


# --- selectors for the pages ---------------------------------------------------------------


def budgets_for(user):
    """F7: the budgets of the user's organization it may read (none for anyone else)."""
    return Budget.objects.restrict(user, "view")


def alerts_of(budget: Budget, limit: int = 50):
    return BudgetAlert.objects.filter(budget=budget).order_by("-created_at", "-id")[:limit]


def department_choices(organization_id: int):
    return Department.objects.filter(organization_id=organization_id).order_by("path")


def member_choices(organization: Organization):
    """F7: the accounts a budget may name: the admin itself, pay-on-behalf members, self-pay
    members granting 9."""
    return sorted(
        eligible_memberships(organization),
        key=lambda m: (m.member_type != MemberType.ADMIN, m.name),
    )


def stored_figures(budget: Budget, now: dt.datetime | None = None) -> Figures | None:
    """The figures the last evaluation stored (the list page: no spend query per budget),
    or None when the budget is not running now or has not been evaluated in this period."""
    today = timezone.localdate(now or timezone.now())
    period = period_at(budget, today)
    if period is None or budget.figures_period != period.start or budget.actual_spend is None:
        return None
    return Figures(
        period=period,
        amount=period_amount(budget, period.index),
        actual=budget.actual_spend,
        forecast=budget.forecast_spend,
        days_elapsed=(today - period.start).days,
    )


def status(budget: Budget, now: dt.datetime | None = None) -> str:
    """Tencent's BudgetStatus: pending before the first period, expired after the last."""
    today = timezone.localdate(now or timezone.now())
    if today < budget.start:
        return "pending"
    return "active" if period_at(budget, today) is not None else "expired"
