"""B14: offer inheritance follows financial permission 6 of a membership.

The source is the member's payer in pay-on-behalf mode, otherwise the organization's admin
account. An account inherits from at most one account, and never along a chain.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from billing.models import OfferInheritance
from organizations.choices import FinancialPermission
from tco_console.errors import DomainError


def inheritance_source(*, organization, payer):
    return payer or organization.admin_account


def check_inheritance(*, account, source, organization) -> None:
    """Raise when `account` may not inherit offers from `source` (B14)."""
    existing = OfferInheritance.objects.filter(account=account).first()
    if existing is not None and existing.organization_id != organization.pk:
        raise DomainError(
            _("The member already inherits offers from another account."),
            code="UnsupportedOperation.MemberDiscountInheritExisted",
            field="permissions",
        )
    if OfferInheritance.objects.filter(account=source).exists():
        raise DomainError(
            _(
                "The payer itself inherits offers from another account, "
                "so its offers cannot be inherited."
            ),
            code="UnsupportedOperation.OwnerDiscountInheritExisted",
            field="permissions",
        )
    if OfferInheritance.objects.filter(source=account).exists():
        raise DomainError(
            _("Other accounts inherit this member's offers, so it cannot inherit offers itself."),
            code="UnsupportedOperation.AddDiscountInheritNotAllow",
            field="permissions",
        )


def sync_inheritance(membership) -> None:
    """Create, move or remove the member's inheritance to match permission 6. Call inside the
    membership service's transaction, after check_inheritance passed."""
    existing = OfferInheritance.objects.filter(account_id=membership.account_id).first()
    wants = (
        not membership.is_admin and FinancialPermission.OFFER_INHERITANCE in membership.permissions
    )
    if not wants:
        if existing is not None and existing.organization_id == membership.organization_id:
            existing.delete()
        return
    source = inheritance_source(organization=membership.organization, payer=membership.payer)
    if existing is None:
        OfferInheritance.objects.create(
            account_id=membership.account_id, source=source, organization=membership.organization
        )
    elif existing.source_id != source.pk:
        existing.source = source
        existing.save(update_fields=["source"])


def drop_inheritance(*, account, organization) -> None:
    """The account left the organization: inheritance through it ends."""
    OfferInheritance.objects.filter(account=account, organization=organization).delete()
