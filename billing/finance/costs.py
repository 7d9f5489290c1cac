"""F6 cost analysis: spend grouped by one dimension, by day or by month, from `DailyCost` only.

Spend is the cost after discount (list cost − discount = voucher deduction + cash paid). The
rows are the ones `reach.cost_q(ctx, 8)` reaches (F1, F2): the admin's own and
pay-on-behalf rows and the self-pay members granting 8 on their whole days; a member's own.

A page costs a fixed number of queries whatever the data: for member and department (many
groups) one query ranks the groups of the whole range and one sums the top 10 and "Others"
by period; for the other dimensions (few groups) one query sums every group by period. Then
one query for the labels (accounts, departments, products, regions or tag sets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import caches
from django.db.models import Case, DateField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.bill_selectors import add_months
from billing.models import DailyCost, Product, Region
from billing.models.catalog import localized
from billing.models.choices import BillingMode, TransactionType
from organizations.models import Account, Department, Membership, TagSet
from organizations.selectors import structure_fingerprint

from . import reach

TOP = 10
CACHE, CACHE_SECONDS = "costs", 3600  # settings.CACHES; versions make it exact, not the time
OTHERS = -1  # the bucket of every group after the top 10
FORMER = 0  # department key of accounts no longer in the organization
ZERO = Decimal("0.00")
AMOUNTS = ("list_cost", "discount", "voucher_amount", "cash_amount")

GROUPS = {
    "member": _("Member"),
    "department": _("Department"),
    "product": _("Product"),
    "region": _("Region"),
    "billing_mode": _("Billing mode"),
    "transaction_type": _("Transaction type"),
}
MANY = {"member", "department"}  # ranked in SQL; the others have a handful of groups
TAG_PREFIX = "tag:"

DAY, MONTH = "day", "month"
DAILY_MAX_DAYS, DAILY_WINDOW_DAYS, MONTHLY_MAX = 31, 180, 12
# TCO's quick ranges: name → (granularity, label)
PRESETS = {
    "7d": (DAY, _("Last 7 days")),
    "14d": (DAY, _("Last 14 days")),
    "30d": (DAY, _("Last 30 days")),
    "mtd": (DAY, _("Month to date")),
    "3m": (MONTH, _("Last 3 months")),
    "6m": (MONTH, _("Last 6 months")),
    "12m": (MONTH, _("Last 12 months")),
    "ytd": (MONTH, _("Year to date")),
}
DEFAULT_PRESET = "30d"


# ------------------------------------------------------------------ ranges


def today() -> dt.date:
    """The console date (UTC+8)."""
    return timezone.localdate()


def preset_range(name: str, on: dt.date) -> tuple[str, dt.date, dt.date]:
    granularity = PRESETS[name][0]
    month = on.replace(day=1)
    starts = {
        "7d": on - dt.timedelta(days=6),
        "14d": on - dt.timedelta(days=13),
        "30d": on - dt.timedelta(days=29),
        "mtd": month,
        "3m": add_months(month, -2),
        "6m": add_months(month, -5),
        "12m": add_months(month, -11),
        "ytd": month.replace(month=1),
    }
    return granularity, starts[name], on


def range_problem(granularity: str, start: dt.date, end: dt.date, on: dt.date) -> str | None:
    """F6 limits: daily, at most 31 days within the last 180; monthly, at most 12 months
    within the last 12 (console dates). The reason a range is refused, or None."""
    if end < start:
        return _("The end of the range is before its start.")
    if granularity == MONTH:
        first = add_months(on.replace(day=1), -(MONTHLY_MAX - 1))
        if end.replace(day=1) > on.replace(day=1) or start.replace(day=1) < first:
            return _("Monthly ranges lie within the last 12 months (from %(first)s).") % {
                "first": f"{first:%Y-%m}"
            }
        return None
    if end > on or start < on - dt.timedelta(days=DAILY_WINDOW_DAYS - 1):
        return _("Daily ranges lie within the last 180 days (from %(first)s).") % {
            "first": on - dt.timedelta(days=DAILY_WINDOW_DAYS - 1)
        }
    if (end - start).days + 1 > DAILY_MAX_DAYS:
        return _("A daily range is at most 31 days; choose monthly for longer ranges.")
    return None


def periods(granularity: str, start: dt.date, end: dt.date) -> list[dt.date]:
    if granularity == MONTH:
        out, month = [], start.replace(day=1)
        while month <= end:
            out.append(month)
            month = add_months(month, 1)
        return out
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# ------------------------------------------------------------------ the query


@dataclass(frozen=True)
class Query:
    group_by: str = "member"  # one of GROUPS, or "tag:<key>"
    granularity: str = DAY
    start: dt.date | None = None
    end: dt.date | None = None
    members: tuple[str, ...] = ()  # UINs
    departments: tuple[Department, ...] = ()  # each with its subtree
    products: tuple[int, ...] = ()
    regions: tuple[int, ...] = ()
    billing_modes: tuple[str, ...] = ()
    transaction_types: tuple[str, ...] = ()
    tag: tuple[str, str] | None = None  # key, value

    @property
    def tag_key(self) -> str | None:
        return self.group_by[len(TAG_PREFIX) :] if self.group_by.startswith(TAG_PREFIX) else None

    @property
    def last_day(self) -> dt.date:
        if self.granularity == MONTH:
            return add_months(self.end.replace(day=1), 1) - dt.timedelta(days=1)
        return self.end

    @property
    def first_day(self) -> dt.date:
        return self.start.replace(day=1) if self.granularity == MONTH else self.start


@dataclass
class Row:
    key: object
    label: str
    cells: list[Decimal]
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AMOUNTS, ZERO))
    others: bool = False

    @property
    def total(self) -> Decimal:
        return self.amounts["voucher_amount"] + self.amounts["cash_amount"]


@dataclass
class Analysis:
    query: Query
    periods: list[dt.date]
    rows: list[Row]  # top 10 by spend of the whole range, then "Others"
    totals: Row


def rows_reached(ctx, query: Query, reach_q: Q | None = None):
    """F1, F2: the DailyCost rows of the range the user reaches for 8, narrowed by filters."""
    reach_q = reach.cost_q(ctx, 8) if reach_q is None else reach_q
    qs = DailyCost.objects.filter(reach_q).filter(day__gte=query.first_day, day__lte=query.last_day)
    if query.members:
        qs = qs.filter(owner__uin__in=query.members)
    if query.departments:
        subtree = Q(pk__in=[])
        for department in query.departments:
            subtree |= Q(owner__membership__department__path__startswith=department.path)
        qs = qs.filter(subtree, owner__membership__organization_id=ctx.organization_id)
    if query.products:
        qs = qs.filter(product_id__in=query.products)
    if query.regions:
        qs = qs.filter(region_id__in=query.regions)
    if query.billing_modes:
        qs = qs.filter(billing_mode__in=query.billing_modes)
    if query.transaction_types:
        qs = qs.filter(transaction_type__in=query.transaction_types)
    if query.tag:
        key, value = query.tag
        sets = TagSet.objects.filter(pk__in=qs.values("tag_set_id"))
        qs = qs.filter(tag_set_id__in=[s.pk for s in sets if s.value_of(key) == value])
    return qs


def _key(ctx, group_by: str):
    if group_by == "member":
        return F("owner_id")
    if group_by == "department":
        # the owner's department now (like B11's department totals); left: "Former members"
        if ctx.organization_id is None:
            return Value(FORMER)
        return Case(
            When(
                owner__membership__organization_id=ctx.organization_id,
                then=F("owner__membership__department_id"),
            ),
            default=Value(FORMER),
            output_field=IntegerField(),
        )
    if group_by.startswith(TAG_PREFIX):
        return F("tag_set_id")
    return F(f"{group_by}_id" if group_by in {"product", "region"} else group_by)


def _period(granularity: str):
    return TruncMonth("day", output_field=DateField()) if granularity == MONTH else F("day")


SPEND = Sum(F("voucher_amount") + F("cash_amount"))


def _sums(ctx, query: Query, qs) -> tuple[list | None, list[dict]]:
    """The ranked top groups (member and department) and the sums by group and period."""
    qs = qs.annotate(k=_key(ctx, query.group_by))
    top, bucket = None, F("k")
    if query.group_by in MANY:
        ranked = qs.values("k").annotate(spend=SPEND).order_by("-spend", "k")
        top = [r["k"] for r in ranked[: TOP + 1]]
        if len(top) > TOP:
            top = top[:TOP]
            bucket = Case(
                When(k__in=top, then=F("k")), default=Value(OTHERS), output_field=IntegerField()
            )
    found = (
        qs.annotate(g=bucket)
        .annotate(p=_period(query.granularity))
        .values("g", "p")
        .annotate(**{a: Sum(a) for a in AMOUNTS})
        .order_by()
    )
    return top, list(found)


def cached_over_reach(ctx, perm: int, *, label: str, by_department: bool, compute):
    """Issue 16: `compute(reach_q)` over the admin's reach for `perm` (F6 sums, F8 figures),
    cached, keyed by `label` and by what the reach is made of: the reach and the cost
    versions of the payers whose rows are read (F5: raised in the transaction that changes
    those rows), as one digest read before the rows on PostgreSQL (`reach.cost_digest`, so a
    hit builds no reach), else as the reach itself with the versions read with it; with
    `by_department`, the organization's structure fingerprint too (who is in which
    department, where each sits). Not cached: a member's own rows (any payer may have paid
    them). A cached result is never older than its key."""
    digest = reach.cost_digest(ctx, perm, structure=by_department)
    reach_q = None
    if digest is None:
        reach_q, versions = reach.cost_reach(ctx, perm)  # the versions read before the rows
        if versions is None:
            return compute(reach_q)
        structure = structure_fingerprint(ctx.organization_id) if by_department else ""
        digest = f"{reach_q}|{sorted(versions.items())}|{structure}"
    key = hashlib.sha256(f"{label}|{digest}".encode()).hexdigest()
    cache = caches[CACHE]
    found = cache.get(key)
    if found is None:
        if reach_q is None:  # the digest's: the reach alone, no versions
            reach_q = reach.cost_q(ctx, perm)
        found = compute(reach_q)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _cached_sums(ctx, query: Query) -> tuple[list | None, list[dict]]:
    """F6 over 10 million lines: the sums, cached by the reach and the query; groups and
    filters by department follow today's departments (`cached_over_reach`)."""
    by_department = ctx.organization_id is not None and (
        query.group_by == "department" or bool(query.departments)
    )
    return cached_over_reach(
        ctx,
        8,
        label=f"f6|{query}",
        by_department=by_department,
        compute=lambda reach_q: _sums(ctx, query, rows_reached(ctx, query, reach_q)),
    )


