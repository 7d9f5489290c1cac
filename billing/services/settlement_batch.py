"""B8 at volume (issue 16): pay-as-you-go cycles settled many at a time, one durable
transaction per batch of cycles (of one large paying account, or of several small ones), with
the same result as settling them one at a time (`settlement.settle_cycle`) in a fixed order.
docs/usage.md ("Settlement in batches") has the design; in short:

- **Plan** (`settle`): the due cycles of every resource, cut into *windows* at each moment an
  owner's payer changes (O11), so that inside a window each owner has one payer. Window by
  window, each payer's cycles, resource by resource (primary key) and oldest first, are
  settled in batches of up to `BATCH_CYCLES` (small payers share one). The order the result
  equals is therefore: window by window, resources by primary key, each resource's cycles
  oldest first (two payers never share a wallet, a voucher or, inside a window, an owner's
  packs, so their cycles commute).
- **Batch** (`settle_payers`, `settle_cycles` for one payer): the lock order of
  `organizations.locks` (accounts by primary key, the payers' wallets, resources by primary
  key, the owners' packs, the payers' vouchers); cycles already settled are skipped under
  those locks (a second worker, a rerun); set-based reads (status history, packs, vouchers,
  offers, tags); then each cycle in order, in memory, exactly as `settle_cycle` computes it
  (meter, packs earliest expiry first, price, the voucher expiring first, cash even below
  zero); then one set-based write per table: a journal per charged cycle with its entries
  (the ledger reads as one by one), bill lines, settlements, the rollups, and B9's reconcile
  as the one-by-one run would have called it (recover while the payer was out of arrears,
  then suspend once it fell in).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import (
    BillLine,
    Entry,
    Journal,
    Resource,
    ResourcePack,
    ResourceStatusChange,
    UsageSettlement,
    Voucher,
    Wallet,
)
from billing.models.choices import BillingMode, Book, JournalKind, TransactionType
from billing.money import ZERO
from organizations.locks import lock_accounts
from organizations.models import Account, MembershipPeriod

from . import bills, bulk, lifecycle, pricing
from .ledger import lock_wallets
from .payg import cycle_bounds, meter

BATCH_CYCLES = 2000  # cycles per transaction: a payer's lock is held for about a second
EPSILON = timedelta(microseconds=1)  # the database's resolution

Cycle = tuple[int, datetime, datetime]  # (resource id, start, end)


# ------------------------------------------------------------------ who pays (B8, O11)


def periods_of(owner_ids: Iterable[int]) -> dict[int, list[tuple]]:
    """Each account's membership periods, oldest first: (start, end or None, payer id or None)."""
    periods = defaultdict(list)
    rows = (
        MembershipPeriod.objects.filter(account_id__in=set(owner_ids))
        .order_by("account_id", "started_at", "pk")
        .values_list("account_id", "started_at", "ended_at", "payer_id")
    )
    for account_id, start, end, payer_id in rows:
        periods[account_id].append((start, end, payer_id))
    return periods


def payer_id_at(periods: list[tuple], owner_id: int, moment: datetime) -> int:
    """B8, O11: who paid for the owner at `moment`: the payer of the latest-started membership
    period covering it, or else the owner itself."""
    best = None
    for start, end, payer_id in periods:
        covers = start <= moment and (end is None or end > moment)
        if covers and (best is None or start > best[0]):
            best = (start, payer_id)
    return best[1] if best is not None and best[1] is not None else owner_id


def _cuts(owner_ids, periods, since: datetime, until: datetime) -> list[datetime]:
    """The moments in (since, until] at which some owner's payer changes: windows start there."""
    cuts = set()
    for owner_id in owner_ids:
        mine = periods.get(owner_id, ())
        for start, end, _payer in mine:
            for moment in (start, end):
                if moment is None or not since < moment <= until:
                    continue
                if payer_id_at(mine, owner_id, moment) != payer_id_at(
                    mine, owner_id, moment - EPSILON
                ):
                    cuts.add(moment)
    return sorted(cuts)


# ------------------------------------------------------------------ the plan


def _next(cycle, cursor, ended_at, until, hi) -> tuple[datetime, datetime] | None:
    """The resource's cycle starting at `cursor` if it is due (ended by `until`, started
    before the resource ended: `payg.cycles_due`) and ends in the window (before `hi`)."""
    start, end = cycle_bounds(cycle, cursor)
    if end > until or (ended_at is not None and start >= ended_at):
        return None
    return None if hi is not None and end >= hi else (start, end)


