from .bills import BillLine, BillSummary, Invoice, InvoiceStatus, Message
from .budgets import Budget, BudgetAlert, BudgetBlock, BudgetThreshold
from .catalog import Product, Region, Resource, ResourceStatusChange, Spec
from .credit import CreditAllocation, CreditChange, CreditChangeKind
from .exports import BillExport, ExportMode, ExportStatus
from .invoicing import InvoiceTitle, MemberInvoicing
from .ledger import Entry, Journal, Wallet
from .offers import InheritanceBlock, Offer, OfferInheritance, Voucher
from .orders import Order, RefundShare
from .rollups import (
    CostVersion,
    DailyCost,
    PayerProductMonth,
    PobDepartmentMonth,
    PobMemberMonth,
    ResourceMonth,
)
from .transfers import FundTakeBack, FundTransfer
from .usage import ResourcePack, UsageSettlement

__all__ = [
    "BillExport",
    "BillLine",
    "BillSummary",
    "Budget",
    "BudgetAlert",
    "BudgetBlock",
    "BudgetThreshold",
    "CostVersion",
    "CreditAllocation",
    "CreditChange",
    "CreditChangeKind",
    "DailyCost",
    "Entry",
    "ExportMode",
    "ExportStatus",
    "FundTakeBack",
    "FundTransfer",
    "InheritanceBlock",
    "Invoice",
    "InvoiceStatus",
    "InvoiceTitle",
    "Journal",
    "MemberInvoicing",
    "Message",
    "Offer",
    "OfferInheritance",
    "Order",
    "PayerProductMonth",
    "PobDepartmentMonth",
    "PobMemberMonth",
    "Product",
    "RefundShare",
    "Region",
    "Resource",
    "ResourceMonth",
    "ResourcePack",
    "ResourceStatusChange",
    "Spec",
    "UsageSettlement",
    "Voucher",
    "Wallet",
]
