"""Refunds (B6): downgrades and unsubscribes return the remaining value over the payments made
for the resource, in proportion to what each still holds, voucher part and cash part apart.

Every public service here is one durable transaction; the lock order is `organizations.locks`'s.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Order, RefundShare, Resource, Spec
from billing.models.choices import (
    PAYING_KINDS,
    BillingMode,
    Book,
    JournalKind,
    MessageCategory,
    OrderKind,
    OrderStatus,
    ResourceStatus,
)
from billing.money import ZERO, q, split
from organizations.audit import audit_record, organization_of
from organizations.models import Account, User
from organizations.policies import require_user_may
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .. import bills, pricing
from ..bills import record_bill_lines
from ..ledger import Line, begin, post
from ..messages import notify
from ..status import set_status
from .common import (
    existing_order,
    kind_label,
    lock_resource,
    no_open_order,
    order_memo,
    order_no,
)


def _payments(resource: Resource) -> list[Order]:
    return list(
        Order.objects.filter(resource=resource, kind__in=PAYING_KINDS, status=OrderStatus.PAID)
        .select_related("payer")
        .order_by("paid_at", "pk")
    )


def _net_paid(payments: list[Order]) -> list[Decimal]:
    refunded = dict(
        RefundShare.objects.filter(payment_order__in=payments)
        .values_list("payment_order")
        .annotate(total=Sum("cash_amount") + Sum("voucher_amount"))
    )
    # q(): SQLite sums decimals as floats; every stored amount is whole cents.
    return [p.voucher_amount + p.charged - q(refunded.get(p.pk, ZERO)) for p in payments]


def refund_split(
    payments: list[Order], nets: list[Decimal], value: Decimal
) -> list[tuple[Order, Decimal, Decimal]]:
    """B6: split `value` over the payments in proportion to what each still holds, then split
    each share into its voucher part (not returned) and its cash part, cents balanced."""
    value = q(value)
    if value <= 0 or not payments:
        return []
    shares = split(value, nets)
    out = []
    for payment, share, _net in zip(payments, shares, nets, strict=True):
        if share == 0:
            continue
        voucher_weight, cash_weight = payment.voucher_amount, payment.charged
        if voucher_weight and cash_weight:
            voucher_part, cash_part = split(share, [voucher_weight, cash_weight])
        elif voucher_weight:
            voucher_part, cash_part = share, ZERO
        else:
            voucher_part, cash_part = ZERO, share
        out.append((payment, voucher_part, cash_part))
    return out


def _refund(
    res: Resource,
    refund_order: Order,
    *,
    value: Decimal,
    payments: list[Order],
    nets: list[Decimal],
    wallets: dict,
    acting_user: User,
    now,
) -> Decimal:
    parts = refund_split(payments, nets, value)
    per_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    accounts = {}
    for payment, voucher_part, cash_part in parts:
        RefundShare.objects.create(
            refund_order=refund_order,
            payment_order=payment,
            account=payment.payer,
            cash_amount=cash_part,
            voucher_amount=voucher_part,
        )
        per_account[payment.payer_id] += cash_part
        accounts[payment.payer_id] = payment.payer
    lines = []
    for account_id, amount in sorted(per_account.items()):
        if amount:
            lines.append(
                Line(
                    Book.CASH,
                    amount,
                    account=accounts[account_id],
                    owner=res.owner,
                    order=refund_order,
                    resource=res,
                )
            )
            lines.append(
                Line(Book.REVENUE, -amount, owner=res.owner, order=refund_order, resource=res)
            )
    returned = sum(per_account.values(), ZERO)
    if not lines:
        return ZERO
    journal = post(
        kind=JournalKind.REFUND,
        lines=lines,
        wallets=wallets,
        memo=order_memo(refund_order),
        order=refund_order,
        acting_user=acting_user,
        at=now,
    )
    record_bill_lines(
        [
            bills.new_line(
                at=now,
                owner=res.owner,
                payer=payment.payer,
                product=res.product,
                resource=res,
                region=res.region,
                billing_mode=BillingMode.SUBSCRIPTION,
                transaction_type=refund_order.kind,
                list_cost=-(voucher_part + cash_part),
                discount=ZERO,
                voucher_amount=-voucher_part,
                cash_amount=-cash_part,
                created_at=now,
                order=refund_order,
                journal=journal,
            )
            for payment, voucher_part, cash_part in parts
        ]
    )
    for account_id, amount in per_account.items():
        if amount:
            notify(
                accounts[account_id],
                Msg(
                    gettext_noop("Refund of %(amount)s CNY for %(id)s"),
                    amount=amount,
                    id=res.instance_id,
                ),
                Msg(
                    gettext_noop("%(kind)s of %(id)s (owner %(uin)s)."),
                    kind=kind_label(refund_order),
                    id=res.instance_id,
                    uin=res.owner.uin,
                ),
                category=MessageCategory.FINANCE,
                order=refund_order,
                resource=res,
            )
    return returned


def _begin_refund(resource: Resource) -> tuple[Account, str, dict]:
    """Lock the owner, its payer and every account that paid for the resource (they get the
    refund shares); the caller then checks for a double submit and locks the resource."""
    payers = [p.payer for p in _payments(resource)]
    return begin(resource.owner, *payers)


def _refunding_order(
    *,
    res: Resource,
    kind,
    acting_user: User,
    spec: Spec,
    share_of_price: Decimal,
    payer,
    mode,
    wallets,
    idempotency_key,
    now,
) -> Order:
    payments = _payments(res)  # re-read under the locks
    if any(p.payer_id not in wallets for p in payments):
        raise DomainError(_("The resource was paid for just now; please try again."))
    nets = _net_paid(payments)
    value = pricing.refundable_value(
        net_paid=sum(nets, ZERO),
        period_start=res.period_start,
        period_end=res.period_end,
        now=now,
        share_of_price=share_of_price,
    )
    order = Order.objects.create(
        order_no=order_no(now),
        kind=kind,
        status=OrderStatus.REFUNDED,
        owner=res.owner,
        payer=payer,
        pay_mode=mode,
        placed_by=acting_user,
        product=res.product,
        spec=spec,
        previous_spec=res.spec,
        region=res.region,
        resource=res,
        list_cost=value,
        created_at=now,
        closed_at=now,
        idempotency_key=idempotency_key or None,
    )
    order.refund_amount = _refund(
        res,
        order,
        value=value,
        payments=payments,
        nets=nets,
        wallets=wallets,
        acting_user=acting_user,
        now=now,
    )
    order.save(update_fields=["refund_amount"])
    return order


@transaction.atomic(durable=True)
def order_downgrade(
    *, resource: Resource, acting_user: User, spec: Spec, idempotency_key: str | None = None
) -> Order:
    """Downgrade to a cheaper spec; the price difference for the rest of the period is refunded
    over the payments made for the resource (B6)."""
    payer, mode, wallets = _begin_refund(resource)
    if (existing := existing_order(resource.owner, idempotency_key)) is not None:
        return existing  # a double submit gets the first order back
    res = lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    no_open_order(res)
    now = timezone.now()
    spec = Spec.objects.get(pk=spec.pk)
    if (
        spec.product_id != res.product_id
        or spec.monthly_price is None
        or spec.monthly_price >= res.spec.monthly_price
    ):
        raise DomainError(
            _("Choose a spec of the same product that costs less than the current one."),
            field="spec",
        )
    if res.status != ResourceStatus.ACTIVE or res.period_end <= now:
        raise DomainError(_("Only running resources within their period can be downgraded."))
    share = (res.spec.monthly_price - spec.monthly_price) / res.spec.monthly_price
    order = _refunding_order(
        res=res,
        kind=OrderKind.DOWNGRADE,
        acting_user=acting_user,
        spec=spec,
        share_of_price=share,
        payer=payer,
        mode=mode,
        wallets=wallets,
        idempotency_key=idempotency_key,
        now=now,
    )
    res.spec = spec
    res.save(update_fields=["spec"])
    audit_record(
        actor=acting_user,
        action="order.downgrade",
        message=Msg(
            gettext_noop("Downgraded %(id)s to %(spec)s; refunded %(amount)s CNY"),
            id=res.instance_id,
            spec=spec.names,  # in the reader's language (issue 17)
            amount=order.refund_amount,
        ),
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=order,
    )
    return order


@transaction.atomic(durable=True)
def order_unsubscribe(
    *, resource: Resource, acting_user: User, idempotency_key: str | None = None
) -> Order:
    """Unsubscribe: the resource ends now and its remaining value is refunded (B6)."""
    payer, mode, wallets = _begin_refund(resource)
    if (existing := existing_order(resource.owner, idempotency_key)) is not None:
        return existing  # a double submit gets the first order back
    res = lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    no_open_order(res)
    now = timezone.now()
    order = _refunding_order(
        res=res,
        kind=OrderKind.UNSUBSCRIBE,
        acting_user=acting_user,
        spec=res.spec,
        share_of_price=Decimal(1),
        payer=payer,
        mode=mode,
        wallets=wallets,
        idempotency_key=idempotency_key,
        now=now,
    )
    res.ended_at = now
    set_status([res], status=ResourceStatus.TERMINATED, at=now, fields=("ended_at",))
    audit_record(
        actor=acting_user,
        action="order.unsubscribe",
        message=Msg(
            gettext_noop("Unsubscribed %(id)s; refunded %(amount)s CNY"),
            id=res.instance_id,
            amount=order.refund_amount,
        ),
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=order,
    )
    return order