def settle(
    *,
    until: datetime,
    resource_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_cycles: int | None = None,
) -> int:
    """Settle every whole cycle that ended by `until` of the pay-as-you-go resources (or of
    `resource_ids`), in batches of `batch_cycles` (default `BATCH_CYCLES`); returns how many
    cycles this call settled (cycles settled by another worker meanwhile are skipped).
    `progress(done, total)` counts resources (once per window of the plan)."""
    batch_cycles = batch_cycles or BATCH_CYCLES
    due = Resource.objects.filter(billing_mode=BillingMode.PAYG).filter(
        Q(settled_until__isnull=True) | Q(settled_until__lt=until)
    )
    if resource_ids is not None:
        due = due.filter(pk__in=list(resource_ids))
    rows = list(
        due.order_by("pk").values_list(
            "pk", "owner_id", "product__payg_cycle", "settled_until", "period_start", "ended_at"
        )
    )
    cursors = {
        pk: settled or cycle_bounds(cycle, start)[0] for pk, _o, cycle, settled, start, _e in rows
    }
    periods = periods_of(owner for _pk, owner, *_rest in rows)
    since = min(cursors.values(), default=until)
    cuts = _cuts({r[1] for r in rows}, periods, since, until)
    windows = list(zip([None, *cuts], [*cuts, None], strict=True))
    total, done, settled = len(rows) * len(windows), 0, 0
    for _lo, hi in windows:
        by_payer = defaultdict(list)
        for row in rows:
            pk, owner_id, cycle, _settled, _start, ended_at = row
            if (due := _next(cycle, cursors[pk], ended_at, until, hi)) is None:
                done += 1  # nothing due in this window
                continue
            # B8, O11: the payer at the cycle's end, the same for all of this window's cycles
            by_payer[payer_id_at(periods.get(owner_id, ()), owner_id, due[1])].append(row)
        pending, size = [], 0  # payers' cycles for the next transaction
        for payer_id in sorted(by_payer):
            batch: list[Cycle] = []
            for pk, _owner, cycle, _settled, _start, ended_at in by_payer[payer_id]:
                while (due := _next(cycle, cursors[pk], ended_at, until, hi)) is not None:
                    batch.append((pk, *due))
                    cursors[pk] = due[1]
                    if size + len(batch) >= batch_cycles:
                        settled += settle_payers(batches=[*pending, (payer_id, batch)])
                        pending, size, batch = [], 0, []
                        if progress is not None:
                            progress(done, total)
                done += 1
            if batch:
                pending.append((payer_id, batch))
                size += len(batch)
        if pending:  # a window's cycles are all settled before the next window's
            settled += settle_payers(batches=pending)
        if progress is not None:
            progress(done, total)
    if progress is not None and done < total:
        progress(total, total)
    return settled


# ------------------------------------------------------------------ one batch


class _Line(NamedTuple):
    """A bill line (B11) as written by COPY and read by the rollups."""

    bill_month: object
    owner_id: int
    payer_id: int
    product_id: int
    resource_id: int
    region_id: int
    billing_mode: str
    transaction_type: str
    list_cost: object
    discount: object
    voucher_amount: object
    cash_amount: object
    created_at: datetime
    journal_id: int
    tag_set_id: int | None


JOURNAL_COLUMNS = ("id", "kind", "created_at", "memo")
ENTRY_COLUMNS = (
    "journal_id",
    "book",
    "account_id",
    "amount",
    "balance_after",
    "owner_id",
    "resource_id",
    "voucher_id",
    "created_at",
)
SETTLEMENT_COLUMNS = (
    "resource_id",
    "cycle_start",
    "cycle_end",
    "owner_id",
    "payer_id",
    "quantity",
    "pack_quantity",
    "list_cost",
    "discount",
    "voucher_amount",
    "cash_amount",
    "journal_id",
    "settled_at",
)


class _Locked(NamedTuple):
    accounts: dict[int, Account]
    wallets: dict[int, Wallet]
    resources: dict[int, Resource]


def _lock(payer_ids: list[int], resource_ids: list[int]) -> _Locked:
    """`organizations.locks`' order: accounts (the payers and the owners) by primary key, the
    payers' wallets, the resources by primary key."""
    owner_ids = set(Resource.objects.filter(pk__in=resource_ids).values_list("owner_id", flat=True))
    accounts = Account.objects.in_bulk(owner_ids | set(payer_ids))
    lock_accounts(*accounts.values())
    wallets = lock_wallets(*(accounts[p] for p in payer_ids))
    resources = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("product", "spec")
        .filter(pk__in=resource_ids)
        .order_by("pk")
    )
    return _Locked(accounts, wallets, {r.pk: r for r in resources})


