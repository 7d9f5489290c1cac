"""Version 2021-03-31 finance overview (issue 15): the organization's pay-on-behalf spend —
what the admin account paid for its members (B11) — by member, by month and by product.

TotalCost is the cost after discount (voucher deduction + cash, F6's measure) in CNY. Read
from the monthly rollups when no cross filter is given (PobMemberMonth, PayerProductMonth),
and from the daily rollup (F5) when members and products are filtered together: never from
the bill lines."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import DailyCost, PayerProductMonth, PobMemberMonth, Product
from organizations.models import Account, Membership

from .actions_2021 import _require_admin
from .errors import ApiError, invalid
from .params import Params

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
COST = F("voucher_amount") + F("cash_amount")
ZERO = Decimal("0.00")


def _month(p: Params, name: str, *, required: bool = False) -> dt.date | None:
    value = p.str(name, required=required, max_length=7)
    if value is None:
        return None
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise invalid(name, _("use yyyy-mm, for example 2026-03."))
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _filters(p: Params) -> tuple[list[str], list[str]]:
    uins = [str(u) for u in p.int_list("MemberUins", max_items=100)]
    codes = p._get("ProductCodes", False) or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ApiError("InvalidParameter", _("`ProductCodes` must be a list of strings."))
    if len(codes) > 100:
        raise invalid("ProductCodes", _("at most 100 items."))
    return uins, codes


def _range(p: Params) -> tuple[dt.date, dt.date]:
    start = _month(p, "Month", required=True)
    end = _month(p, "EndMonth") or start
    if end < start:
        raise invalid("EndMonth", _("it is before Month."))
    if (end.year - start.year) * 12 + end.month - start.month >= 12:
        raise invalid("EndMonth", _("a range covers at most 12 months."))
    return start, end


def _source(ctx, uins, codes, *, by: str):
    """The rollup that has the columns this question needs: the monthly member totals, the
    monthly product totals, or the daily rollup when it needs both (members and products)."""
    admin = ctx.account.pk
    need_owner = by == "member" or bool(uins)
    need_product = by == "product" or bool(codes)
    if need_owner and need_product:
        rows = DailyCost.objects.filter(payer_id=admin).exclude(owner_id=admin)
    elif need_product:
        rows = PayerProductMonth.objects.filter(payer_id=admin, on_behalf=True)
    else:
        rows = PobMemberMonth.objects.filter(payer_id=admin)
    if uins:
        rows = rows.filter(owner__uin__in=uins)
    if codes:
        rows = rows.filter(product__code__in=codes)
    return rows


def _float(value) -> float:
    return float(value or ZERO)


def _ratio(part, total) -> str:
    return f"{(Decimal(part) * 100 / total):.2f}" if total else "0.00"


def describe_by_member(ctx, p: Params) -> dict:
    start, end = _range(p)
    offset, limit = p.page(max_limit=50)
    uins, codes = _filters(p)
    p.done()
    _require_admin(ctx, "billing.view_finance")
    rows = _source(ctx, uins, codes, by="member").filter(bill_month__gte=start, bill_month__lte=end)
    by_owner = rows.values("owner_id").annotate(cost=Sum(COST)).order_by("-cost", "owner_id")
    total = rows.aggregate(s=Sum(COST))["s"] or ZERO
    page = list(by_owner[offset : offset + limit])
    names = {
        m.account_id: (m.account.uin, m.name)
        for m in Membership.objects.filter(
            account_id__in=[r["owner_id"] for r in page]
        ).select_related("account")
    }
    missing = [r["owner_id"] for r in page if r["owner_id"] not in names]
    for a in Account.objects.filter(pk__in=missing):
        names[a.pk] = (a.uin, a.name)  # former members keep their account name
    return {
        "TotalCost": _float(total),
        "Total": by_owner.count(),
        "Items": [
            {
                "MemberUin": int(names[r["owner_id"]][0]),
                "MemberName": names[r["owner_id"]][1],
                "TotalCost": _float(r["cost"]),
                "Ratio": _ratio(r["cost"] or ZERO, total),
            }
            for r in page
        ],
    }


def describe_by_product(ctx, p: Params) -> dict:
    start, end = _range(p)
    offset, limit = p.page(max_limit=50)
    uins, codes = _filters(p)
    p.done()
    _require_admin(ctx, "billing.view_finance")
    rows = _source(ctx, uins, codes, by="product").filter(
        bill_month__gte=start, bill_month__lte=end
    )
    by_product = rows.values("product_id").annotate(cost=Sum(COST)).order_by("-cost", "product_id")
    total = rows.aggregate(s=Sum(COST))["s"] or ZERO
    page = list(by_product[offset : offset + limit])
    products = Product.objects.in_bulk([r["product_id"] for r in page])
    return {
        "TotalCost": _float(total),
        "Total": by_product.count(),
        "Items": [
            {
                "ProductName": products[r["product_id"]].display_name,
                "ProductCode": products[r["product_id"]].code,
                "TotalCost": _float(r["cost"]),
                "Ratio": _ratio(r["cost"] or ZERO, total),
            }
            for r in page
        ],
    }


def describe_by_month(ctx, p: Params) -> dict:
    months = p.int("Limit", default=6, min=1, max=6)
    end = _month(p, "EndMonth")
    uins, codes = _filters(p)
    p.done()
    _require_admin(ctx, "billing.view_finance")
    end = end or timezone.localdate().replace(day=1)
    wanted = []
    year, month = end.year, end.month
    for _step in range(months + 1):  # one more: the growth of the first month shown
        wanted.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    rows = _source(ctx, uins, codes, by="month").filter(
        bill_month__gte=wanted[-1], bill_month__lte=end
    )
    cost = {
        r["bill_month"]: r["cost"] or ZERO
        for r in rows.values("bill_month").annotate(cost=Sum(COST)).order_by()
    }
    items = []
    for i, month_start in enumerate(reversed(wanted[:-1]), start=1):
        before = month_start.replace(day=1) - dt.timedelta(days=1)
        previous = cost.get(before.replace(day=1), ZERO)
        this = cost.get(month_start, ZERO)
        growth = f"{((this - previous) * 100 / previous):.2f}" if previous else ""
        items.append(
            {
                "Id": i,
                "Month": f"{month_start:%Y-%m}",
                "TotalCost": _float(this),
                "GrowthRate": growth,
            }
        )
    return {"Items": items}


ACTIONS = {
    "DescribeOrganizationFinancialByMember": describe_by_member,
    "DescribeOrganizationFinancialByMonth": describe_by_month,
    "DescribeOrganizationFinancialByProduct": describe_by_product,
}
