"""The billing tables, one module per sub-domain; every name is re-exported here so
`from billing.tables import X` keeps working."""

from .bills import (
    BillLineTable,
    MemberTotalsTable,
    ProductTotalsTable,
    ResourceTotalsTable,
    TotalsColumns,
)
from .columns import STATUS_BADGES, MoneyColumn, account_label, member_name, status_badge
from .invoices import InvoiceTable
from .ledger import TransactionTable, VoucherTable
from .messages import MessageTable
from .orders import OrderColumnsMixin, OrderTable, PayOnBehalfOrderTable
from .resources import (
    PackTable,
    PaidResourceTable,
    PaygResourceTable,
    ResourceTable,
    resource_status,
)
from .transfers import RecentTransferTable, TransferMemberTable, TransferRecordTable

__all__ = [
    "STATUS_BADGES",
    "BillLineTable",
    "InvoiceTable",
    "MemberTotalsTable",
    "MessageTable",
    "MoneyColumn",
    "OrderColumnsMixin",
    "OrderTable",
    "PackTable",
    "PaidResourceTable",
    "PayOnBehalfOrderTable",
    "PaygResourceTable",
    "ProductTotalsTable",
    "RecentTransferTable",
    "ResourceTable",
    "ResourceTotalsTable",
    "TotalsColumns",
    "TransactionTable",
    "TransferMemberTable",
    "TransferRecordTable",
    "VoucherTable",
    "account_label",
    "member_name",
    "resource_status",
    "status_badge",
]
