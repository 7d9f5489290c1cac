"""B11: building and writing bill lines, and keeping their rollups exact, in the same
transaction.

Callers hold the payer's account lock (every money service locks accounts first), so the
rollup rows of one payer are never updated by two transactions at once. Organization services
that change a member's department (O8), or its membership, call `follow_departments` after
locking the organization and then the payers' accounts, the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.models import (
    BillLine,
    BillSummary,
    CostVersion,
    DailyCost,
    Journal,
    Order,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    Product,
    Region,
    Resource,
    ResourceMonth,
)
from billing.models.rollups import AMOUNTS, TOTALS
from organizations.locks import lock_accounts
from organizations.models import Account, Membership

from . import bulk

# (rollup, its key, whether it holds self-paid lines too)
ROLLUPS = (
    (BillSummary, ("bill_month", "payer_id", "owner_id", "product_id"), True),
    (PayerProductMonth, ("bill_month", "payer_id", "product_id", "on_behalf"), True),
    (PobMemberMonth, ("bill_month", "payer_id", "owner_id", "department_id"), False),
    (PobDepartmentMonth, ("bill_month", "payer_id", "department_id"), False),
    (ResourceMonth, ("bill_month", "payer_id", "owner_id", "resource_id", "product_id"), True),
)


def _add(model, key: dict, totals: dict) -> None:
    """Add `totals` to the rollup row at `key`, creating it the first time."""
    updated = model.objects.filter(**key).update(**{f: F(f) + totals[f] for f in TOTALS})
    if not updated:
        model.objects.create(**key, **totals)


def _sorted(groups: dict):
    return sorted(groups.items(), key=lambda kv: str(kv[0]))


def current_departments(owner_ids: Iterable[int]) -> dict[int, int]:
    """Each account's department now (accounts outside any organization are absent)."""
    return dict(
        Membership.objects.filter(account_id__in=set(owner_ids)).values_list(
            "account_id", "department_id"
        )
    )


def new_line(
    *,
    at: datetime,
    owner: Account,
    payer: Account,
    product: Product,
    resource: Resource | None,
    region: Region,
    billing_mode: str,
    transaction_type: str,
    list_cost: Decimal,
    discount: Decimal,
    voucher_amount: Decimal,
    cash_amount: Decimal,
    created_at: datetime,
    journal: Journal,
    order: Order | None = None,
) -> BillLine:
    """B11: the one builder of a bill line (payments, refund shares, settlements). Every B11
    field is a required keyword, so no caller can forget one; the line is billed in the month
    (console time, UTC+8) of `at`. Not saved: hand the lines to `record_bill_lines`."""
    return BillLine(
        bill_month=timezone.localtime(at).date().replace(day=1),
        owner=owner,
        payer=payer,
        product=product,
        resource=resource,
        region=region,
        billing_mode=billing_mode,
        transaction_type=transaction_type,
        list_cost=list_cost,
        discount=discount,
        voucher_amount=voucher_amount,
        cash_amount=cash_amount,
        created_at=created_at,
        order=order,
        journal=journal,
    )


def current_tag_sets(owner_ids: Iterable[int]) -> dict[int, int]:
    """F11: each member's tag set now (accounts without tags, or outside any organization,
    are absent)."""
    return dict(
        Membership.objects.filter(account_id__in=set(owner_ids), tag_set__isnull=False).values_list(
            "account_id", "tag_set_id"
        )
    )


def record_bill_lines(lines: list[BillLine]) -> list[BillLine]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bill lines are written inside the money transaction")
    tag_sets = current_tag_sets(line.owner_id for line in lines)
    for line in lines:
        line.tag_set_id = tag_sets.get(line.owner_id)  # F11: the tags at the time of spend
    created = BillLine.objects.bulk_create(lines)
    add_to_rollups(lines)
    return created


