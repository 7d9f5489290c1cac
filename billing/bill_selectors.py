"""Pay-on-behalf bill management (SPEC B11, §5): read functions.

Pay-on-behalf items are the bill lines with payer ≠ owner. The payer sees those of all its
members (`payer_side`); a member sees only its own, those another account paid. Every query
starts from the user's account. Totals come from `BillSummary` only (kept exact with the
lines in the same transaction); `BillLine` is read for the details list and the CSV export.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import F, Sum

from .models import BillLine, BillSummary

AMOUNTS = ("cash_amount", "voucher_amount", "discount", "list_cost")
TREND_MONTHS = 6
ZERO = Decimal("0.00")


def _scoped(model, *, user, payer_side: bool):
    account_id = user.account_id
    if account_id is None:
        return model.objects.none()
    if payer_side:
        return model.objects.filter(payer_id=account_id).exclude(owner_id=F("payer_id"))
    return model.objects.filter(owner_id=account_id).exclude(payer_id=F("owner_id"))


def summaries(*, user, payer_side: bool):
    return _scoped(BillSummary, user=user, payer_side=payer_side)


def lines(*, user, payer_side: bool):
    """The details list, newest first, with what each row shows (no per-row queries)."""
    return (
        _scoped(BillLine, user=user, payer_side=payer_side)
        .select_related("owner__membership", "payer", "product", "resource", "region")
        .order_by("-created_at", "-pk")
    )


def _totals():
    return {f: Sum(f) for f in (*AMOUNTS, "line_count")}


def months(*, user, payer_side: bool) -> list[date]:
    """The bill months with pay-on-behalf items, newest first (the month picker)."""
    return list(
        summaries(user=user, payer_side=payer_side)
        .order_by("-bill_month")
        .values_list("bill_month", flat=True)
        .distinct()
    )


def by_member(*, user, payer_side: bool, month: date | None, organization_id=None) -> list[dict]:
    if month is None:
        return []
    rows = (
        summaries(user=user, payer_side=payer_side)
        .filter(bill_month=month)
        .values(
            "owner_id",
            "owner__name",
            "owner__uin",
            "owner__membership__name",
            "owner__membership__organization_id",
        )
        .annotate(**_totals())
        .order_by("-cash_amount", "owner__uin")
    )
    result = []
    for row in rows:
        in_org = organization_id and row["owner__membership__organization_id"] == organization_id
        row["name"] = row["owner__membership__name"] if in_org else row["owner__name"]
        row["uin"] = row["owner__uin"]
        result.append(row)
    return result


def by_product(*, user, payer_side: bool, month: date | None) -> list[dict]:
    if month is None:
        return []
    return list(
        summaries(user=user, payer_side=payer_side)
        .filter(bill_month=month)
        .values("product_id", "product__code", "product__name")
        .annotate(**_totals())
        .order_by("-cash_amount", "product__code")
    )


def total(rows: list[dict]) -> dict:
    """The sum of summary rows (the footer of a summary table)."""
    out = {f: ZERO for f in AMOUNTS} | {"line_count": 0}
    for row in rows:
        for f in (*AMOUNTS, "line_count"):
            out[f] += row[f] or 0
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


def trend(*, user, payer_side: bool, until: date, n: int = TREND_MONTHS) -> list[dict]:
    """The last `n` months up to `until` (oldest first), each with its totals and the
    month-on-month growth of cash paid. One query: `n + 1` months, the first for growth."""
    last = month_start(until)
    first = add_months(last, -n)
    found = {
        row["bill_month"]: row
        for row in summaries(user=user, payer_side=payer_side)
        .filter(bill_month__gte=first, bill_month__lte=last)
        .values("bill_month")
        .annotate(**_totals())
        .order_by("bill_month")
    }
    rows = []
    previous = None
    for i in range(n + 1):
        month = add_months(first, i)
        row = {f: ZERO for f in AMOUNTS} | {"line_count": 0}
        row.update({k: v for k, v in found.get(month, {}).items() if v is not None})
        row["bill_month"] = month
        if previous is not None:
            row["growth"] = growth(row["cash_amount"], previous["cash_amount"])
            rows.append(row)
        previous = row
    return rows


def export_rows(qs):
    """The CSV rows (B11 fields) of a details queryset, streamed from the database."""
    return qs.values_list(
        "bill_month",
        "owner__uin",
        "payer__uin",
        "product__code",
        "resource__instance_id",
        "region__code",
        "billing_mode",
        "transaction_type",
        "list_cost",
        "discount",
        "voucher_amount",
        "cash_amount",
        "created_at",
    ).iterator(chunk_size=2000)
