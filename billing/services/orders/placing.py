"""Placing orders: buy, renew (B10) and upgrade a subscription. An order is paid at once when
the payer's available funds allow (B4, B5), else it waits, to be paid (B4).

Every public service here is one durable transaction; the lock order is `organizations.locks`'s.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import BudgetBlock, Order, Region, Resource, Spec
from billing.models.choices import MessageCategory, OrderKind, OrderStatus, PayMode, ResourceStatus
from organizations.audit import audit_record, organization_of
from organizations.models import Account, User
from organizations.policies import require_allowed, require_user_may
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .. import pricing
from ..ledger import begin
from ..messages import notify
from .common import (
    check_months,
    existing_order,
    kind_label,
    lock_resource,
    no_open_order,
    order_no,
)
from .paying import try_pay


def _after_placement(order: Order, paid: bool, *, acting_user: User) -> None:
    org = organization_of(order.owner)
    if paid:
        audit_record(
            actor=acting_user,
            action="order.paid",
            message=Msg(
                gettext_noop("Order %(no)s (%(kind)s) paid: %(amount)s CNY by %(payer)s"),
                no=order.order_no,
                kind=kind_label(order),
                amount=order.payable,
                payer=order.payer.uin,
            ),
            organization=org,
            target_account=order.owner,
            obj=order,
        )
        return
    audit_record(
        actor=acting_user,
        action="order.to_be_paid",
        message=Msg(
            gettext_noop("Order %(no)s (%(kind)s) is to be paid: %(amount)s CNY"),
            no=order.order_no,
            kind=kind_label(order),
            amount=order.payable,
        ),
        organization=org,
        target_account=order.owner,
        obj=order,
    )
    if order.pay_mode == PayMode.ON_BEHALF:
        notify(
            order.payer,
            Msg(
                gettext_noop("Order %(no)s of member %(uin)s is to be paid"),
                no=order.order_no,
                uin=order.owner.uin,
            ),
            Msg(
                gettext_noop(
                    "Your available funds did not cover %(amount)s CNY. "
                    "Top up, then pay it under Pay-on-behalf order management."
                ),
                amount=order.payable,
            ),
            order=order,
        )
    notify(
        order.owner,
        Msg(gettext_noop("Order %(no)s is to be paid"), no=order.order_no),
        Msg(
            gettext_noop("The payer's available funds did not cover %(amount)s CNY.")
            if order.pay_mode == PayMode.ON_BEHALF
            else gettext_noop(
                "Your available funds did not cover %(amount)s CNY. Top up, then pay it."
            ),
            amount=order.payable,
        ),
        order=order,
    )


def refuse_if_budget_blocked(owner: Account, acting_user: User | None) -> None:
    """F10: a budget over its amount that refuses orders blocks new purchases, renewals and
    upgrades of the member accounts in its scope until its period ends. Checked before the
    money transaction opens (one indexed query), so the refusal's message and audit record
    are committed in a transaction of their own while nothing of the order is saved."""
    block = (
        BudgetBlock.objects.filter(account=owner, period_end__gt=timezone.now())
        .select_related("budget")
        .order_by("period_end", "pk")
        .first()
    )
    if block is None:
        return
    budget = block.budget
    until = timezone.localtime(block.period_end).date()

    # said to the user in its language, to the owner in the owner's, and read in the audit
    # record in each reader's (issue 17)
    reason = Msg(
        gettext_noop(
            "Budget “%(name)s” of your organization is over its amount and refuses new "
            "subscription orders (purchases, renewals, upgrades) until %(until)s."
        ),
        name=budget.name,
        until=until,
    )
    _record_budget_refusal(owner, acting_user, budget, reason)
    raise DomainError(str(reason), code="OperationDenied.BudgetExceeded")


@transaction.atomic(durable=True)
def _record_budget_refusal(owner: Account, acting_user: User | None, budget, reason: Msg) -> None:
    notify(
        owner,
        Msg(gettext_noop("Order refused by budget %(name)s"), name=budget.name),
        reason,
        category=MessageCategory.BUDGET,
    )
    audit_record(
        actor=acting_user,
        action="order.refused_by_budget",
        message=reason,
        organization=organization_of(owner),
        target_account=owner,
        obj=budget,
    )


def _place(
    *,
    owner,
    acting_user: User,
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
        order_no=order_no(now),
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
    paid = try_pay(order, wallets, acting_user=acting_user, now=now)
    _after_placement(order, paid, acting_user=acting_user)
    return order


def order_buy(
    *,
    owner: Account,
    acting_user: User,
    spec: Spec,
    region: Region,
    months: int,
    idempotency_key: str | None = None,
) -> Order:
    """Buy a subscription for `months` months. Paid at once if the payer's funds allow."""
    refuse_if_budget_blocked(owner, acting_user)  # F10
    return _order_buy(
        owner=owner,
        acting_user=acting_user,
        spec=spec,
        region=region,
        months=months,
        idempotency_key=idempotency_key,
    )


@transaction.atomic(durable=True)
def _order_buy(*, owner, acting_user, spec, region, months, idempotency_key) -> Order:
    payer, mode, wallets = begin(owner)
    if (existing := existing_order(owner, idempotency_key)) is not None:
        return existing
    spec = Spec.objects.select_related("product").get(pk=spec.pk)
    require_allowed(owner, spec.product, acting_user)  # P2: the member's service control policies
    sellable = spec.product.sells_subscription or spec.pack_quantity is not None
    if not sellable or spec.monthly_price is None:
        raise DomainError(
            _("%(product)s is not sold by monthly subscription.")
            % {"product": spec.product.display_name},
            field="spec",
        )
    months = check_months(months)
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


def order_renew(
    *, resource: Resource, acting_user: User, months: int, idempotency_key: str | None = None
) -> Order:
    """B10: renewals are orders like any other."""
    refuse_if_budget_blocked(resource.owner, acting_user)  # F10
    return _order_renew(
        resource=resource, acting_user=acting_user, months=months, idempotency_key=idempotency_key
    )


@transaction.atomic(durable=True)
def _order_renew(*, resource, acting_user, months, idempotency_key) -> Order:
    payer, mode, wallets = begin(resource.owner)
    if (existing := existing_order(resource.owner, idempotency_key)) is not None:
        return existing
    res = lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    no_open_order(res)
    months = check_months(months)
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


def order_upgrade(
    *, resource: Resource, acting_user: User, spec: Spec, idempotency_key: str | None = None
) -> Order:
    """Upgrade to a dearer spec for the rest of the period, priced pro rata by remaining days."""
    refuse_if_budget_blocked(resource.owner, acting_user)  # F10
    return _order_upgrade(
        resource=resource, acting_user=acting_user, spec=spec, idempotency_key=idempotency_key
    )


@transaction.atomic(durable=True)
def _order_upgrade(*, resource, acting_user, spec, idempotency_key) -> Order:
    payer, mode, wallets = begin(resource.owner)
    if (existing := existing_order(resource.owner, idempotency_key)) is not None:
        return existing
    res = lock_resource(resource)
    require_user_may(acting_user, res.owner, res.product)  # A1/P2: a sub-user's products
    no_open_order(res)
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