def analyse(ctx, query: Query, department_names: dict | None = None) -> Analysis:
    """F6: the top 10 groups of the range by spend and "Others", a cell per period.
    `department_names` (id → name), when the page has read them already, label the groups
    of a grouping by department without another query."""
    top, found = _cached_sums(ctx, query)
    spans = periods(query.granularity, query.first_day, query.last_day)
    column = {p: i for i, p in enumerate(spans)}
    labels = _labels(ctx, query, {r["g"] for r in found}, department_names)
    groups: dict[object, Row] = {}
    for r in found:
        label = labels(r["g"])
        key = OTHERS if r["g"] == OTHERS else label if query.tag_key else r["g"]
        row = groups.get(key) or groups.setdefault(
            key, Row(key=key, label=label, cells=[ZERO] * len(spans), others=key == OTHERS)
        )
        p = r["p"].date() if isinstance(r["p"], dt.datetime) else r["p"]
        row.cells[column[p]] += r["voucher_amount"] + r["cash_amount"]
        for a in AMOUNTS:
            row.amounts[a] += r[a]
    rows = _top(groups, ranked=top)
    totals = Row(key=None, label=str(_("Total")), cells=[ZERO] * len(spans))
    for row in rows:
        totals.cells = [a + b for a, b in zip(totals.cells, row.cells, strict=True)]
        for a in AMOUNTS:
            totals.amounts[a] += row.amounts[a]
    return Analysis(query=query, periods=spans, rows=rows, totals=totals)


