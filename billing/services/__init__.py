"""Billing writes. Import services from here: `from billing import services`."""

from .ledger import payer_of
from .lifecycle import resource_resume_by_operator, resource_suspend_by_operator
from .orders import (
    order_apply,
    order_buy,
    order_cancel,
    order_downgrade,
    order_pay,
    order_renew,
    order_unsubscribe,
    order_upgrade,
    orders_cancel_bulk,
    orders_pay_bulk,
)
from .wallets import wallet_set_credit_limit, wallet_top_up

__all__ = [
    "order_apply",
    "order_buy",
    "order_cancel",
    "order_downgrade",
    "order_pay",
    "order_renew",
    "order_unsubscribe",
    "order_upgrade",
    "orders_cancel_bulk",
    "orders_pay_bulk",
    "payer_of",
    "resource_resume_by_operator",
    "resource_suspend_by_operator",
    "wallet_set_credit_limit",
    "wallet_top_up",
]
