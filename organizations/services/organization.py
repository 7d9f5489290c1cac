"""The organization (O1, O2, O7): created by an enterprise-verified account, which becomes
its admin; deleted only when it has no members; its member limit set by an operator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record
from ..choices import InvitationStatus, MemberType
from ..hooks import money
from ..locks import lock_accounts, lock_org
from ..models import Account, Department, Invitation, Membership, Organization, User
from .invitations import _invalidate_pending_invitations
from .member_settings import _close_period, _open_period


@transaction.atomic(durable=True)
def organization_create(*, account: Account, acting_user: User) -> Organization:
    """O1, O2, O3: an enterprise-verified account in no organization becomes an admin."""
    lock_accounts(account)
    account.refresh_from_db()
    if Membership.objects.filter(account=account).exists():
        # O1: a member (invited or created) or an admin cannot create another organization.
        raise DomainError(
            _("This account already belongs to an organization, so it cannot create one."),
            code="FailedOperation.OrganizationExistAlready",
        )
    if not account.is_enterprise_verified:
        raise DomainError(  # O2
            _(
                "The account has not completed enterprise identity verification; only "
                "enterprise-verified accounts can create an organization."
            ),
            code="FailedOperation.AuthNotEnterprise",
        )
    now = timezone.now()
    org = Organization.objects.create(
        admin_account=account, member_limit=settings.TCO_DEFAULT_MEMBER_LIMIT
    )
    root = Department.objects.create(organization=org, name="Root", depth=0)  # O3
    root.path = f"{root.pk}/"
    root.save(update_fields=["path"])
    admin = Membership.objects.create(
        organization=org,
        account=account,
        member_type=MemberType.ADMIN,
        department=root,
        name=account.name[:25],
        permissions=[],
        joined_at=now,
    )
    _open_period(membership=admin, at=now)
    money().joined(admin, acting_user=acting_user)
    # O5: like joining, creating puts the account in an organization: its pending
    # invitations can never be accepted now.
    _invalidate_pending_invitations(
        account=account,
        reason=Msg(gettext_noop("The account created its own organization.")),
        now=now,
    )
    audit_record(
        actor=acting_user,
        action="organization.create",
        message=Msg(gettext_noop("Created the organization")),
        organization=org,
        target_account=account,
        obj=org,
    )
    return org


@transaction.atomic(durable=True)
def organization_delete(*, organization: Organization, acting_user: User) -> None:
    """O7: the organization can be deleted only when it has no members."""
    org = lock_org(organization)
    if org.scp_enabled:
        raise DomainError(
            _("Disable service control policies before deleting the organization."),
            code="FailedOperation.OrganizationPolicyIsNotDisabled",
        )
    if Membership.objects.filter(organization=org).exclude(member_type=MemberType.ADMIN).exists():
        raise DomainError(
            _("There are members in this organization. Remove them before deleting it."),
            code="FailedOperation.OrganizationNotEmpty",
        )
    now = timezone.now()
    pending = Invitation.objects.filter(organization=org, status=InvitationStatus.PENDING)
    pending.update(
        status=InvitationStatus.INVALID,
        status_reason=(reason := Msg(gettext_noop("The organization was deleted."))).english(),
        status_reason_i18n=reason,
        responded_at=now,
    )
    admin = Membership.objects.select_for_update(no_key=False).get(  # deleted below
        organization=org, member_type=MemberType.ADMIN
    )
    _close_period(account=admin.account, at=now)
    admin.delete()
    org.deleted_at = now
    org.save(update_fields=["deleted_at"])
    audit_record(
        actor=acting_user,
        action="organization.delete",
        message=Msg(gettext_noop("Deleted the organization")),
        organization=org,
        target_account=org.admin_account,
        obj=org,
    )


@transaction.atomic(durable=True)
def organization_set_member_limit(
    *, organization: Organization, limit: int, acting_user: User
) -> None:
    """O2: an operator changes the member limit."""
    org = lock_org(organization)
    if limit < 1:
        raise DomainError(_("The member limit must be at least 1."), field="member_limit")
    old = org.member_limit
    org.member_limit = limit
    org.save(update_fields=["member_limit"])
    audit_record(
        actor=acting_user,
        action="organization.set_member_limit",
        message=Msg(gettext_noop("Set the member limit to %(limit)s"), limit=limit),
        organization=org,
        obj=org,
        changes={"member_limit": [old, limit]},
    )
