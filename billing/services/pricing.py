"""Prices (B3), offers and inheritance (B14), voucher choice (B15), pro-rata periods.

Rounding happens at exactly these points, half-up to the cent: the list cost of an order, its
discount, and a refund's value. docs/pricing.md has the worked example.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from billing.models import InheritanceBlock, Offer, OfferInheritance, Voucher
from billing.models.choices import OfferKind
from billing.money import q
from organizations.models import Account

DAYS_PER_MONTH = Decimal(30)  # pro-rata: one month of a price covers 30 days
SECONDS_PER_DAY = Decimal(86400)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (clamped to the month's last day)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def remaining_days(period_end: datetime, now: datetime) -> Decimal:
    seconds = max((period_end - now).total_seconds(), 0)
    return Decimal(int(seconds)) / SECONDS_PER_DAY


@dataclass(frozen=True)
class Price:
    list_cost: Decimal
    rate: Decimal
    discount: Decimal
    offer_source: Account | None

    @property
    def payable(self) -> Decimal:
        return self.list_cost - self.discount


def _choose(offers, product, source: Account) -> tuple[Decimal, Account | None]:
    """A product-specific offer beats an all-products one; among equals the lower rate wins."""
    offers = [o for o in offers if o.product_id in (product.pk, None)]
    specific = [o for o in offers if o.product_id is not None]
    chosen = specific or offers
    if not chosen:
        return Decimal(1), None
    return min(o.rate for o in chosen), source


def rate_for(owner: Account, product) -> tuple[Decimal, Account | None]:
    """B3/B14: the share of list price the owner pays for `product`, and whose offer it is."""
    return rates_for(owner, [product])[product.pk]


def rates_for(owner: Account, products) -> dict[int, tuple[Decimal, Account | None]]:
    """`rate_for` of many products at once (at most three queries), for orders and lists."""
    rates = rates_for_owners([owner], products)
    return {p.pk: rates[owner.pk, p.pk] for p in products}


def rates_for_owners(owners, products) -> dict[tuple[int, int], tuple[Decimal, Account | None]]:
    """`rate_for` of many owners and products at once, by (owner id, product id): at most
    three queries whatever their number (usage settlement in batches, issue 16).

    With offer inheritance (permission 6) the source account's *contract* offers apply
    instead of the owner's own, except for blocklisted products; rebates never inherit.
    """
    owners = list({o.pk: o for o in owners}.values())
    inheritances = {
        i.account_id: i
        for i in OfferInheritance.objects.filter(account__in=owners).select_related("source")
    }
    blocked = set()
    if inheritances:
        blocked = set(InheritanceBlock.objects.values_list("product_id", flat=True))
    offers = defaultdict(list)
    accounts = {o.pk for o in owners} | {i.source_id for i in inheritances.values()}
    for offer in Offer.objects.filter(account_id__in=accounts):
        offers[offer.account_id].append(offer)
    rates = {}
    for owner in owners:
        inheritance = inheritances.get(owner.pk)
        for p in products:
            if inheritance and p.pk not in blocked:
                source = inheritance.source
                contract = [o for o in offers[source.pk] if o.kind == OfferKind.CONTRACT]
                rates[owner.pk, p.pk] = _choose(contract, p, source)
            else:
                rates[owner.pk, p.pk] = _choose(offers[owner.pk], p, owner)
    return rates


def price(owner: Account, product, list_cost: Decimal, *, rate=None) -> Price:
    """What `owner` pays for `list_cost` of `product`; `rate` a (rate, source) pair from
    `rates_for`, when the caller priced many products at once."""
    list_cost = q(list_cost)
    rate, source = rate or rate_for(owner, product)
    discount = q(list_cost * (1 - rate))
    return Price(list_cost=list_cost, rate=rate, discount=discount, offer_source=source)


def subscription_list_cost(spec, months: int) -> Decimal:
    return q(spec.monthly_price * months)


def upgrade_list_cost(old_spec, new_spec, period_end: datetime, now: datetime) -> Decimal:
    """The price difference for the days left in the period."""
    diff = new_spec.monthly_price - old_spec.monthly_price
    return q(diff * remaining_days(period_end, now) / DAYS_PER_MONTH)


def refundable_value(
    *,
    net_paid: Decimal,
    period_start: datetime,
    period_end: datetime,
    now: datetime,
    share_of_price: Decimal = Decimal(1),
) -> Decimal:
    """What is still owed back on a subscription: the net amount paid for it, pro rata for the
    time left in its period, times the share of the price given up (1 for an unsubscribe;
    (old − new) / old for a downgrade). Never more than was paid."""
    total = Decimal(int(max((period_end - period_start).total_seconds(), 1)))
    left = Decimal(int(max((period_end - now).total_seconds(), 0)))
    return min(q(net_paid * left / total * share_of_price), net_paid)


def pick_voucher(account: Account, product, payable: Decimal, now: datetime) -> Voucher | None:
    """B15: the eligible voucher of `account` that expires first (not locked; caller locks)."""
    if payable <= 0:
        return None
    return (
        Voucher.objects.usable(now)
        .filter(account=account, min_order_amount__lte=payable)
        .filter(Q(product=product) | Q(product__isnull=True))
        .order_by("valid_until", "pk")
        .first()
    )


def voucher_is_eligible(voucher: Voucher, product, payable: Decimal, now: datetime) -> bool:
    return (
        voucher.remaining > 0
        and voucher.valid_from <= now < voucher.valid_until
        and voucher.min_order_amount <= payable
        and (voucher.product_id is None or voucher.product_id == product.pk)
    )