def add_to_rollups(lines) -> None:
    """Add bill lines just written to every rollup (B11) and to the daily costs (F5): one
    statement per rollup table, whatever the number of lines. `lines` are BillLines or any
    rows with their attributes (`owner_id`, `cash_amount`, …, `tag_set_id` set)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rollups are kept in the money transaction")
    departments = current_departments(
        line.owner_id for line in lines if line.owner_id != line.payer_id
    )
    for model, key, with_self_paid in ROLLUPS:
        groups = defaultdict(lambda: dict.fromkeys(TOTALS, 0))
        for line in lines:
            on_behalf = line.owner_id != line.payer_id
            if not (on_behalf or with_self_paid):
                continue
            values = {"on_behalf": on_behalf, "department_id": departments.get(line.owner_id)}
            k = tuple(values[f] if f in values else getattr(line, f) for f in key)
            for f in AMOUNTS:
                groups[k][f] += getattr(line, f)
            groups[k]["line_count"] += 1
        bulk.add_totals(model, key, TOTALS, groups)
    _add_daily(lines)
    bump_cost_versions({line.payer_id for line in lines})


def bump_cost_versions(payer_ids) -> None:
    """F5/F6: raise the payers' cost versions in the transaction that changed their daily
    rows (callers hold the payers' locks, so a missing row is created by one of them)."""
    payer_ids = sorted(set(payer_ids))
    bumped = CostVersion.objects.filter(payer_id__in=payer_ids).update(version=F("version") + 1)
    if bumped < len(payer_ids):
        have = set(
            CostVersion.objects.filter(payer_id__in=payer_ids).values_list("payer_id", flat=True)
        )
        CostVersion.objects.bulk_create(
            [CostVersion(payer_id=p, version=1) for p in payer_ids if p not in have]
        )


def line_day(line: BillLine):
    """F5: the console day (UTC+8) of a line's time."""
    return timezone.localtime(line.created_at).date()


def _add_daily(lines) -> None:
    """F5: the daily rollup, in the same transaction and under the same payer lock."""
    groups = defaultdict(lambda: dict.fromkeys(TOTALS, 0))
    for line in lines:
        values = {"day": line_day(line)}
        k = tuple(values[f] if f in values else getattr(line, f) for f in DailyCost.KEY)
        for f in AMOUNTS:
            groups[k][f] += getattr(line, f)
        groups[k]["line_count"] += 1
    bulk.add_totals(DailyCost, DailyCost.KEY, TOTALS, groups)


def daily_source(lines):
    """F5: bill lines grouped at the daily rollup's key (check_books and the rebuild)."""
    return (
        lines.annotate(day=TruncDate("created_at"))
        .values(*DailyCost.KEY)
        .annotate(
            **{f"sum_{f}": Sum(f) for f in AMOUNTS},
            n=Count("pk"),
        )
        .order_by()
    )


def rebuild_daily_costs() -> None:
    """F5: recompute the daily rollup from the bill lines (bulk loads): one INSERT … SELECT
    compiled by the ORM from `daily_source`, so the grouping is the one check_books uses.
    Every payer's cost version is raised: no cached analysis (F6) survives it."""
    rebuild_daily_rows()
    # every cached analysis is stale: raise every payer's version, and start the new payers'
    payers = set(DailyCost.objects.values_list("payer_id", flat=True).distinct())
    CostVersion.objects.update(version=F("version") + 1)
    have = set(CostVersion.objects.values_list("payer_id", flat=True))
    CostVersion.objects.bulk_create([CostVersion(payer_id=p, version=1) for p in payers - have])


def rebuild_daily_rows() -> None:
    """The rebuild's rows only (migration 0014 runs before the cost versions exist)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rollups are rebuilt in one transaction")
    DailyCost.objects.all().delete()
    sql, params = daily_source(BillLine.objects.all()).query.sql_with_params()
    columns = ", ".join((*DailyCost.KEY, *TOTALS))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {DailyCost._meta.db_table} ({columns}) {sql}", params)


def follow_departments(owner_ids: Iterable[int]) -> None:
    """O8 moves, joins and departures: move the members' pay-on-behalf totals to the
    department each is in now (none when it left), so department subtrees add up to what
    their current members cost. Callers hold the organization lock; this locks the payers."""
    owner_ids = sorted(set(owner_ids))
    if not owner_ids:
        return
    payer_ids = sorted(
        set(
            PobMemberMonth.objects.filter(owner_id__in=owner_ids).values_list("payer_id", flat=True)
        )
    )
    if not payer_ids:
        return
    lock_accounts(*Account.objects.filter(pk__in=payer_ids).order_by("pk"))
    now = current_departments(owner_ids)
    stale = list(
        PobMemberMonth.objects.filter(owner_id__in=owner_ids)
        .order_by("payer_id", "bill_month", "owner_id")
        .values("pk", "payer_id", "bill_month", "owner_id", "department_id", *TOTALS)
    )
    moves = defaultdict(lambda: dict.fromkeys(TOTALS, 0))
    moved = defaultdict(list)
    for row in stale:
        new = now.get(row["owner_id"])
        if row["department_id"] == new:
            continue
        moved[new].append(row["pk"])
        for dept, sign in ((row["department_id"], -1), (new, 1)):
            key = (row["payer_id"], row["bill_month"], dept)
            for f in TOTALS:
                moves[key][f] += sign * row[f]
    for new, pks in _sorted(moved):
        PobMemberMonth.objects.filter(pk__in=pks).update(department_id=new)
    for (payer_id, month, dept), totals in _sorted(moves):
        if any(totals.values()):
            _add(
                PobDepartmentMonth,
                {"payer_id": payer_id, "bill_month": month, "department_id": dept},
                totals,
            )


def forget_department(department_id: int) -> None:
    """O3: a department is deleted only when empty; its rollup rows then hold zeros."""
    PobDepartmentMonth.objects.filter(department_id=department_id).delete()
    PobMemberMonth.objects.filter(department_id=department_id).update(department_id=None)


# Each rollup from the finest (ResourceMonth, the one read of the lines) to the coarsest, each
# from the one before it; rows in their unique key's order, so inserts append to its index.
ROLLUP_SQL = {
    ResourceMonth: """
        SELECT bill_month, payer_id, owner_id, resource_id, product_id, {sums}
        FROM {line} GROUP BY bill_month, payer_id, owner_id, resource_id, product_id
        ORDER BY payer_id, owner_id, bill_month, resource_id, product_id""",
    BillSummary: """
        SELECT bill_month, payer_id, owner_id, product_id, {totals}
        FROM {resourcemonth} GROUP BY bill_month, payer_id, owner_id, product_id
        ORDER BY payer_id, bill_month, owner_id, product_id""",
    PayerProductMonth: """
        SELECT bill_month, payer_id, product_id, owner_id <> payer_id, {totals}
        FROM {billsummary} GROUP BY bill_month, payer_id, product_id, owner_id <> payer_id
        ORDER BY payer_id, bill_month, owner_id <> payer_id, product_id""",
    PobMemberMonth: """
        SELECT s.bill_month, s.payer_id, s.owner_id, m.department_id, {stotals}
        FROM {billsummary} s LEFT JOIN {membership} m ON m.account_id = s.owner_id
        WHERE s.owner_id <> s.payer_id
        GROUP BY s.bill_month, s.payer_id, s.owner_id, m.department_id
        ORDER BY s.payer_id, s.bill_month, s.owner_id""",
    PobDepartmentMonth: """
        SELECT bill_month, payer_id, department_id, {totals}
        FROM {pobmember} GROUP BY bill_month, payer_id, department_id
        ORDER BY payer_id, bill_month, department_id""",
}


def rebuild_rollups(*, resource_months_loaded: bool = False) -> None:
    """Recompute every rollup from the bill lines in the database (bulk loads, `seed_scale`).
    Each rollup is summed from the one before it (`ROLLUP_SQL`), the first from the lines;
    `resource_months_loaded`: a bulk loader has written `ResourceMonth` while streaming the
    lines, and the rest is summed from it. Fixed SQL over table names from the models;
    nothing in it comes from input."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rollups are rebuilt in one transaction")
    names = {
        "line": BillLine._meta.db_table,
        "membership": Membership._meta.db_table,
        "resourcemonth": ResourceMonth._meta.db_table,
        "billsummary": BillSummary._meta.db_table,
        "pobmember": PobMemberMonth._meta.db_table,
        "sums": ", ".join(f"SUM({f})" for f in AMOUNTS) + ", COUNT(*)",
        "totals": ", ".join(f"SUM({f})" for f in TOTALS),
        "stotals": ", ".join(f"SUM(s.{f})" for f in TOTALS),
    }
    keys = {model: key for model, key, _self_paid in ROLLUPS}
    with connection.cursor() as cursor:
        rebuilt = [m for m in ROLLUP_SQL if not (resource_months_loaded and m is ResourceMonth)]
        for model in rebuilt:
            model.objects.all().delete()
        for model in rebuilt:
            select = ROLLUP_SQL[model]
            columns = ", ".join((*keys[model], *TOTALS))
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({columns}) {select.format(**names)}"
            )