def _top(groups: dict, ranked: list | None) -> list[Row]:
    """The top 10 groups by spend of the range (ties by label), then "Others"."""
    others = groups.pop(OTHERS, None)
    if ranked is not None:
        order = {k: i for i, k in enumerate(ranked)}
        named = sorted(groups.values(), key=lambda r: order.get(r.key, len(order)))
    else:
        named = sorted(groups.values(), key=lambda r: (-r.total, r.label))
    rest = named[TOP:]
    if rest:
        others = Row(key=OTHERS, label="", cells=[ZERO] * len(named[0].cells), others=True)
        for row in rest:
            others.cells = [a + b for a, b in zip(others.cells, row.cells, strict=True)]
            for a in AMOUNTS:
                others.amounts[a] += row.amounts[a]
    if others is not None:
        others.label = str(_("Others"))
    return [*named[:TOP], *([others] if others else [])]


def _labels(ctx, query: Query, keys: set, department_names: dict | None = None):
    """key → label, with one query for the groups that need names."""
    group_by = query.group_by
    keys = {k for k in keys if k not in (None, OTHERS)}
    if query.tag_key is not None:
        tag_sets = {s.pk: s for s in TagSet.objects.filter(pk__in=keys)}
        untagged = str(_("Untagged"))

        def tag_label(k):
            value = tag_sets[k].value_of(query.tag_key) if k in tag_sets else None
            return untagged if value is None else value

        return tag_label
    if group_by == "member":
        accounts = Account.objects.filter(pk__in=keys).select_related("membership")
        names = {a.pk: _member_label(a, ctx.organization_id) for a in accounts}
    elif group_by == "department":
        if department_names is None:
            department_names = Department.objects.filter(pk__in=keys).values_list("pk", "name")
        names = dict(department_names)
        names[FORMER] = str(_("Former members"))
    elif group_by == "product":
        names = dict(Product.objects.filter(pk__in=keys).values_list("pk", localized("name")))
    elif group_by == "region":
        names = dict(Region.objects.filter(pk__in=keys).values_list("pk", localized("name")))
    else:
        names = dict(BillingMode.choices if group_by == "billing_mode" else TransactionType.choices)
    return lambda k: str(names.get(k, k))


def _member_label(account, organization_id) -> str:
    membership = getattr(account, "membership", None)
    if membership is not None and membership.organization_id == organization_id:
        return f"{membership.name} ({account.uin})"
    return f"{account.name} ({account.uin})"


def tag_keys(ctx) -> list[str]:
    """The tag keys offered for grouping: those of the organization's members and
    departments now (the admin), or of the member itself."""
    if ctx.membership is None:
        return []
    if ctx.is_admin:
        members = Membership.objects.filter(organization_id=ctx.organization_id)
        ids = Q(pk__in=members.values("tag_set_id")) | Q(
            pk__in=Department.objects.filter(organization_id=ctx.organization_id).values(
                "tag_set_id"
            )
        )
    else:
        ids = Q(pk=ctx.membership.tag_set_id)
    keys = set()
    for tags in TagSet.objects.filter(ids).values_list("tags", flat=True):
        keys.update(k for k, _v in tags)
    return sorted(keys)
