"""What several billing pages share: the htmx events a money action answers with, the part of
a page an htmx request refreshes, and the toasts that say what an order did (B4, B5, B6)."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _

from ..models import Order, RefundShare
from ..models.choices import OrderStatus, PayMode
from ..templatetags.billing_tags import format_cny

ORDERS_CHANGED = "ordersChanged"
RESOURCES_CHANGED = "resourcesChanged"
BALANCE_CHANGED = "balanceChanged"
MESSAGES_CHANGED = "messagesChanged"
# Money actions may also send messages (an order to be paid, resources recovered by a top-up),
# so the top bar's unread badge listens too.
MONEY_EVENTS = (ORDERS_CHANGED, RESOURCES_CHANGED, BALANCE_CHANGED, MESSAGES_CHANGED)


# The part of a page an htmx request refreshes, by the id of the element it targets.
PARTIALS = {
    "balance-cards": "balance",
    "payment-method": "payment",
    "message-badge": "badge",
}


def partial_for(request) -> str:
    """Which partial of the page to render for this request: the one whose element the htmx
    request targets, else the table."""
    target = request.htmx.target if getattr(request, "htmx", None) else None
    return PARTIALS.get(target, "table")


def paid_parts(order: Order) -> str:
    """How a paid order was split between voucher and cash, when a voucher took part."""
    if order.voucher_amount and order.charged:
        return " " + _("Voucher %(voucher)s, cash %(cash)s.") % {
            "voucher": format_cny(order.voucher_amount),
            "cash": format_cny(order.charged),
        }
    if order.voucher_amount:
        return " " + _("Paid entirely by voucher.")
    return ""


def placed_message(order: Order) -> str:
    """The toast after an order is placed: paid or to be paid, and how much (B4, B5)."""
    args = {
        "no": order.order_no,
        "amount": format_cny(order.payable),
        "payer": order.payer.name,
        "uin": order.payer.uin,
    }
    if order.status == OrderStatus.PAID:
        if order.pay_mode == PayMode.ON_BEHALF:
            text = _("Order %(no)s is paid: %(amount)s, paid on behalf by %(payer)s (%(uin)s).")
        else:
            text = _("Order %(no)s is paid: %(amount)s from your balance.")
        return text % args + paid_parts(order)
    if order.pay_mode == PayMode.ON_BEHALF:
        return (
            _(
                "Order %(no)s is to be paid: %(amount)s. The available funds of your payer "
                "%(payer)s (%(uin)s) fall short; apply for pay-on-behalf under Pay-on-behalf "
                "order management."
            )
            % args
        )
    return (
        _(
            "Order %(no)s is to be paid: %(amount)s. Your available balance falls short; "
            "top up in Billing Center, then pay it."
        )
        % args
    )


def refund_message(order: Order, done: str) -> str:
    """B6: say how much went back, and to whom."""
    if not order.refund_amount:
        return done + " " + _("Nothing was refundable in cash.")
    shares = (
        RefundShare.objects.filter(refund_order=order, cash_amount__gt=0)
        .values("account__name", "account__uin")
        .annotate(total=Sum("cash_amount"))
        .order_by("account__uin")
    )
    parts = "; ".join(
        _("%(amount)s to %(name)s (%(uin)s)")
        % {
            "amount": format_cny(s["total"]),
            "name": s["account__name"],
            "uin": s["account__uin"],
        }
        for s in shares
    )
    return (
        done
        + " "
        + _("Refunded %(amount)s: %(parts)s.")
        % {"amount": format_cny(order.refund_amount), "parts": parts}
    )
