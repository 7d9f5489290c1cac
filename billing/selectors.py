"""Billing reads. Pages start from `restrict()`ed querysets; the console's sidebar and top bar
ask the questions under "the console's questions" (remembered on the request's console
context); billing's side of a membership change (billing/membership.py: O7, O10) asks those
at the bottom. Selectors sit above the services they read (`payer_of`): no service imports
this module."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

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
from billing.models.choices import OrderStatus, PayMode
from billing.money import ZERO
from billing.services.ledger import payer_of
from billing.services.lifecycle import paid_by
from billing.templatetags.billing_tags import format_cny
from organizations.models import Account, Membership


@dataclass(frozen=True)
class Balance:
    """B2, for display: a snapshot of the wallet's cash, credit limit and frozen amount.
    Available (B2) and arrears (B9) are the Wallet's own properties, so the two can never
    disagree (layers.md §4.5)."""

    cash: Decimal
    credit_limit: Decimal
    frozen: Decimal
    transferred_in: Decimal = ZERO  # F13: of the cash, funds the admin transferred in

    available = Wallet.available
    in_arrears = Wallet.in_arrears


def balance_of(account) -> Balance:
    wallet = Wallet.objects.filter(account=account).first()
    if wallet is None:
        return Balance(ZERO, ZERO, ZERO)
    return Balance(wallet.cash, wallet.credit_limit, wallet.frozen, wallet.transferred_in)


def catalog() -> list[Product]:
    """Products with their specs, for the Products page (two queries)."""
    return list(Product.objects.prefetch_related("specs").order_by("position", "code"))


def subscription_specs():
    return Spec.objects.filter(
        monthly_price__isnull=False, product__sells_subscription=True
    ).select_related("product")


def resources_paid_by(*, user):
    """B9: the resources the user's account pays for (its own and its members'), for the payer."""
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


# ------------------------------------------------------------------ the console's questions


def is_payer(ctx) -> bool:
    """Does this account pay for members? The admin account is the organization's default
    payer (SPEC §1), known without a query; another member only when a membership names it
    as payer (O10). Members in pay-on-behalf mode never are (no chains)."""
    if ctx.membership is None:
        return False
    if ctx.is_admin:
        return True
    if ctx.membership.payer_id is not None:
        return False
    # Asked by the sidebar on every render (django-tables2 re-runs context processors for
    # each template cell): remembered on this request's console context.
    return ctx.remember(
        "billing.is_payer", lambda: Membership.objects.filter(payer_id=ctx.account.pk).exists()
    )


def unread_messages(ctx) -> int:
    """The top bar's unread badge, on every console page: one query per request, remembered
    on the console context (django-tables2 re-runs context processors for every table)."""
    return ctx.remember("billing.unread", lambda: unread_message_count(user=ctx.user))


def pay_on_behalf_visible(ctx) -> bool:
    """The sidebar shows Pay-on-behalf order management to payers and to members in
    pay-on-behalf mode."""
    if not ctx.can("billing.view_finance") or ctx.membership is None:
        return False
    return ctx.membership.payer_id is not None or is_payer(ctx)


@dataclass(frozen=True)
class PaymentMethod:
    """How an order placed now is paid. A member in pay-on-behalf mode has no choice (B4)."""

    on_behalf: bool
    payer: Account
    available: Decimal | None = None

    def __str__(self):
        if self.on_behalf:
            return _("Pay on behalf by %(name)s (%(uin)s)") % {
                "name": self.payer.name,
                "uin": self.payer.uin,
            }
        return _("Your balance (available %(amount)s)") % {"amount": format_cny(self.available)}


def payment_method(account: Account) -> PaymentMethod:
    payer, mode = payer_of(account)
    if mode == PayMode.ON_BEHALF:
        return PaymentMethod(on_behalf=True, payer=payer)
    return PaymentMethod(on_behalf=False, payer=account, available=balance_of(account).available)


# ------------------------------------------------------------------ membership rules


def orders_awaiting_payment(account, *, pay_mode: str | None = None):
    qs = Order.objects.filter(owner=account, status=OrderStatus.TO_BE_PAID)
    if pay_mode is not None:
        qs = qs.filter(pay_mode=pay_mode)
    return qs
