"""Pay-on-behalf bill management and Billing Center bills (SPEC B11, §5): read functions.

Pay-on-behalf items are the bill lines with payer ≠ owner. The payer sees those of all its
members (`payer_side`); a member sees only its own, those another account paid; self-paid
items (payer = owner) appear only in Billing Center. Every query starts from the user's
account. Totals and counts come from the rollups (`billing.models.rollups`), kept exact with
the lines in the same transaction, so each summary reads a handful of rows whatever the
number of line items; `BillLine` is read only for the details list and the CSV exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Left, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from organizations.models import Department

from .models import (
    BillLine,
    BillSummary,
    DailyCost,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    ResourceMonth,
)
from .models.catalog import localized
from .models.rollups import AMOUNTS, TOTALS

TREND_MONTHS = 6
ZERO = Decimal("0.00")


def _sums():
    return {f: Sum(f) for f in TOTALS}


def _zero() -> dict:
    return {f: ZERO for f in AMOUNTS} | {"line_count": 0}


def total(rows) -> dict:
    """The sum of summary rows (the footer of a summary table)."""
    out = _zero()
    for row in rows:
        for f in TOTALS:
            value = row[f] if isinstance(row, dict | DepartmentRow) else getattr(row, f)
            out[f] += value or 0
    return out


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def growth(current: Decimal, previous: Decimal) -> Decimal | None:
    """Month-on-month growth in %, None when the previous month is 0."""
    if not previous:
        return None
    return ((current - previous) * 100 / abs(previous)).quantize(Decimal("0.1"))


# ------------------------------------------------------------------ whose rows


def _account_id(user):
    return user.account_id


def by_product_rows(*, user, payer_side: bool):
    """Product-grain totals the user may see: as payer, its members' pay-on-behalf items
    (`PayerProductMonth`); as member, its own items another account paid (`BillSummary`)."""
    account_id = _account_id(user)
    if account_id is None:
        return PayerProductMonth.objects.none()
    if payer_side:
        return PayerProductMonth.objects.filter(payer_id=account_id, on_behalf=True)
    return BillSummary.objects.filter(owner_id=account_id).exclude(payer_id=F("owner_id"))


def self_paid_rows(*, user):
    """Billing Center (B11): the account's own items it paid itself."""
    account_id = _account_id(user)
    if account_id is None:
        return PayerProductMonth.objects.none()
    return PayerProductMonth.objects.filter(payer_id=account_id, on_behalf=False)


def months(rows) -> list[date]:
    """The bill months of these rows, newest first (the month picker)."""
    return list(rows.order_by("-bill_month").values_list("bill_month", flat=True).distinct())


def pick_month(rows, value) -> tuple[list[date], date | None]:
    """The months to offer and the chosen one (the newest when `value` is not one of them)."""
    offered = months(rows)
    month = parse_month(value)
    if month not in offered:
        month = offered[0] if offered else None
    return offered, month


