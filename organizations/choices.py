from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberType(models.TextChoices):
    """TCO's OrgMember.MemberType (Invite / Create), plus the admin account's own row."""

    ADMIN = "admin", _("Admin account")
    INVITED = "invited", _("Invited")
    CREATED = "created", _("Created")


class InvitationStatus(models.TextChoices):
    """O5. Maps to the 2018 API's OrgInvitation.Status (0 pending, 1 accepted, -1 expired, ...)."""

    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    INVALID = "invalid", _("Invalid")


class PaymentMode(models.TextChoices):
    SELF_PAY = "self", _("Self-pay")
    PAY_ON_BEHALF = "behalf", _("Pay-on-behalf")


class FinancialPermission(models.IntegerChoices):
    """O9: financial permissions a member grants the admin, numbered as TCO numbers them."""

    VIEW_BILLS = 1, _("View bills")
    VIEW_BALANCE = 2, _("View balance")
    FUND_TRANSFER = 3, _("Fund transfer")
    CONSOLIDATED_BILLS = 4, _("Consolidated bills")
    INVOICING = 5, _("Invoicing")
    OFFER_INHERITANCE = 6, _("Offer inheritance")
    PAY_ON_BEHALF = 7, _("Pay on behalf")
    COST_ANALYSIS = 8, _("Cost analysis")
    BUDGET_MANAGEMENT = 9, _("Budget management")
    CREDIT_LIMIT = 10, _("Credit-limit setting")


MANDATORY_PERMISSIONS = frozenset(
    {FinancialPermission.VIEW_BILLS, FinancialPermission.VIEW_BALANCE}
)


class PermissionChangeStatus(models.TextChoices):
    """F17: a permission change record's status, as the TCE SDK's MemberPermissionChangeRecord
    names it (Valid, Accept, Denied, Canceled, InValid)."""

    VALID = "valid", _("Awaiting consent")
    ACCEPTED = "accepted", _("Accepted")
    DENIED = "denied", _("Denied")
    CANCELED = "canceled", _("Canceled")
    EXPIRED = "expired", _("Expired")


class PermissionStatus(models.TextChoices):
    """F17: TCO's OrgMember.PermissionStatus."""

    CONFIRMED = "Confirmed", _("Confirmed")
    UNCONFIRMED = "UnConfirmed", _("Unconfirmed")
