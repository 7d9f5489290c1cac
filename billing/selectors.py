"""Billing reads. Pages start from `restrict()`ed querysets; the membership rules (O7, O10) ask
the questions at the bottom. This module imports no services, so organizations can use it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery, Sum

from billing.models import (
    Entry,
    Message,
    Order,
    Product,
    RefundShare,
    Resource,
    Spec,
    Voucher,
    Wallet,
)
from billing.models.choices import OrderStatus, PayMode, ResourceStatus
from billing.money import ZERO


@dataclass(frozen=True)
class Balance:
    """B2, for display: cash, credit limit, frozen and available."""

    cash: Decimal
    credit_limit: Decimal
    frozen: Decimal

    @property
    def available(self) -> Decimal:
        return self.cash + self.credit_limit - self.frozen

    @property
    def in_arrears(self) -> bool:
        return self.cash + self.credit_limit < 0


def balance_of(account) -> Balance:
    wallet = Wallet.objects.filter(account=account).first()
    if wallet is None:
        return Balance(ZERO, ZERO, ZERO)
    return Balance(wallet.cash, wallet.credit_limit, wallet.frozen)


def catalog() -> list[Product]:
    """Products with their specs, for the Products page (two queries)."""
    return list(Product.objects.prefetch_related("specs").order_by("position", "code"))


def subscription_specs():
    return Spec.objects.filter(
        monthly_price__isnull=False, product__sells_subscription=True
    ).select_related("product")


def resources_paid_by(*, user):
    """B9: the resources the user's account pays for (its own and its members'), for the payer."""
    from billing.services.lifecycle import paid_by

    if not user.has_perm("billing.view_finance") or user.account_id is None:
        return Resource.objects.none()
    return paid_by(user.account).select_related(
        "product", "spec", "region", "owner", "owner__membership"
    )


def resources(*, user):
    return Resource.objects.restrict(user, "view").select_related("product", "spec", "region")


def orders(*, user):
    """Every order the user's account owns, pays for, or got a refund share of; each carries
    `refunded_to_me`, the cash its refund shares returned to this account (B6)."""
    mine = (
        RefundShare.objects.filter(refund_order=OuterRef("pk"), account_id=user.account_id)
        .values("refund_order")
        .annotate(total=Sum("cash_amount"))
        .values("total")
    )
    return (
        Order.objects.restrict(user, "view")
        .select_related("owner", "payer", "product", "spec", "region", "resource", "voucher")
        .annotate(refunded_to_me=Subquery(mine))
    )


def pay_on_behalf_orders_as_payer(*, user):
    """Pay-on-behalf order management, admin side: members' orders this account pays."""
    shares = RefundShare.objects.filter(account_id=user.account_id).values("refund_order_id")
    return orders(user=user).filter(
        Q(payer_id=user.account_id, pay_mode=PayMode.ON_BEHALF)
        | (Q(pk__in=shares) & ~Q(owner_id=user.account_id))  # refunds to a (former) payer
    )


def pay_on_behalf_orders_as_member(*, user):
    """Pay-on-behalf order management, member side: its own orders paid by a payer."""
    return orders(user=user).filter(owner_id=user.account_id, pay_mode=PayMode.ON_BEHALF)


def own_orders(*, user):
    """Billing Center: the orders the account placed for itself (whoever pays)."""
    return orders(user=user).filter(owner_id=user.account_id)


def vouchers(*, user):
    return Voucher.objects.restrict(user, "view").select_related("product")


def transactions(*, user):
    """B13: the account's movements of cash, freezes and vouchers, including those it made for
    members (labelled)."""
    return Entry.objects.restrict(user, "view").select_related(
        "journal", "owner", "order", "resource", "voucher"
    )


def messages(*, user):
    return Message.objects.restrict(user, "view").select_related("order", "resource")


def unread_message_count(*, user) -> int:
    return Message.objects.restrict(user, "view").filter(read_at__isnull=True).count()


# ------------------------------------------------------------------ membership rules


def in_arrears(account) -> bool:
    """B9/O10: cash + credit limit < 0."""
    return balance_of(account).in_arrears


def orders_awaiting_payment(account, *, pay_mode: str | None = None):
    qs = Order.objects.filter(owner=account, status=OrderStatus.TO_BE_PAID)
    if pay_mode is not None:
        qs = qs.filter(pay_mode=pay_mode)
    return qs


def active_resource_count(account) -> int:
    return Resource.objects.filter(owner=account).exclude(status=ResourceStatus.TERMINATED).count()
