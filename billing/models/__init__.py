from .bills import BillLine, Message
from .catalog import Product, Region, Resource, Spec
from .ledger import Entry, Journal, Wallet
from .offers import InheritanceBlock, Offer, OfferInheritance, Voucher
from .orders import Order, RefundShare

__all__ = [
    "BillLine",
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
    "Spec",
    "Voucher",
    "Wallet",
]
