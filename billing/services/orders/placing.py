"""Orders: place, pay (B4, B5), apply for pay-on-behalf, cancel, and refunds (B6).

Every service here is one durable transaction. Locks, always in this order: the order row (for
an existing order), then the accounts involved by primary key (this also serializes against
membership changes, which lock the same account rows), then their wallets by primary key,
then the resource, then the voucher. State read before the locks is re-read after them.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    BillLine,
    Order,
    RefundShare,
    Region,
    Resource,
    ResourcePack,
    Spec,
    Voucher,
)
from billing.models.choices import (
    PAYING_KINDS,
    BillingMode,
    Book,
    JournalKind,
    MessageCategory,
    OrderKind,
    OrderStatus,
    PayMode,
    ResourceStatus,
    TransactionType,
)
from billing.money import ZERO, q, split
from organizations.models import Account
from organizations.policies import require_allowed, require_user_may
from organizations.services import audit_record, lock_accounts
from tco_console.errors import DomainError

from .. import pricing
from ..bills import record_bill_lines
from ..ledger import Line, begin, lock_wallets, new_instance_id, organization_of, post
from ..messages import notify
from ..status import set_status

MAX_MONTHS = 36


# ------------------------------------------------------------------ helpers


def _order_no(now) -> str:
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _existing(owner: Account, idempotency_key: str | None) -> Order | None:
    """A double submit (same key) returns the order the first submit made."""
    if not idempotency_key:
        return None
    return Order.objects.filter(owner=owner, idempotency_key=idempotency_key).first()


def _check_months(months: int) -> int:
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise DomainError(
            _("Choose between 1 and %(max)s months.") % {"max": MAX_MONTHS}, field="months"
        )
    return months


def _no_open_order(resource: Resource) -> None:
    pending = Order.objects.filter(resource=resource, status=OrderStatus.TO_BE_PAID).first()
    if pending is not None:
        raise DomainError(
            _("Order %(no)s for this resource is awaiting payment. Pay or cancel it first.")
            % {"no": pending.order_no}
        )


def _lock_resource(resource: Resource) -> Resource:
    res = (
        Resource.objects.select_for_update(no_key=True, of=("self",))
        .select_related("spec", "product", "region")
        .get(pk=resource.pk)
    )
    if res.billing_mode != BillingMode.SUBSCRIPTION:
        raise DomainError(
            _("Only subscription resources can be renewed, upgraded, downgraded or unsubscribed.")
        )
    if res.status == ResourceStatus.TERMINATED:
        raise DomainError(_("The resource %(id)s is terminated.") % {"id": res.instance_id})
    return res


# ------------------------------------------------------------------ payment


def _try_pay(order: Order, wallets: dict, *, actor, now) -> bool:
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
        memo=f"{order.get_kind_display()} {order.order_no}",
        order=order,
        actor=actor,
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
            BillLine(
                bill_month=timezone.localtime(now).date().replace(day=1),
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


def _after_placement(order: Order, paid: bool, *, actor) -> None:
    org = organization_of(order.owner)
    if paid:
        audit_record(
            actor=actor,
            action="order.paid",
            message=_("Order %(no)s (%(kind)s) paid: %(amount)s CNY by %(payer)s")
            % {
                "no": order.order_no,
                "kind": order.get_kind_display(),
                "amount": order.payable,
                "payer": order.payer.uin,
            },
            organization=org,
            target_account=order.owner,
            obj=order,
        )
        return
    audit_record(
        actor=actor,
        action="order.to_be_paid",
        message=_("Order %(no)s (%(kind)s) is to be paid: %(amount)s CNY")
        % {"no": order.order_no, "kind": order.get_kind_display(), "amount": order.payable},
        organization=org,
        target_account=order.owner,
        obj=order,
    )
    if order.pay_mode == PayMode.ON_BEHALF:
        notify(
            order.payer,
            _("Order %(no)s of member %(uin)s is to be paid")
            % {"no": order.order_no, "uin": order.owner.uin},
            _(
                "Your available funds did not cover %(amount)s CNY. "
                "Top up, then pay it under Pay-on-behalf order management."
            )
            % {"amount": order.payable},
            order=order,
        )
    notify(
        order.owner,
        _("Order %(no)s is to be paid") % {"no": order.order_no},
        _("The payer's available funds did not cover %(amount)s CNY.") % {"amount": order.payable}
        if order.pay_mode == PayMode.ON_BEHALF
        else _("Your available funds did not cover %(amount)s CNY. Top up, then pay it.")
        % {"amount": order.payable},
        order=order,
    )


def _place(
    *,
    owner,
    acting_user,
    kind,
    product,
    spec,
    region,
    months=None,
    resource=None,
    previous_spec=None,
    list_cost,
    wallets,
    payer,
    mode,
    idempotency_key,
    now,
) -> Order:
    p = pricing.price(owner, product, list_cost)
    order = Order.objects.create(
        order_no=_order_no(now),
        kind=kind,
        status=OrderStatus.TO_BE_PAID,
        owner=owner,
        payer=payer,
        pay_mode=mode,
        placed_by=acting_user,
        product=product,
        spec=spec,
        previous_spec=previous_spec,
        region=region,
        resource=resource,
        months=months,
        list_cost=p.list_cost,
        discount=p.discount,
        discount_rate=p.rate,
        offer_source=p.offer_source,
        created_at=now,
        idempotency_key=idempotency_key or None,
    )
    paid = _try_pay(order, wallets, actor=acting_user, now=now)
    _after_placement(order, paid, actor=acting_user)
    return order


# ------------------------------------------------------------------ placing orders


@transaction.atomic(durable=True)
def order_buy(
    *,
    owner: Account,
    acting_user,
    spec: Spec,
    region: Region,
    months: int,
    idempotency_key: str | None = None,
) -> Order:
    """Buy a subscription for `months` months. Paid at once if the payer's funds allow."""
    payer, mode, wallets = begin(owner)
    if (existing := _existing(owner, idempotency_key)) is not None:
        return existing
    spec = Spec.objects.select_related("product").get(pk=spec.pk)
    require_allowed(owner, spec.product, acting_user)  # P2: the member's service control policies
    sellable = spec.product.sells_subscription or spec.pack_quantity is not None
    if not sellable or spec.monthly_price is None:
        raise DomainError(
            _("%(product)s is not sold by monthly subscription.") % {"product": spec.product.name},
            field="spec",
        )
    months = _check_months(months)
    now = timezone.now()
    return _place(
        owner=owner,
        acting_user=acting_user,
        kind=OrderKind.NEW,
        product=spec.product,
        spec=spec,
        region=region,
        months=months,
        list_cost=pricing.subscription_list_cost(spec, months),
        wallets=wallets,
        payer=payer,
        mode=mode,
        idempotency_key=idempotency_key,
        now=now,
    )


