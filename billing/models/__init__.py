from .bills import BillLine, BillSummary, Message
from .catalog import Product, Region, Resource, Spec
from .ledger import Entry, Journal, Wallet
from .offers import InheritanceBlock, Offer, OfferInheritance, Voucher
from .orders import Order, RefundShare
from .usage import ResourcePack, UsageSettlement

__all__ = [
    "BillLine",
    "BillSummary",
    "Entry",
    "InheritanceBlock",
    "Journal",
    "Message",
    "Offer",
    "OfferInheritance",
    "Order",
    "Product",
    "RefundShare",
    "Region",
    "Resource",
    "ResourcePack",
    "Spec",
    "UsageSettlement",
    "Voucher",
    "Wallet",
]
