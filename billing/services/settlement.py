"""B8: pay-as-you-go settlement, one cycle per durable transaction.

A cycle's fee goes to whoever pays for the owner at the cycle's END (membership periods, O11),
with that account's voucher; the owner's own resource packs absorb usage first; cash may go
below zero (arrears, then B9). A unique row per (resource, cycle start), written in the same
transaction as the journal and bill line, makes a second settlement of a cycle a no-op,
whether it comes from a retry, a second worker or `manage.py settle`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Resource, ResourcePack, UsageSettlement, Voucher
from billing.models.choices import BillingMode, Book, JournalKind, TransactionType
from billing.money import ZERO
from organizations.locks import lock_accounts
from organizations.models import Account, MembershipPeriod

from . import bills, lifecycle, pricing
from .bills import record_bill_lines
from .ledger import Line, lock_wallets, post
from .payg import cycle_bounds, meter


def payer_at(owner: Account, moment: datetime) -> Account:
    """Who paid for `owner` at `moment`: its pay-on-behalf payer then, or else itself."""
    period = (
        MembershipPeriod.objects.filter(account=owner, started_at__lte=moment)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
        .select_related("payer")
        .order_by("-started_at")
        .first()
    )
    return period.payer if period is not None and period.payer_id else owner


def due_cycles(res: Resource, until: datetime) -> list[tuple[datetime, datetime]]:
    """Whole cycles not yet settled that ended by `until` (up to the one it was terminated in)."""
    cycle = res.product.payg_cycle
    cursor = res.settled_until or cycle_bounds(cycle, res.period_start)[0]
    cycles = []
    while True:
        start, end = cycle_bounds(cycle, cursor)
        if end > until or (res.ended_at is not None and start >= res.ended_at):
            return cycles
        cycles.append((start, end))
        cursor = end


def _absorb_with_packs(res: Resource, quantity, start, end):
    """The owner's own packs, earliest expiry first, absorb the cycle's usage (B8)."""
    absorbed = ZERO
    packs = (
        ResourcePack.objects.select_for_update(no_key=True)
        .filter(
            owner=res.owner,
            product=res.product,
            remaining__gt=0,
            valid_from__lte=end,
            valid_until__gt=start,
        )
        .order_by("valid_until", "pk")
    )
    for pack in packs:
        if quantity - absorbed <= 0:
            break
        take = min(pack.remaining, quantity - absorbed)
        pack.remaining -= take
        pack.save(update_fields=["remaining"])
        absorbed += take
    return absorbed


@transaction.atomic(durable=True)
def settle_cycle(
    *, resource_id: int, cycle_start: datetime, cycle_end: datetime
) -> UsageSettlement | None:
    """Settle one cycle of one resource; None when it was already settled."""
    owner = Resource.objects.select_related("owner").get(pk=resource_id).owner
    payer = payer_at(owner, cycle_end)
    lock_accounts(owner, payer)
    wallets = lock_wallets(owner, payer)
    res = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("product", "spec", "region", "owner")
        .get(pk=resource_id)
    )
    if UsageSettlement.objects.filter(resource=res, cycle_start=cycle_start).exists():
        return None
    now = timezone.now()
    quantity = meter(res, cycle_start, cycle_end)
    absorbed = _absorb_with_packs(res, quantity, cycle_start, cycle_end)
    price = pricing.price(res.owner, res.product, (quantity - absorbed) * res.spec.payg_price)
    voucher = pricing.pick_voucher(payer, res.product, price.payable, cycle_end)
    if voucher is not None:
        voucher = Voucher.objects.select_for_update(no_key=True).get(pk=voucher.pk)
    voucher_amount = min(voucher.remaining, price.payable) if voucher else ZERO
    cash = price.payable - voucher_amount
    journal = None
    if price.payable > 0:
        journal = post(
            kind=JournalKind.SETTLEMENT,
            lines=[
                Line(Book.CASH, -cash, account=payer, owner=res.owner, resource=res),
                Line(
                    Book.VOUCHER_FUNDING,
                    -voucher_amount,
                    account=payer,  # B13: the voucher's holder sees the draw
                    voucher=voucher if voucher_amount else None,
                    owner=res.owner,
                ),
                Line(Book.REVENUE, price.payable, owner=res.owner, resource=res),
            ],
            wallets=wallets,
            memo=f"{res.instance_id} {timezone.localtime(cycle_start):%Y-%m-%d %H:%M}",
            at=now,
        )
        if voucher_amount:
            voucher.remaining -= voucher_amount
            voucher.save(update_fields=["remaining"])
        record_bill_lines(
            [
                bills.new_line(
                    at=cycle_start,
                    owner=res.owner,
                    payer=payer,
                    product=res.product,
                    resource=res,
                    region=res.region,
                    billing_mode=BillingMode.PAYG,
                    transaction_type=TransactionType.SETTLEMENT,
                    list_cost=price.list_cost,
                    discount=price.discount,
                    voucher_amount=voucher_amount,
                    cash_amount=cash,
                    created_at=now,
                    journal=journal,
                )
            ]
        )
    settlement = UsageSettlement.objects.create(
        resource=res,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        owner=res.owner,
        payer=payer,
        quantity=quantity,
        pack_quantity=absorbed,
        list_cost=price.list_cost,
        discount=price.discount,
        voucher_amount=voucher_amount,
        cash_amount=cash,
        journal=journal,
        settled_at=now,
    )
    res.settled_until = cycle_end
    res.save(update_fields=["settled_until"])
    if cash > 0:
        lifecycle.reconcile(payer, now=now)  # B9: settlement can push the payer into arrears
    return settlement


def settle_resource(resource: Resource, *, until: datetime) -> int:
    settled = 0
    for start, end in due_cycles(resource, until):
        if settle_cycle(resource_id=resource.pk, cycle_start=start, cycle_end=end) is not None:
            settled += 1
    return settled


def settle_due(
    *, until: datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Settle every cycle that ended by `until` (default and latest: now). Safe to run from many
    workers. A cycle that has not ended yet is never settled."""
    until = min(until or timezone.now(), timezone.now())
    resources = list(
        Resource.objects.filter(billing_mode=BillingMode.PAYG)
        .filter(Q(settled_until__isnull=True) | Q(settled_until__lt=until))
        .select_related("product")
        .order_by("pk")
    )
    settled = 0
    for i, res in enumerate(resources, 1):
        settled += settle_resource(res, until=until)
        if progress is not None:
            progress(i, len(resources))
    return settled