@transaction.atomic(durable=True)
def order_renew(
    *, resource: Resource, acting_user, months: int, idempotency_key: str | None = None
) -> Order:
    """B10: renewals are orders like any other."""
    payer, mode, wallets = begin(resource.owner)
    if (existing := _existing(resource.owner, idempotency_key)) is not None:
        return existing
    res = _lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    _no_open_order(res)
    months = _check_months(months)
    now = timezone.now()
    return _place(
        owner=res.owner,
        acting_user=acting_user,
        kind=OrderKind.RENEW,
        product=res.product,
        spec=res.spec,
        region=res.region,
        months=months,
        resource=res,
        list_cost=pricing.subscription_list_cost(res.spec, months),
        wallets=wallets,
        payer=payer,
        mode=mode,
        idempotency_key=idempotency_key,
        now=now,
    )


@transaction.atomic(durable=True)
def order_upgrade(
    *, resource: Resource, acting_user, spec: Spec, idempotency_key: str | None = None
) -> Order:
    """Upgrade to a dearer spec for the rest of the period, priced pro rata by remaining days."""
    payer, mode, wallets = begin(resource.owner)
    if (existing := _existing(resource.owner, idempotency_key)) is not None:
        return existing
    res = _lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    _no_open_order(res)
    now = timezone.now()
    spec = Spec.objects.get(pk=spec.pk)
    if (
        spec.product_id != res.product_id
        or spec.monthly_price is None
        or spec.monthly_price <= res.spec.monthly_price
    ):
        raise DomainError(
            _("Choose a spec of the same product that costs more than the current one."),
            field="spec",
        )
    if res.status != ResourceStatus.ACTIVE or res.period_end <= now:
        raise DomainError(_("Only running resources within their period can be upgraded."))
    return _place(
        owner=res.owner,
        acting_user=acting_user,
        kind=OrderKind.UPGRADE,
        product=res.product,
        spec=spec,
        previous_spec=res.spec,
        region=res.region,
        resource=res,
        list_cost=pricing.upgrade_list_cost(res.spec, spec, res.period_end, now),
        wallets=wallets,
        payer=payer,
        mode=mode,
        idempotency_key=idempotency_key,
        now=now,
    )