def parse_month(value) -> date | None:
    try:
        year, month = (int(part) for part in str(value).split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


def by_product(rows, month: date | None) -> list[dict]:
    """The month's totals by product, largest first; `product_name` in the reader's language
    (issue 17)."""
    if month is None:
        return []
    return list(
        rows.filter(bill_month=month)
        .values("product_id", "product__code", product_name=localized("product__name"))
        .annotate(**_sums())
        .order_by("-cash_amount", "product__code")
    )


def trend(rows, *, until: date, n: int = TREND_MONTHS, less=None) -> list[dict]:
    """The last `n` months up to `until` (oldest first), each with its totals and the
    month-on-month growth of cash paid. One query: `n + 1` months, the first for growth;
    a second with `less`, rows whose totals are taken off their months' (`member_trend`)."""
    last = month_start(until)
    first = add_months(last, -n)
    found = _month_sums(rows, first, last)
    if less is not None:
        for month, row in _month_sums(less, first, last).items():
            kept = found.setdefault(month, _zero())
            for name in TOTALS:  # sums of at least one row each: never None
                kept[name] -= row[name]
    out = []
    previous = None
    for i in range(n + 1):
        month = add_months(first, i)
        row = _zero()
        row.update({k: v for k, v in found.get(month, {}).items() if v is not None})
        row["bill_month"] = month
        if previous is not None:
            row["growth"] = growth(row["cash_amount"], previous["cash_amount"])
            out.append(row)
        previous = row
    return out


def _month_sums(rows, first: date, last: date) -> dict[date, dict]:
    return {
        row["bill_month"]: row
        for row in rows.filter(bill_month__gte=first, bill_month__lte=last)
        .values("bill_month")
        .annotate(**_sums())
        .order_by("bill_month")
    }


# ------------------------------------------------------------------ by member


def by_member(*, user, payer_side: bool, month: date | None):
    """As payer: its members' monthly totals, largest first, paged by the table. As member:
    its own total for the month (one row per account that paid for it)."""
    account_id = _account_id(user)
    if account_id is None or month is None:
        return PobMemberMonth.objects.none()
    if payer_side:
        return (
            PobMemberMonth.objects.filter(payer_id=account_id, bill_month=month)
            .select_related("owner__membership", "department")
            .order_by("-cash_amount", "owner_id")
        )
    return (
        PobMemberMonth.objects.filter(owner_id=account_id, bill_month=month)
        .exclude(payer_id=account_id)
        .select_related("owner__membership", "department")
        .order_by("-cash_amount", "payer_id")
    )


def month_total(rows, month: date | None) -> dict:
    if month is None:
        return _zero()
    found = rows.filter(bill_month=month).aggregate(**_sums())
    return {f: (found[f] if found[f] is not None else ZERO) for f in TOTALS}


# ------------------------------------------------------------------ by department


@dataclass
class DepartmentRow:
    department: Department | None  # None: accounts that have left the organization
    direct: bool  # the members directly in the current department, not a sub-department
    totals: dict
    href: str = ""  # the drill-down link the view sets (a sub-department's row)

    def __getitem__(self, name):
        return self.totals[name]


def department_chain(department: Department) -> list[Department]:
    """Root → … → `department`, for the breadcrumb (one query)."""
    ids = [int(i) for i in department.path.split("/") if i]
    found = Department.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def by_department(*, user, month: date | None, department: Department) -> list[DepartmentRow]:
    """Subtree totals of each child of `department`, plus its direct members (O3 paths): the
    rows of `PobDepartmentMonth` under the department, at most one per department."""
    account_id = _account_id(user)
    if account_id is None or month is None:
        return []
    # Group in the database by the child of `department` each row's path runs through:
    # "12/40/41/" under "12/" → "40"; "" for the department's own members; at Root, None for
    # the accounts that have left (their row has no department), in the same query.
    rest = Substr("department__path", len(department.path) + 1)
    under = Q(department__path__startswith=department.path)
    if department.is_root:
        under |= Q(department__isnull=True)
    rows = (
        PobDepartmentMonth.objects.filter(under, payer_id=account_id, bill_month=month)
        .annotate(child=Left(rest, StrIndex(rest, Value("/")) - 1))
        .values("child")
        .annotate(**_sums())
        .order_by()
    )
    groups, former = {}, None
    for row in rows:
        totals = {f: row[f] for f in TOTALS}
        if row["child"] is None:
            former = totals
        else:
            groups[int(row["child"]) if row["child"] else department.pk] = totals
    found = Department.objects.in_bulk(list(groups))
    out = [
        DepartmentRow(found[pk], pk == department.pk, totals)
        for pk, totals in groups.items()
        if pk in found and any(totals.values())
    ]
    if former and any(former.values()):
        out.append(DepartmentRow(None, False, former))
    out.sort(key=lambda r: (-r.totals["cash_amount"], r.department.path if r.department else ""))
    return out


def department_members(*, user, month: date | None, department: Department):
    """The members directly in `department` with their totals for the month (paged)."""
    account_id = _account_id(user)
    if account_id is None or month is None:
        return PobMemberMonth.objects.none()
    return (
        PobMemberMonth.objects.filter(
            payer_id=account_id, bill_month=month, department_id=department.pk
        )
        .select_related("owner__membership", "department")
        .order_by("-cash_amount", "owner_id")
    )


def split(rows: list, *, label, n: int = 5) -> list[dict]:
    """The largest `n - 1` rows and "others" (a chart of shares)."""
    items = [
        {"label": label(r), "value": r["cash_amount"], "href": getattr(r, "href", "")} for r in rows
    ]
    items.sort(key=lambda i: -i["value"])
    if len(items) > n:
        rest = sum((i["value"] for i in items[n - 1 :]), ZERO)
        items = [*items[: n - 1], {"label": None, "value": rest}]
    return items


# ------------------------------------------------------------------ line items


def lines(*, user, payer_side: bool):
    """The pay-on-behalf details list, newest first, with what each row shows."""
    account_id = _account_id(user)
    if account_id is None:
        return BillLine.objects.none()
    if payer_side:
        qs = BillLine.objects.filter(payer_id=account_id).exclude(owner_id=F("payer_id"))
    else:
        qs = BillLine.objects.filter(owner_id=account_id).exclude(payer_id=F("owner_id"))
    return qs.select_related("owner__membership", "payer", "product", "resource", "region")


def self_paid_lines(*, user):
    account_id = _account_id(user)
    if account_id is None:
        return BillLine.objects.none()
    return BillLine.objects.filter(payer_id=account_id, owner_id=account_id).select_related(
        "owner", "payer", "product", "resource", "region"
    )


def by_resource(*, user, month: date | None):
    """Billing Center: the account's self-paid totals of the month by resource (paged)."""
    account_id = _account_id(user)
    if account_id is None or month is None:
        return ResourceMonth.objects.none()
    return (
        ResourceMonth.objects.filter(payer_id=account_id, owner_id=account_id, bill_month=month)
        .select_related("resource__spec", "product")
        .order_by("-cash_amount", "pk")
    )


# How the CSV export writes a related B11 field: by its code, not its primary key.
EXPORT_LOOKUPS = {
    "owner": "owner__uin",
    "payer": "payer__uin",
    "product": "product__code",
    "resource": "resource__instance_id",
    "region": "region__code",
}


# The B11 CSV columns: the bills pages' exports and the consolidated bills (F4) write these.
# Issue 17: each column is its stable English key in English and a column name in Chinese
# (tco_console.exports); F4's files are written by the worker, in English.
CSV_HEADER = (
    pgettext_lazy("CSV column", "bill_month"),
    pgettext_lazy("CSV column", "owner_uin"),
    pgettext_lazy("CSV column", "payer_uin"),
    pgettext_lazy("CSV column", "product_code"),
    pgettext_lazy("CSV column", "resource_instance_id"),
    pgettext_lazy("CSV column", "region"),
    pgettext_lazy("CSV column", "billing_mode"),
    pgettext_lazy("CSV column", "transaction_type"),
    pgettext_lazy("CSV column", "list_cost"),
    pgettext_lazy("CSV column", "discount"),
    pgettext_lazy("CSV column", "voucher_deduction"),
    pgettext_lazy("CSV column", "cash_paid"),
    pgettext_lazy("CSV column", "time"),
)


def export_rows(qs):
    """The CSV rows (B11 fields) of a details queryset, streamed from the database."""
    return qs.values_list(*(EXPORT_LOOKUPS.get(f, f) for f in BillLine.B11_FIELDS)).iterator(
        chunk_size=2000
    )


def csv_rows(qs):
    """The CSV rows of a details queryset as written (CSV_HEADER's columns): the month as
    YYYY-MM, no resource as "", the time in console time. The one formatting of the bills
    pages' CSVs and of the consolidated bills (F4), so their files are byte for byte equal."""
    for row in export_rows(qs):
        *fields, created_at = row
        fields[0] = fields[0].strftime("%Y-%m")
        fields[4] = fields[4] or ""
        yield [*fields, timezone.localtime(created_at).isoformat()]


# ------------------------------------------------------------------ a member's bills (F3)
#
# `reach` is a `billing.finance.reach.Reach` of a self-pay member granting 1, obtained through
# `member_reach` / `member_view` (F1: those are the 404 checks). Everything is the member's own
# self-paid spend (payer = owner = the member) on its whole membership days (F2).


def member_daily_rows(reach):
    """F3: the member's self-paid daily rollup rows (F5) on its F2 days; `pick_month`,
    `by_product` and `month_total` read them like the monthly rollups."""
    account_id = reach.account.pk
    return DailyCost.objects.filter(payer_id=account_id, owner_id=account_id).filter(
        reach.days("day")
    )


def member_trend(reach, *, until: date, n: int = TREND_MONTHS) -> list[dict]:
    """F3: the member's months (`trend`) on its F2 days: each month's self-paid totals from
    the monthly rollup, less its daily rollup rows (F5) of the days outside its windows. Both
    rollups are written from the same lines in the same transaction (`check_books` checks
    each against the lines), so this is the sum of its daily rows on its days, which the
    month view summed before (issue 16): twelve months of a member's daily rows are thousands
    of rows at ten million lines, its days outside usually none."""
    account_id = reach.account.pk
    monthly = PayerProductMonth.objects.filter(payer_id=account_id, on_behalf=False)
    outside = None
    if not reach.own:
        outside = DailyCost.objects.filter(payer_id=account_id, owner_id=account_id).exclude(
            reach.days("day")
        )
    return trend(monthly, until=until, n=n, less=outside)


def member_lines(reach):
    """F3: the member's self-paid line items written on its F2 days (the details CSV)."""
    account_id = reach.account.pk
    return (
        BillLine.objects.filter(payer_id=account_id, owner_id=account_id)
        .filter(reach.times("created_at"))
        .select_related("owner", "payer", "product", "resource", "region")
    )


def member_by_resource(reach, month: date | None):
    """F3: the member's totals of the month by resource, from its lines on its F2 days (the
    monthly `ResourceMonth` cannot leave out days), largest first, paged in the database."""
    if month is None:
        return BillLine.objects.none()
    account_id = reach.account.pk
    return (
        BillLine.objects.filter(payer_id=account_id, owner_id=account_id, bill_month=month)
        .filter(reach.times("created_at"))
        .values(
            "resource_id",
            "resource__instance_id",
            spec_name=localized("resource__spec__name"),
            product_name=localized("product__name"),
        )
        .annotate(line_count=Count("pk"), **{f: Sum(f) for f in AMOUNTS})
        .order_by("-cash_amount", "resource_id", "product_name")
    )
