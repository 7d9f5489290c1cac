"""Orders, by sub-domain: placing (buy, renew, upgrade), paying (pay, apply, cancel, bulk) and
refunds (downgrade, unsubscribe; B6). What they share is in `common`.

`from billing.services import orders; orders.order_pay(...)` and `from billing.services.orders
import X` keep working: the public names are re-exported here.
"""

from .common import MAX_MONTHS
from .paying import order_apply, order_cancel, order_pay, orders_cancel_bulk, orders_pay_bulk
from .placing import order_buy, order_renew, order_upgrade
from .refunds import order_downgrade, order_unsubscribe, refund_split

__all__ = [
    "MAX_MONTHS",
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
    "refund_split",
]