# ------------------------------------------------------------------ refunds (B6)


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
    actor,
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
        memo=f"{refund_order.get_kind_display()} {refund_order.order_no}",
        order=refund_order,
        actor=actor,
        at=now,
    )
    record_bill_lines(
        [
            BillLine(
                bill_month=timezone.localtime(now).date().replace(day=1),
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
                _("Refund of %(amount)s CNY for %(id)s")
                % {"amount": amount, "id": res.instance_id},
                _("%(kind)s of %(id)s (owner %(uin)s).")
                % {
                    "kind": refund_order.get_kind_display(),
                    "id": res.instance_id,
                    "uin": res.owner.uin,
                },
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
    acting_user,
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
        order_no=_order_no(now),
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
        actor=acting_user,
        now=now,
    )
    order.save(update_fields=["refund_amount"])
    return order


@transaction.atomic(durable=True)
def order_downgrade(
    *, resource: Resource, acting_user, spec: Spec, idempotency_key: str | None = None
) -> Order:
    """Downgrade to a cheaper spec; the price difference for the rest of the period is refunded
    over the payments made for the resource (B6)."""
    payer, mode, wallets = _begin_refund(resource)
    if (existing := _existing(resource.owner, idempotency_key)) is not None:
        return existing  # a double submit gets the first order back
    res = _lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    _no_open_order(res)
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
        message=_("Downgraded %(id)s to %(spec)s; refunded %(amount)s CNY")
        % {"id": res.instance_id, "spec": spec.name, "amount": order.refund_amount},
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=order,
    )
    return order


@transaction.atomic(durable=True)
def order_unsubscribe(
    *, resource: Resource, acting_user, idempotency_key: str | None = None
) -> Order:
    """Unsubscribe: the resource ends now and its remaining value is refunded (B6)."""
    payer, mode, wallets = _begin_refund(resource)
    if (existing := _existing(resource.owner, idempotency_key)) is not None:
        return existing  # a double submit gets the first order back
    res = _lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    _no_open_order(res)
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
        message=_("Unsubscribed %(id)s; refunded %(amount)s CNY")
        % {"id": res.instance_id, "amount": order.refund_amount},
        organization=organization_of(res.owner),
        target_account=res.owner,
        obj=order,
    )
    return order


# ------------------------------------------------------------------ to-be-paid orders (B4)


def _lock_order(order: Order) -> Order:
    return (
        Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("owner", "payer", "product", "spec", "region")
        .get(pk=order.pk)
    )


def _must_act_for(acting_user, *accounts: Account) -> None:
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
def order_pay(*, order: Order, acting_user) -> Order:
    """Pay a to-be-paid order now (the payer's admin, or a self-payer after a top-up).

    The order row is locked first and its status re-checked, so however many clicks, tabs or
    concurrent requests arrive, exactly one pays and the others are told it is already paid.
    """
    o = _lock_order(order)
    _must_act_for(acting_user, o.payer)
    _must_be_to_be_paid(o)
    lock_accounts(o.owner, o.payer)
    wallets = lock_wallets(o.owner, o.payer)
    now = timezone.now()
    if o.resource_id is not None:
        res = Resource.objects.select_for_update(no_key=True).get(pk=o.resource_id)
        if res.status == ResourceStatus.TERMINATED:
            raise DomainError(_("The resource was terminated; cancel this order."))
    if not _try_pay(o, wallets, actor=acting_user, now=now):
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
        message=_("Order %(no)s paid: %(amount)s CNY by %(payer)s")
        % {"no": o.order_no, "amount": o.payable, "payer": o.payer.uin},
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    if o.payer_id != o.owner_id:
        notify(
            o.owner,
            _("Order %(no)s was paid on your behalf") % {"no": o.order_no},
            _("%(payer)s paid %(amount)s CNY.") % {"payer": o.payer.name, "amount": o.payable},
            order=o,
        )
    return o


@transaction.atomic(durable=True)
def order_apply(*, order: Order, acting_user) -> Order:
    """B4: the member asks its payer to pay a to-be-paid pay-on-behalf order."""
    o = _lock_order(order)
    _must_act_for(acting_user, o.owner)
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
        _("Member %(uin)s applied for pay-on-behalf of order %(no)s")
        % {"uin": o.owner.uin, "no": o.order_no},
        _("%(amount)s CNY, %(kind)s of %(product)s.")
        % {"amount": o.payable, "kind": o.get_kind_display(), "product": o.product.name},
        order=o,
    )
    audit_record(
        actor=acting_user,
        action="order.apply",
        message=_("Applied for pay-on-behalf of order %(no)s") % {"no": o.order_no},
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    return o


@transaction.atomic(durable=True)
def order_cancel(*, order: Order, acting_user) -> Order:
    o = _lock_order(order)
    _must_act_for(acting_user, o.payer, o.owner)
    _must_be_to_be_paid(o)
    o.status = OrderStatus.CANCELLED
    o.closed_at = timezone.now()
    o.save(update_fields=["status", "closed_at"])
    if acting_user.account_id != o.owner_id:
        notify(
            o.owner,
            _("Order %(no)s was cancelled") % {"no": o.order_no},
            _("%(payer)s cancelled it.") % {"payer": o.payer.name},
            order=o,
        )
    audit_record(
        actor=acting_user,
        action="order.cancel",
        message=_("Cancelled order %(no)s") % {"no": o.order_no},
        organization=organization_of(o.owner),
        target_account=o.owner,
        obj=o,
    )
    return o


def orders_pay_bulk(
    *, orders: list[Order], acting_user
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
    *, orders: list[Order], acting_user
) -> tuple[list[Order], list[tuple[Order, str]]]:
    done, refused = [], []
    for order in sorted(orders, key=lambda o: (o.created_at, o.pk)):
        try:
            done.append(order_cancel(order=order, acting_user=acting_user))
        except DomainError as error:
            refused.append((order, error.message))
    return done, refused
