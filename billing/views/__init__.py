"""Billing pages (SPEC §5), one module per page or sub-domain (issue 12: no file over 600
lines); every view is re-exported here, so `billing.urls` and `from billing import views` keep
working."""

from .orders import (
    activate,
    billing_center,
    buy,
    message_center,
    message_detail,
    messages_read_all,
    order_apply,
    order_cancel,
    order_pay,
    orders_cancel_bulk,
    orders_pay_bulk,
    pay_on_behalf_orders,
    products,
    resource_downgrade,
    resource_renew,
    resource_terminate,
    resource_unsubscribe,
    resource_upgrade,
    top_up,
    transactions_export,
)

__all__ = [
    "activate",
    "billing_center",
    "buy",
    "message_center",
    "message_detail",
    "messages_read_all",
    "order_apply",
    "order_cancel",
    "order_pay",
    "orders_cancel_bulk",
    "orders_pay_bulk",
    "pay_on_behalf_orders",
    "products",
    "resource_downgrade",
    "resource_renew",
    "resource_terminate",
    "resource_unsubscribe",
    "resource_upgrade",
    "top_up",
    "transactions_export",
]
