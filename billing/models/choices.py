from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingMode(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Monthly subscription")
    PAYG = "payg", _("Pay-as-you-go")


class Cycle(models.TextChoices):
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    MONTHLY = "monthly", _("Monthly")


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", _("Running")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class SuspendReason(models.TextChoices):
    """B9: why a resource is suspended, so recovery revives only what it suspended."""

    ARREARS = "arrears", _("Paying account in arrears")
    OPERATOR = "operator", _("Suspended by an operator")


class OrderKind(models.TextChoices):
    NEW = "new", _("New purchase")
    RENEW = "renew", _("Renewal")
    UPGRADE = "upgrade", _("Upgrade")
    DOWNGRADE = "downgrade", _("Downgrade")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")


PAYING_KINDS = (OrderKind.NEW, OrderKind.RENEW, OrderKind.UPGRADE)
REFUNDING_KINDS = (OrderKind.DOWNGRADE, OrderKind.UNSUBSCRIBE)


class OrderStatus(models.TextChoices):
    TO_BE_PAID = "to_be_paid", _("To be paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class PayMode(models.TextChoices):
    SELF = "self", _("Self-pay")
    ON_BEHALF = "behalf", _("Pay on behalf")


class OfferKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    REBATE = "rebate", _("Rebate")


class JournalKind(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    SETTLEMENT = "settlement", _("Usage settlement")
    ADJUSTMENT = "adjustment", _("Adjustment")
    FREEZE = "freeze", _("Freeze")
    UNFREEZE = "unfreeze", _("Freeze released")
    TRANSFER = "transfer", _("Fund transfer")  # F12: admin → self-pay member
    TAKE_BACK = "take_back", _("Fund transfer back")  # F12: member → admin, unspent funds


class Book(models.TextChoices):
    """Ledger books. `cash` belongs to a customer account; the others are the platform's."""

    CASH = "cash", _("Customer cash")
    REVENUE = "revenue", _("Platform revenue")
    FROZEN = "frozen", _("Customer frozen funds")
    FREEZE_OFFSET = "freeze_offset", _("Freeze offset")
    CLEARING = "clearing", _("Payment gateway clearing")
    VOUCHER_FUNDING = "voucher_funding", _("Voucher funding")


class TransactionType(models.TextChoices):
    """B11 bill line transaction types."""

    NEW = "new", _("New purchase")
    RENEW = "renew", _("Renewal")
    UPGRADE = "upgrade", _("Upgrade")
    DOWNGRADE = "downgrade", _("Downgrade refund")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe refund")
    SETTLEMENT = "settlement", _("Usage settlement")
    PACK = "pack", _("Resource pack")


class MessageCategory(models.TextChoices):
    ORDER = "order", _("Orders")
    RESOURCE = "resource", _("Resources")
    ORGANIZATION = "organization", _("Organization")
    FINANCE = "finance", _("Finance")
    BUDGET = "budget", _("Budgets")