def _draw_packs(packs, quantity, start, end):
    """B8: the owner's own packs, earliest expiry first, absorb the usage; as
    `settlement._absorb_with_packs`, on packs read (and locked) once for the batch."""
    absorbed = ZERO
    touched = []
    for pack in packs:
        if quantity - absorbed <= 0:
            break
        if pack.remaining <= 0 or pack.valid_from > end or pack.valid_until <= start:
            continue
        take = min(pack.remaining, quantity - absorbed)
        pack.remaining -= take
        absorbed += take
        touched.append(pack)
    return absorbed, touched


def _pick_voucher(vouchers, product_id, payable, end):
    """B15 as `pricing.pick_voucher` at the cycle's end, on the payer's vouchers read (and
    locked) once for the batch, in their order (expiring first)."""
    if payable <= 0:
        return None
    for v in vouchers:
        if (
            v.remaining > 0
            and v.valid_from <= end < v.valid_until
            and v.min_order_amount <= payable
            and v.product_id in (None, product_id)
        ):
            return v
    return None


def settle_cycles(*, payer_id: int, cycles: list[Cycle]) -> int:
    """Settle `cycles` ((resource id, start, end), in the order given), each charged to
    `payer_id`, the account paying for its owner at its end (the caller's plan, O11). Cycles
    already settled are skipped; returns how many this call settled."""
    return settle_payers(batches=[(payer_id, cycles)])


