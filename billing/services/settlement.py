"""B8: pay-as-you-go settlement. `settle_cycle` settles one cycle per durable transaction (the
rule written out step by step); `settle_due` and `settle_resource` settle many cycles per
transaction through `settlement_batch`, with the same result (issue 16).

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
from django.utils import timezone

from billing.models import Resource, ResourcePack, UsageSettlement, Voucher
from billing.models.choices import BillingMode, Book, JournalKind, TransactionType
from billing.money import ZERO
from organizations.locks import lock_accounts
from organizations.models import Account

from . import bills, lifecycle, pricing, settlement_batch
from .bills import record_bill_lines
from .ledger import Line, lock_wallets, post
from .payg import cycles_due, meter


def payer_at(owner: Account, moment: datetime) -> Account:
    """Who paid for `owner` at `moment`: its pay-on-behalf payer then, or else itself (O11)."""
    payer_id = settlement_batch.payer_id_at(
        settlement_batch.periods_of([owner.pk])[owner.pk], owner.pk, moment
    )
    return owner if payer_id == owner.pk else Account.objects.get(pk=payer_id)


def due_cycles(res: Resource, until: datetime) -> list[tuple[datetime, datetime]]:
    """Whole cycles not yet settled that ended by `until` (up to the one it was terminated in)."""
    return list(
        cycles_due(
            res.product.payg_cycle,
            settled_until=res.settled_until,
            period_start=res.period_start,
            ended_at=res.ended_at,
            until=until,
        )
    )


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
    """Settle the resource's whole cycles that ended by `until`, in batches (issue 16)."""
    return settlement_batch.settle(until=until, resource_ids=[resource.pk])


def settle_due(
    *, until: datetime | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Settle every cycle that ended by `until` (default and latest: now), in batches per
    paying account (issue 16; `settlement_batch`). Safe to run from many workers. A cycle that
    has not ended yet is never settled. `progress(done, total)` counts resources."""
    until = min(until or timezone.now(), timezone.now())
    return settlement_batch.settle(until=until, progress=progress)
