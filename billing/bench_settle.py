"""Measure pay-as-you-go settlement (issue 16, B8) in the current PostgreSQL database.

`measure_settlement(write)` adds an organization-shaped load: an admin account paying on behalf
of nine members in ten (the tenth pays for itself), each member running
`resources_per_member` hourly pay-as-you-go resources for `hours` hours not yet settled; a
third of the members have a contract discount, the admin a voucher (no resource packs: they
are per owner and product and rare at this scale; the tests cover them). It then times
`settle_due`'s engine over the backlog and, for comparison, the physical floor: the same
rows (journals, entries, bill lines, rollups, settlements) written by one hand-written
set-based statement per table, in a transaction that is rolled back. It reports cycles a
second, the settle/floor ratio and the projected minutes for a one-day backlog of a
10,000-member organization (10,000 × 5 hourly resources × 24 cycles = 1.2 M cycles).

The load stays in the database (the ledger is append-only): run it on a scratch or bench
database. Standalone: `DATABASE_URL=postgres://… manage.py bench_settle [--members 2000
--hours 4]`, or from Python `measure_settlement(print)`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from billing.catalog import ensure_catalog
from billing.models import (
    BillSummary,
    DailyCost,
    Offer,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    Region,
    Resource,
    ResourceMonth,
    Spec,
    UsageSettlement,
    Voucher,
)
from billing.models.choices import BillingMode, OfferKind, ResourceStatus
from billing.scale.loading import join_members
from billing.scale.shape import SELF_PAY_EVERY
from billing.services import settlement_batch, wallets
from billing.services.payg import cycle_bounds
from organizations.models import Account, Department, Membership, Organization

ONE_DAY_CYCLES = 10_000 * 5 * 24  # the 10,000-member organization's one-day backlog
HOURLY_SPECS = ("S5.SMALL2", "S5.MEDIUM4", "CLB-STANDARD", "S5.LARGE8", "CLB-PERFORMANCE")


def build_load(*, members: int, resources_per_member: int, hours: int, now: datetime) -> dict:
    """The organization and its `members × resources_per_member` hourly resources, each with
    `hours` whole cycles due at `now`. Accounts, memberships and resources go in with
    bulk_create; money only through the services (top-ups), so `check_books` holds."""
    ensure_catalog()
    run = random.randrange(100, 1000)
    while Account.objects.filter(uin__startswith=f"7{run}").exists():
        run = random.randrange(100, 1000)
    start = cycle_bounds("hourly", now)[0] - timedelta(hours=hours)
    joined = start - timedelta(days=1)
    admin = Account.objects.create(uin=f"7{run}00000000", name=f"Settle bench {run}")
    org = Organization.objects.create(admin_account=admin, member_limit=members + 1)
    root = Department.objects.create(organization=org, name="Root", depth=0)
    root.path = f"{root.pk}/"
    root.save(update_fields=["path"])
    depts = Department.objects.bulk_create(
        Department(organization=org, parent=root, name=f"Division {i + 1:02d}", depth=1)
        for i in range(10)
    )
    for d in depts:
        d.path = f"{root.path}{d.pk}/"
    Department.objects.bulk_update(depts, ["path"])
    Membership.objects.create(
        organization=org,
        account=admin,
        member_type="admin",
        department=root,
        name=f"bench-admin-{run}",
        joined_at=joined,
    )
    accounts = Account.objects.bulk_create(
        [Account(uin=f"7{run}{i + 1:08d}", name=f"bench-member-{i + 1}") for i in range(members)],
        batch_size=5000,
    )

    join_members(org, accounts, depts, admin_account=admin, self_pay=[1, 2], joined=joined)
    specs = {
        s.code: s for s in Spec.objects.filter(code__in=HOURLY_SPECS).select_related("product")
    }
    region = Region.objects.order_by("pk").first()
    Resource.objects.bulk_create(
        [
            Resource(
                instance_id=f"ins-b{run}{i:06d}{k}",
                owner=a,
                product=(spec := specs[HOURLY_SPECS[k % len(HOURLY_SPECS)]]).product,
                spec=spec,
                region=region,
                billing_mode=BillingMode.PAYG,
                status=ResourceStatus.ACTIVE,
                period_start=start,
                settled_until=start,
                meter_seed=random.randrange(2**31),
            )
            for i, a in enumerate(accounts)
            for k in range(resources_per_member)
        ],
        batch_size=5000,
    )
    # B3: a contract discount on the admin's members' CVM (their own offers); B15: a voucher
    Offer.objects.bulk_create(
        Offer(account=a, product=specs["S5.SMALL2"].product, kind=OfferKind.CONTRACT, rate="0.85")
        for i, a in enumerate(accounts)
        if i % 3 == 0
    )
    Voucher.objects.create(
        account=admin,
        code=f"BENCH-{run}",
        face_value=Decimal("500.00"),
        remaining=Decimal("500.00"),
        valid_from=joined,
        valid_until=now + timedelta(days=30),
    )
    # cash for a week of everything, so nothing goes into arrears mid-bench
    week = Decimal(members * resources_per_member * 24 * 7) * Decimal("0.6")
    for i, a in enumerate([admin, *accounts]):
        if a is admin or i % SELF_PAY_EVERY == 0:  # the admin and the self-pay members
            share = week if a is admin else week / members
            while share > 0:
                amount = min(share, wallets.MAX_TOP_UP)
                wallets.wallet_top_up(
                    account=a, amount=amount.quantize(Decimal("0.01")), acting_user=None
                )
                share -= amount
    return {
        "organization": org,
        "payer": admin,
        "start": start,
        "cycles": members * resources_per_member * hours,
        "resources": members * resources_per_member,
    }


# The floor: the rows settlement wrote, written again by one set-based statement per table from
# arrays of the settled cycles (unnest), keys moved 100 years on so they meet no real row; the
# deferred checks (foreign keys, balanced journals) run before the transaction is rolled back.
FLOOR_SQL = {
    "journals": """
        INSERT INTO billing_journal (id, kind, created_at, memo)
        SELECT %(base)s + g, 'settlement', %(now)s, 'floor ' || g
        FROM generate_series(1, %(n)s) g""",
    "entries": """
        WITH u AS (
            SELECT * FROM unnest(%(rid)s::bigint[], %(oid)s::bigint[], %(pid)s::bigint[],
                %(cash)s::numeric[], %(vouch)s::numeric[], %(payable)s::numeric[])
            WITH ORDINALITY AS u(rid, oid, pid, cash, vouch, payable, n))
        INSERT INTO billing_entry (journal_id, book, account_id, amount, balance_after,
            owner_id, resource_id, voucher_id, created_at)
        SELECT %(base)s + n, 'cash', pid, -cash, -cash, oid, rid, NULL, %(now)s
            FROM u WHERE cash <> 0
        UNION ALL SELECT %(base)s + n, 'voucher_funding', pid, -vouch, NULL, oid, NULL,
            %(voucher)s, %(now)s FROM u WHERE vouch <> 0
        UNION ALL SELECT %(base)s + n, 'revenue', NULL, payable, NULL, oid, rid, NULL, %(now)s
            FROM u""",
    "bill lines": """
        INSERT INTO billing_billline (bill_month, owner_id, payer_id, product_id, resource_id,
            region_id, billing_mode, transaction_type, list_cost, discount, voucher_amount,
            cash_amount, created_at, journal_id)
        SELECT (date_trunc('month', start AT TIME ZONE %(tz)s) + interval '100 years')::date,
            oid, pid, prod, rid, reg, 'payg', 'settlement', list, disc, vouch, cash, %(now)s,
            %(base)s + n
        FROM unnest(%(rid)s::bigint[], %(oid)s::bigint[], %(pid)s::bigint[],
            %(prod)s::bigint[], %(reg)s::bigint[], %(start)s::timestamptz[],
            %(list)s::numeric[], %(disc)s::numeric[], %(vouch)s::numeric[], %(cash)s::numeric[])
            WITH ORDINALITY AS u(rid, oid, pid, prod, reg, start, list, disc, vouch, cash, n)""",
    "settlements": """
        INSERT INTO billing_usagesettlement (resource_id, cycle_start, cycle_end, owner_id,
            payer_id, quantity, pack_quantity, list_cost, discount, voucher_amount, cash_amount,
            journal_id, settled_at)
        SELECT rid, start + interval '100 years', finish + interval '100 years', oid, pid, qty,
            0, list, disc, vouch, cash, jid, %(now)s
        FROM unnest(%(s_rid)s::bigint[], %(s_start)s::timestamptz[], %(s_end)s::timestamptz[],
            %(s_oid)s::bigint[], %(s_pid)s::bigint[], %(s_qty)s::numeric[],
            %(s_list)s::numeric[], %(s_disc)s::numeric[], %(s_vouch)s::numeric[],
            %(s_cash)s::numeric[], %(s_jid)s::bigint[])
            AS u(rid, start, finish, oid, pid, qty, list, disc, vouch, cash, jid)""",
}
SUMS = "SUM(list_cost), SUM(discount), SUM(voucher_amount), SUM(cash_amount), COUNT(*)"
# the floor's lines: those after the last line before it (its journals' lines, by the primary
# key: bill lines have no journal index)
LINES = "(SELECT * FROM billing_billline WHERE id > %(lines_after)s)"
FLOOR_ROLLUPS = {
    BillSummary: f"""
        INSERT INTO billing_billsummary (bill_month, payer_id, owner_id, product_id,
            list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT bill_month, payer_id, owner_id, product_id, {SUMS} FROM {LINES} l
        GROUP BY bill_month, payer_id, owner_id, product_id""",
    PayerProductMonth: f"""
        INSERT INTO billing_payerproductmonth (bill_month, payer_id, product_id, on_behalf,
            list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT bill_month, payer_id, product_id, owner_id <> payer_id, {SUMS} FROM {LINES} l
        GROUP BY bill_month, payer_id, product_id, owner_id <> payer_id""",
    PobMemberMonth: f"""
        INSERT INTO billing_pobmembermonth (bill_month, payer_id, owner_id, department_id,
            list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT l.bill_month, l.payer_id, l.owner_id, m.department_id, {SUMS} FROM {LINES} l
        LEFT JOIN organizations_membership m ON m.account_id = l.owner_id
        WHERE l.owner_id <> l.payer_id
        GROUP BY l.bill_month, l.payer_id, l.owner_id, m.department_id""",
    PobDepartmentMonth: f"""
        INSERT INTO billing_pobdepartmentmonth (bill_month, payer_id, department_id,
            list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT l.bill_month, l.payer_id, m.department_id, {SUMS} FROM {LINES} l
        LEFT JOIN organizations_membership m ON m.account_id = l.owner_id
        WHERE l.owner_id <> l.payer_id
        GROUP BY l.bill_month, l.payer_id, m.department_id""",
    ResourceMonth: f"""
        INSERT INTO billing_resourcemonth (bill_month, payer_id, owner_id, resource_id,
            product_id, list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT bill_month, payer_id, owner_id, resource_id, product_id, {SUMS} FROM {LINES} l
        GROUP BY bill_month, payer_id, owner_id, resource_id, product_id""",
    DailyCost: f"""
        INSERT INTO billing_dailycost (day, bill_month, payer_id, owner_id, product_id,
            region_id, billing_mode, transaction_type, tag_set_id,
            list_cost, discount, voucher_amount, cash_amount, line_count)
        SELECT (created_at AT TIME ZONE %(tz)s)::date + 36525, bill_month, payer_id, owner_id,
            product_id, region_id, billing_mode, transaction_type, tag_set_id, {SUMS}
        FROM {LINES} l
        GROUP BY 1, bill_month, payer_id, owner_id, product_id, region_id, billing_mode,
            transaction_type, tag_set_id""",
}


def _ordinals(journal_ids) -> list[int | None]:
    """Each settled cycle's journal as its rank among the charged ones (1, 2, …), or None."""
    ranks, n = [], 0
    for journal_id in journal_ids:
        if journal_id is None:
            ranks.append(None)
        else:
            n += 1
            ranks.append(n)
    return ranks


def _floor_params(resource_ids: list[int], voucher_id: int, now: datetime) -> dict:
    """Arrays of what the run settled, in its order (read before the floor is timed)."""
    settled = list(
        UsageSettlement.objects.filter(resource_id__in=resource_ids)
        .order_by("pk")
        .values_list(
            "resource_id",
            "cycle_start",
            "cycle_end",
            "owner_id",
            "payer_id",
            "quantity",
            "list_cost",
            "discount",
            "voucher_amount",
            "cash_amount",
            "journal_id",
            "resource__product_id",
            "resource__region_id",
        )
    )
    charged = [s for s in settled if s[10] is not None]
    column = list(zip(*settled, strict=True)) if settled else [[]] * 13
    paid = list(zip(*charged, strict=True)) if charged else [[]] * 13
    return {
        "n": len(charged),
        "now": now,
        "tz": timezone.get_current_timezone_name(),
        "voucher": voucher_id,
        "rid": list(paid[0]),
        "oid": list(paid[3]),
        "pid": list(paid[4]),
        "prod": list(paid[11]),
        "reg": list(paid[12]),
        "start": list(paid[1]),
        "list": list(paid[6]),
        "disc": list(paid[7]),
        "vouch": list(paid[8]),
        "cash": list(paid[9]),
        "payable": [lc - d for lc, d in zip(paid[6], paid[7], strict=True)],
        "s_rid": list(column[0]),
        "s_start": list(column[1]),
        "s_end": list(column[2]),
        "s_oid": list(column[3]),
        "s_pid": list(column[4]),
        "s_qty": list(column[5]),
        "s_list": list(column[6]),
        "s_disc": list(column[7]),
        "s_vouch": list(column[8]),
        "s_cash": list(column[9]),
        "s_jn": _ordinals(column[10]),
    }


def floor_seconds(resource_ids: list[int], voucher_id: int) -> tuple[float, dict[str, int]]:
    """Time the physical floor for the rows the run wrote; returns (seconds, rows per table).
    Everything is rolled back."""
    params = _floor_params(resource_ids, voucher_id, timezone.now())
    rows = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM billing_billline")  # not timed
        params["lines_after"] = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('billing_journal', 'id'), "
            "nextval(pg_get_serial_sequence('billing_journal', 'id')) + %s)",
            [params["n"]],
        )
        params["base"] = cursor.fetchone()[0] - params["n"]
        params["s_jid"] = [None if n is None else params["base"] + n for n in params["s_jn"]]
        for name, sql in FLOOR_SQL.items():
            cursor.execute(sql, params)
            rows[name] = cursor.rowcount
        for model, sql in FLOOR_ROLLUPS.items():
            cursor.execute(sql, params)
            rows[model._meta.db_table] = cursor.rowcount
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks a commit would run
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, rows


def measure_settlement(
    write: Callable[[str], object] = print,
    *,
    members: int = 2_000,
    resources_per_member: int = 5,
    hours: int = 4,
) -> dict:
    """Time `settle_due`'s engine over a fresh backlog of `members × resources_per_member ×
    hours` hourly cycles (default 40,000) and the physical floor for the same rows; write a
    summary line by line and return the numbers."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the settlement bench measures PostgreSQL: set DATABASE_URL")
    now = timezone.now()
    write(f"settle bench: loading {members} members × {resources_per_member} × {hours} h …")
    load = build_load(
        members=members, resources_per_member=resources_per_member, hours=hours, now=now
    )
    resource_ids = list(
        Resource.objects.filter(owner__membership__organization=load["organization"])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    started = time.perf_counter()
    # settle_due is this with every due resource: the bench keeps to its own
    settled = settlement_batch.settle(until=now, resource_ids=resource_ids)
    settle_s = time.perf_counter() - started
    voucher = Voucher.objects.get(account=load["payer"])
    floor_s, rows = floor_seconds(resource_ids, voucher.pk)
    rate = settled / settle_s if settle_s else 0.0
    result = {
        "cycles": settled,
        "settle_seconds": round(settle_s, 2),
        "cycles_per_second": round(rate, 1),
        "floor_seconds": round(floor_s, 2),
        "floor_cycles_per_second": round(settled / floor_s, 1) if floor_s else None,
        "settle_floor_ratio": round(settle_s / floor_s, 2) if floor_s else None,
        "one_day_backlog_cycles": ONE_DAY_CYCLES,
        "one_day_backlog_minutes": round(ONE_DAY_CYCLES / rate / 60, 1) if rate else None,
        "floor_rows": rows,
    }
    write(
        f"settle bench: {settled} cycles in {settle_s:.1f} s = {rate:.0f} cycles/s; floor "
        f"{floor_s:.1f} s (ratio {result['settle_floor_ratio']}); one-day backlog of "
        f"{ONE_DAY_CYCLES:,} cycles ≈ {result['one_day_backlog_minutes']} min"
    )
    return result
