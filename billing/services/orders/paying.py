"""Paying orders (B4, B5, B15): at placement from the payer's funds, or later when a to-be-paid
order is paid; applying for pay-on-behalf; cancelling; and the bulk actions.

Every service here is one durable transaction (the bulk actions: one per order); the lock
order is `organizations.locks`'s.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Order, Resource, ResourcePack, Voucher
from billing.models.choices import (
    BillingMode,
    Book,
    JournalKind,
    OrderKind,
    OrderStatus,
    PayMode,
    ResourceStatus,
    TransactionType,
)
from billing.money import ZERO
from organizations.audit import audit_record, organization_of
from organizations.locks import lock_accounts
from organizations.models import Account, User
from organizations.policies import require_user_may
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .. import bills, pricing
from ..bills import record_bill_lines
from ..ledger import Line, lock_wallets, new_instance_id, post
from ..messages import notify
from ..status import set_status
from .common import kind_label, order_memo


def try_pay(order: Order, wallets: dict, *, acting_user: User, now) -> bool:
    """Pay `order` from its payer's eligible voucher, then cash, then credit (B4, B5, B15).

    Returns False, changing nothing, when the payer's available funds fall short.
    """
    payer_wallet = wallets[order.payer_id]
    payable = order.payable
    voucher = pricing.pick_voucher(order.payer, order.product, payable, now)
    if voucher is not None:
        voucher = Voucher.objects.select_for_update(no_key=True).get(pk=voucher.pk)
        if not pricing.voucher_is_eligible(voucher, order.product, payable, now):
            voucher = None
    voucher_amount = min(voucher.remaining, payable) if voucher else ZERO
    due = payable - voucher_amount
    if payer_wallet.available < due:
        return False
    cash_part = min(max(payer_wallet.cash, ZERO), due)
    _fulfil(order, now=now)
    post(
        kind=JournalKind.PAYMENT,
        lines=[
            Line(
                Book.CASH,
                -due,
                account=order.payer,
                owner=order.owner,
                order=order,
                resource=order.resource,
            ),
            Line(
                Book.VOUCHER_FUNDING,
                -voucher_amount,
                account=order.payer,  # B13: the voucher's holder (B15) sees the draw
                voucher=voucher,
                owner=order.owner,
                order=order,
            ),
            Line(Book.REVENUE, payable, owner=order.owner, order=order, resource=order.resource),
        ],
        wallets=wallets,
        memo=order_memo(order),
        order=order,
        acting_user=acting_user,
        at=now,
    )
    if voucher is not None and voucher_amount:
        voucher.remaining -= voucher_amount
        voucher.save(update_fields=["remaining"])
    order.voucher = voucher if voucher_amount else None
    order.voucher_amount = voucher_amount
    order.cash_amount = cash_part
    order.credit_amount = due - cash_part
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.save()
    record_bill_lines(
        [
            bills.new_line(
                at=now,
                owner=order.owner,
                payer=order.payer,
                product=order.product,
                resource=order.resource,
                region=order.region,
                billing_mode=BillingMode.SUBSCRIPTION,
                transaction_type=TransactionType.PACK
                if order.spec.pack_quantity is not None
                else order.kind,
                list_cost=order.list_cost,
                discount=order.discount,
                voucher_amount=voucher_amount,
                cash_amount=due,
                created_at=now,
                order=order,
                journal=order.journals.latest("id"),
            )
        ]
    )
    return True


def _fulfil(order: Order, *, now) -> None:
    """What a paid order does to its resource."""
    if order.kind == OrderKind.NEW and order.spec.pack_quantity is not None:
        quantity = order.spec.pack_quantity * order.months  # a resource pack (B8)
        ResourcePack.objects.create(
            owner=order.owner,
            product=order.product,
            spec=order.spec,
            order=order,
            quantity=quantity,
            remaining=quantity,
            valid_from=now,
            valid_until=pricing.add_months(now, order.months),
        )
        return
    if order.kind == OrderKind.NEW:
        order.resource = Resource.objects.create(
            instance_id=new_instance_id(order.product),
            owner=order.owner,
            product=order.product,
            spec=order.spec,
            region=order.region,
            billing_mode=BillingMode.SUBSCRIPTION,
            status=ResourceStatus.ACTIVE,
            period_start=now,
            period_end=pricing.add_months(now, order.months),
        )
        order.save(update_fields=["resource"])
        return
    res = Resource.objects.select_for_update(no_key=True, of=("self",)).get(pk=order.resource_id)
    if order.kind == OrderKind.RENEW:
        start = max(res.period_end, now)
        res.period_end = pricing.add_months(start, order.months)
        if res.status == ResourceStatus.EXPIRED:  # B10: a renewal revives it
            set_status([res], status=ResourceStatus.ACTIVE, at=now, fields=("period_end",))
        else:
            res.save(update_fields=["period_end"])
    elif order.kind == OrderKind.UPGRADE:
        if (
            res.spec_id != order.previous_spec_id
            or res.period_end <= now
            or res.status == ResourceStatus.TERMINATED
        ):
            raise DomainError(
                _(
                    "The resource changed since this upgrade was ordered. "
                    "Cancel the order and order again."
                )
            )
        res.spec = order.spec
        res.save(update_fields=["spec"])


# ------------------------------------------------------------------ to-be-paid orders (B4)


def _lock_order(order: Order) -> Order:
    return (
        Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("owner", "payer", "product", "spec", "region")
        .get(pk=order.pk)
    )


def _must_act_for(*accounts: Account, acting_user: User) -> None:
    """The acting user must belong to one of `accounts` (operators, without an account, may act)."""
    if acting_user.account_id is not None and acting_user.account_id not in {
        a.pk for a in accounts
    }:
        raise DomainError(_("Your account cannot act on this order."), code="UnauthorizedOperation")


def _must_be_to_be_paid(order: Order) -> None:
    if order.status == OrderStatus.PAID:
        raise DomainError(_("Order %(no)s is already paid.") % {"no": order.order_no})
    if order.status != OrderStatus.TO_BE_PAID:
        raise DomainError(
            _("Order %(no)s is %(status)s; only orders to be paid can be paid or cancelled.")
            % {"no": order.order_no, "status": order.get_status_display().lower()}
        )


@transaction.atomic(durable=True)
def order_pay(*, order: Order, acting_user: User) -> Order:
    """Pay a to-be-paid order now (the payer's admin, or a self-payer after a top-up).

    The order row is locked first and its status re-checked, so however many clicks, tabs or
    concurrent requests arrive, exactly one pays and the others are told it is already paid.
    """
    o = _lock_order(order)
    _must_act_for(o.payer, acting_user=acting_user)
    _must_be_to_be_paid(o)
    lock_accounts(o.owner, o.payer)
    wallets = lock_wallets(o.owner, o.payer)
    now = timezone.now()
    if o.resource_id is not None:
        res = Resource.objects.select_for_update(no_key=True).get(pk=o.resource_id)
        if res.status == ResourceStatus.TERMINATED:
            raise DomainError(_("The resource was terminated; cancel this order."))
    if not try_pay(o, wallets, acting_user=acting_user, now=now):
        wallet = wallets[o.payer_id]
        raise DomainError(
            _(
                "Insufficient funds: %(payer)s has %(available)s CNY available "
                "and the order needs %(due)s CNY. Top up first."
            )
            % {"payer": o.payer.name, "available": wallet.available, "due": o.payable},
            code="FailedOperation.InsufficientBalance",
        )
    audit_record(
        actor=acting_user,
        action="order.paid",
        message=Msg(
            gettext_noop("Order %(no)s paid: %(amount)s CNY by %(payer)s"),
            no=o.order_no,
            amount=o.payable,
            payer=o.payer.uin,
        ),
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    if o.payer_id != o.owner_id:
        notify(
            o.owner,
            Msg(gettext_noop("Order %(no)s was paid on your behalf"), no=o.order_no),
            Msg(
                gettext_noop("%(payer)s paid %(amount)s CNY."), payer=o.payer.name, amount=o.payable
            ),
            order=o,
        )
    return o


@transaction.atomic(durable=True)
def order_apply(*, order: Order, acting_user: User) -> Order:
    """B4: the member asks its payer to pay a to-be-paid pay-on-behalf order."""
    o = _lock_order(order)
    _must_act_for(o.owner, acting_user=acting_user)
    require_user_may(acting_user, o.owner, o.product)  # A1/P2: a sub-user's products
    _must_be_to_be_paid(o)
    if o.pay_mode != PayMode.ON_BEHALF:
        raise DomainError(_("Only pay-on-behalf orders can be applied for."))
    if o.applied_at is not None:
        raise DomainError(
            _("You already applied for this order on %(date)s.")
            % {"date": f"{o.applied_at:%Y-%m-%d %H:%M}"}
        )
    o.applied_at = timezone.now()
    o.save(update_fields=["applied_at"])
    notify(
        o.payer,
        Msg(
            gettext_noop("Member %(uin)s applied for pay-on-behalf of order %(no)s"),
            uin=o.owner.uin,
            no=o.order_no,
        ),
        Msg(
            gettext_noop("%(amount)s CNY, %(kind)s of %(product)s."),
            amount=o.payable,
            kind=kind_label(o),
            product=o.product.names,
        ),
        order=o,
    )
    audit_record(
        actor=acting_user,
        action="order.apply",
        message=Msg(gettext_noop("Applied for pay-on-behalf of order %(no)s"), no=o.order_no),
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    return o


@transaction.atomic(durable=True)
def order_cancel(*, order: Order, acting_user: User) -> Order:
    o = _lock_order(order)
    _must_act_for(o.payer, o.owner, acting_user=acting_user)
    _must_be_to_be_paid(o)
    o.status = OrderStatus.CANCELLED
    o.closed_at = timezone.now()
    o.save(update_fields=["status", "closed_at"])
    if acting_user.account_id != o.owner_id:
        notify(
            o.owner,
            Msg(gettext_noop("Order %(no)s was cancelled"), no=o.order_no),
            Msg(gettext_noop("%(payer)s cancelled it."), payer=o.payer.name),
            order=o,
        )
    audit_record(
        actor=acting_user,
        action="order.cancel",
        message=Msg(gettext_noop("Cancelled order %(no)s"), no=o.order_no),
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    return o


def orders_pay_bulk(
    *, orders: list[Order], acting_user: User
) -> tuple[list[Order], list[tuple[Order, str]]]:
    """Pay several orders, each in its own transaction (oldest first): some may succeed while
    others are refused (already paid, or the funds ran out)."""
    paid, refused = [], []
    for order in sorted(orders, key=lambda o: (o.created_at, o.pk)):
        try:
            paid.append(order_pay(order=order, acting_user=acting_user))
        except DomainError as error:
            refused.append((order, error.message))
    return paid, refused


def orders_cancel_bulk(
    *, orders: list[Order], acting_user: User
) -> tuple[list[Order], list[tuple[Order, str]]]:
    done, refused = [], []
    for order in sorted(orders, key=lambda o: (o.created_at, o.pk)):
        try:
            done.append(order_cancel(order=order, acting_user=acting_user))
        except DomainError as error:
            refused.append((order, error.message))
    return done, refused
