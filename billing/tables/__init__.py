"""The billing tables, one module per sub-domain; every name is re-exported here so
`from billing.tables import X` keeps working."""

from .columns import STATUS_BADGES, MoneyColumn, account_label, badge, member_name
from .resources import (
    MessageTable,
    OrderColumnsMixin,
    OrderTable,
    PackTable,
    PaidResourceTable,
    PaygResourceTable,
    PayOnBehalfOrderTable,
    ResourceTable,
    TransactionTable,
    VoucherTable,
    resource_status,
)

__all__ = [
    "STATUS_BADGES",
    "MessageTable",
    "MoneyColumn",
    "OrderColumnsMixin",
    "OrderTable",
    "PackTable",
    "PaidResourceTable",
    "PayOnBehalfOrderTable",
    "PaygResourceTable",
    "ResourceTable",
    "TransactionTable",
    "VoucherTable",
    "account_label",
    "badge",
    "member_name",
    "resource_status",
]
