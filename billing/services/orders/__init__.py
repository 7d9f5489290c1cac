"""Orders (moved here from billing/services/orders.py; split by sub-domain next)."""

from .placing import *  # noqa: F403
from .placing import MAX_MONTHS, refund_split  # noqa: F401