@transaction.atomic(durable=True)
def settle_payers(*, batches: list[tuple[int, list[Cycle]]]) -> int:
    """`settle_cycles` for several payers in one transaction (`batches`: (payer id, its
    cycles in order), each payer once), so that many small payers (self-pay members) share one
    commit. Payers share no wallet, voucher or owner here (the plan's windows), so settling
    them together is settling them one after the other."""
    cycles = [c for _payer, mine in batches for c in mine]
    resource_ids = sorted({pk for pk, _s, _e in cycles})
    payer_ids = sorted({payer_id for payer_id, _mine in batches})
    locked = _lock(payer_ids, resource_ids)
    resources, wallets = locked.resources, locked.wallets
    first, last = min(c[1] for c in cycles), max(c[2] for c in cycles)
    done = set(
        UsageSettlement.objects.filter(
            resource_id__in=resource_ids, cycle_start__gte=first, cycle_start__lt=last
        ).values_list("resource_id", "cycle_start")
    )
    todo = [
        (payer_id, pk, start, end)
        for payer_id, mine in batches
        for pk, start, end in mine
        if (pk, start) not in done
        and (resources[pk].ended_at is None or start < resources[pk].ended_at)
    ]
    if not todo:
        return 0
    changes = defaultdict(list)
    for change in ResourceStatusChange.objects.filter(
        resource_id__in=resource_ids, at__lt=last
    ).order_by("resource_id", "at", "pk"):
        changes[change.resource_id].append(change)
    owner_ids = {r.owner_id for r in resources.values()}
    products = {r.product_id: r.product for r in resources.values()}
    packs = defaultdict(list)
    for pack in (
        ResourcePack.objects.select_for_update(no_key=True)
        .filter(owner_id__in=owner_ids, product_id__in=products, remaining__gt=0)
        .filter(valid_from__lte=last, valid_until__gt=first)
        .order_by("valid_until", "pk")
    ):
        packs[pack.owner_id, pack.product_id].append(pack)
    vouchers = defaultdict(list)
    for voucher in (
        Voucher.objects.select_for_update(no_key=True)
        .filter(account_id__in=payer_ids, remaining__gt=0)
        .filter(valid_from__lte=last, valid_until__gt=first)
        .order_by("valid_until", "pk")
    ):
        vouchers[voucher.account_id].append(voucher)
    rates = pricing.rates_for_owners(
        [locked.accounts[o] for o in owner_ids], list(products.values())
    )
    tag_sets = bills.current_tag_sets(owner_ids)
    now = timezone.now()
    charged, settlements, settled_until = [], [], {}
    touched_packs, touched_vouchers = {}, {}
    arrears = defaultdict(list)  # each payer's B9 state after each cycle that took cash
    for payer_id, pk, start, end in todo:
        res, wallet = resources[pk], wallets[payer_id]
        quantity = meter(res, start, end, changes[pk])
        absorbed, drawn = _draw_packs(packs[res.owner_id, res.product_id], quantity, start, end)
        touched_packs.update((p.pk, p) for p in drawn)
        price = pricing.price(
            locked.accounts[res.owner_id],
            res.product,
            (quantity - absorbed) * res.spec.payg_price,
            rate=rates[res.owner_id, res.product_id],
        )
        voucher = _pick_voucher(vouchers[payer_id], res.product_id, price.payable, end)
        voucher_amount = min(voucher.remaining, price.payable) if voucher else ZERO
        cash = price.payable - voucher_amount
        balance = None
        if cash:
            # ledger.post's cash line: F13, own cash is spent first
            wallet.cash -= cash
            wallet.transferred_in = max(min(wallet.transferred_in, wallet.cash), ZERO)
            balance = wallet.cash
        if voucher_amount:
            voucher.remaining -= voucher_amount
            touched_vouchers[voucher.pk] = voucher
        if cash > 0:
            arrears[payer_id].append(wallet.in_arrears)
        if price.payable > 0:
            charged.append((payer_id, res, start, price, voucher, voucher_amount, cash, balance))
        settlements.append(
            (payer_id, res, start, end, quantity, absorbed, price, voucher_amount, cash)
        )
        settled_until[pk] = end
    journal_ids = bulk.reserve_ids(Journal, len(charged))
    journal_of = {}
    journals, entries, lines = [], [], []
    for journal_id, (payer_id, res, start, price, voucher, voucher_amount, cash, balance) in zip(
        journal_ids, charged, strict=True
    ):
        journal_of[res.pk, start] = journal_id
        memo = f"{res.instance_id} {timezone.localtime(start):%Y-%m-%d %H:%M}"
        journals.append((journal_id, JournalKind.SETTLEMENT, now, memo[:200]))
        if cash:
            entries.append(
                (journal_id, Book.CASH, payer_id, -cash, balance, res.owner_id, res.pk, None, now)
            )
        if voucher_amount:  # B13: the voucher's holder sees the draw
            entries.append(
                (
                    journal_id,
                    Book.VOUCHER_FUNDING,
                    payer_id,
                    -voucher_amount,
                    None,
                    res.owner_id,
                    None,
                    voucher.pk,
                    now,
                )
            )
        entries.append(
            (journal_id, Book.REVENUE, None, price.payable, None, res.owner_id, res.pk, None, now)
        )
        lines.append(
            _Line(
                bill_month=timezone.localtime(start).date().replace(day=1),
                owner_id=res.owner_id,
                payer_id=payer_id,
                product_id=res.product_id,
                resource_id=res.pk,
                region_id=res.region_id,
                billing_mode=BillingMode.PAYG,
                transaction_type=TransactionType.SETTLEMENT,
                list_cost=price.list_cost,
                discount=price.discount,
                voucher_amount=voucher_amount,
                cash_amount=cash,
                created_at=now,
                journal_id=journal_id,
                tag_set_id=tag_sets.get(res.owner_id),  # F11: the tags at the time of spend
            )
        )
    bulk.insert_rows(Journal, JOURNAL_COLUMNS, journals)
    bulk.insert_rows(Entry, ENTRY_COLUMNS, entries)
    bulk.insert_rows(BillLine, _Line._fields, lines)
    bills.add_to_rollups(lines)
    bulk.insert_rows(
        UsageSettlement,
        SETTLEMENT_COLUMNS,
        (
            (
                res.pk,
                start,
                end,
                res.owner_id,
                payer_id,
                quantity,
                absorbed,
                price.list_cost,
                price.discount,
                voucher_amount,
                cash,
                journal_of.get((res.pk, start)),
                now,
            )
            for payer_id, res, start, end, quantity, absorbed, price, voucher_amount, cash in (
                settlements
            )
        ),
    )
    by_end = defaultdict(list)
    for pk, end in settled_until.items():
        by_end[end].append(pk)
    for end, pks in sorted(by_end.items()):
        Resource.objects.filter(pk__in=pks).update(settled_until=end)
    if touched_packs:
        ResourcePack.objects.bulk_update(list(touched_packs.values()), ["remaining"])
    if touched_vouchers:
        Voucher.objects.bulk_update(list(touched_vouchers.values()), ["remaining"])
    for payer_id in sorted({entry[2] for entry in entries if entry[1] == Book.CASH}):
        wallets[payer_id].save(update_fields=["cash", "transferred_in", "updated_at"])
    # B9: one by one, every cycle that took cash reconciled its payer. Cash only falls during
    # settlement, so those calls saw "out of arrears" up to some cycle and "in arrears" after
    # it: the first of each kind acted, the rest found nothing to do.
    for payer_id, states in sorted(arrears.items()):
        if not states[0]:
            lifecycle.reconcile(locked.accounts[payer_id], now=now, in_arrears=False)
        if states[-1]:
            lifecycle.reconcile(locked.accounts[payer_id], now=now, in_arrears=True)
    return len(settlements)
