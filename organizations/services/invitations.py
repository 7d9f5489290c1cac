"""Invitations (O5): sent, cancelled, declined, accepted, expired.

Acceptance re-checks every condition inside the locks (organization, invitation, accounts);
a condition that broke since sending makes the invitation invalid, and that state is
committed before the refusal is raised. An invitation past its expiry is marked expired the
moment anyone acts on it, as the sweep (`invitations_expire`) would.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record, audit_records_bulk
from ..choices import InvitationStatus, MemberType
from ..hooks import money
from ..locks import lock_accounts, lock_invitation, lock_org
from ..models import Account, Department, Invitation, Membership, Organization, User
from .member_settings import _open_period
from .policies import bind_full_access
from .rules import (
    _accounts_in_org,
    _check_financials,
    _check_member_limit,
    _check_member_name,
    _check_remark,
    _department_in,
    _normalize_permissions,
)


@transaction.atomic(durable=True)
def invitation_send(
    *,
    organization: Organization,
    acting_user: User,
    uin: str,
    name: str,
    remark: str = "",
    department: Department | None = None,
    permissions: Iterable[int] = (1, 2),
    payer: Account | None = None,
    allow_quit: bool = False,
) -> Invitation:
    org = lock_org(organization)
    invitee = Account.objects.filter(uin=(uin or "").strip()).first()
    if invitee is None:
        raise DomainError(
            _("No account with UIN %(uin)s exists.") % {"uin": uin},
            code="ResourceNotFound.UserNotExist",
            field="uin",
        )
    lock_accounts(invitee, payer)
    if Membership.objects.filter(account=invitee).exists():
        raise DomainError(
            _("The account %(uin)s has already joined an organization.") % {"uin": invitee.uin},
            code="FailedOperation.UserInOrganization",
            field="uin",
        )
    if Invitation.objects.filter(
        organization=org,
        invitee=invitee,
        status=InvitationStatus.PENDING,
        expires_at__gt=timezone.now(),
    ).exists():
        raise DomainError(
            _("A pending invitation to %(uin)s from this organization already exists.")
            % {"uin": invitee.uin},
            code="FailedOperation.ReSentInvitation",
            field="uin",
        )
    now = timezone.now()
    # An invitation that expired but was not yet swept must not block a new one.
    Invitation.objects.filter(
        organization=org, invitee=invitee, status=InvitationStatus.PENDING, expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED)
    _check_member_limit(org)
    sent_last_day = Invitation.objects.filter(
        organization=org, created_at__gt=now - timedelta(hours=24)
    ).count()
    if sent_last_day >= settings.TCO_INVITATIONS_PER_24H:
        raise DomainError(
            _("Invitation limit exceeded: at most %(n)s invitations in 24 hours.")
            % {"n": settings.TCO_INVITATIONS_PER_24H},
            code="LimitExceeded.InvitationOverLimit",
        )
    name = _check_member_name(org, name)
    remark = _check_remark(remark)
    perms = _normalize_permissions(permissions)
    dept = _department_in(org, department)
    _check_financials(
        org=org,
        member_account=invitee,
        member_entity_id=invitee.entity_id,
        member_type=MemberType.INVITED,
        permissions=perms,
        payer=payer,
        allow_quit=allow_quit,
    )
    invitation = Invitation.objects.create(
        organization=org,
        invitee=invitee,
        invited_by=acting_user,
        name=name,
        remark=remark,
        department=dept,
        permissions=perms,
        payer=payer,
        allow_quit=allow_quit,
        created_at=now,
        expires_at=now + timedelta(days=settings.TCO_INVITATION_TTL_DAYS),
    )
    money().notify(
        invitee,
        Msg(gettext_noop("%(org)s invites you to its organization"), org=org.display_name),
        Msg(
            gettext_noop("Review the invitation under Invitations before %(date)s."),
            date=f"{timezone.localtime(invitation.expires_at):%Y-%m-%d}",
        ),
    )
    audit_record(
        actor=acting_user,
        action="invitation.send",
        message=Msg(gettext_noop("Invited %(uin)s as %(name)s"), uin=invitee.uin, name=name),
        organization=org,
        target_account=invitee,
        obj=invitation,
        changes={"permissions": perms, "payer": payer.uin if payer else None},
    )
    return invitation


def _invalidate_pending_invitations(*, account: Account, reason: Msg, now) -> None:
    """O5: the account's pending, unexpired invitations become invalid (those past their
    expiry are expired already and stay so)."""
    Invitation.objects.filter(
        invitee=account, status=InvitationStatus.PENDING, expires_at__gt=now
    ).update(
        status=InvitationStatus.INVALID,
        status_reason=reason.english(),
        status_reason_i18n=reason,
        responded_at=now,
    )


def _refuse_if_not_pending(inv: Invitation) -> None:
    if inv.status == InvitationStatus.PENDING and inv.expires_at <= timezone.now():
        raise DomainError(
            _("This invitation has expired."), code="ResourceNotFound.InvitationNotExist"
        )
    if inv.status != InvitationStatus.PENDING:
        raise DomainError(
            _("This invitation is no longer pending (it is %(status)s).")
            % {"status": inv.get_status_display().lower()},
            code="ResourceNotFound.InvitationNotExist",
        )


def _expired_audit(inv: Invitation) -> dict:
    """A4: the system's record of an invitation that expired (`audit_record`'s keywords)."""
    return {
        "actor": None,
        "action": "invitation.expire",
        "message": Msg(gettext_noop("The invitation to %(uin)s expired"), uin=inv.invitee.uin),
        "organization": inv.organization,
        "target_account": inv.invitee,
        "obj": inv,
    }


@transaction.atomic(durable=True)
def _invitation_expire_if_due(*, invitation: Invitation) -> bool:
    """O5: an invitation past its expiry that the sweep has not reached yet is marked expired
    now, as the sweep would (committed, so the refusal that follows leaves it expired)."""
    # the lock order of every invitation service: organization, then invitation
    org = lock_org(invitation.organization_id, allow_deleted=True)
    inv = lock_invitation(invitation)
    now = timezone.now()
    if inv.status != InvitationStatus.PENDING or inv.expires_at > now:
        return False
    inv.status = InvitationStatus.EXPIRED
    inv.responded_at = now
    inv.save(update_fields=["status", "responded_at"])
    inv.organization = org
    audit_record(**_expired_audit(inv))
    return True


def _refuse_if_expired(invitation: Invitation) -> None:
    if _invitation_expire_if_due(invitation=invitation):
        raise DomainError(
            _("This invitation has expired."), code="ResourceNotFound.InvitationNotExist"
        )


def invitation_cancel(*, invitation: Invitation, acting_user: User) -> Invitation:
    """O5: the admin cancels a pending invitation; an overdue one is expired instead."""
    _refuse_if_expired(invitation)
    return _invitation_cancel(invitation=invitation, acting_user=acting_user)


@transaction.atomic(durable=True)
def _invitation_cancel(*, invitation: Invitation, acting_user: User) -> Invitation:
    org = lock_org(invitation.organization)
    inv = lock_invitation(invitation)
    _refuse_if_not_pending(inv)
    inv.status = InvitationStatus.CANCELLED
    inv.responded_at = timezone.now()
    inv.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=acting_user,
        action="invitation.cancel",
        message=Msg(gettext_noop("Cancelled the invitation to %(uin)s"), uin=inv.invitee.uin),
        organization=org,
        target_account=inv.invitee,
        obj=inv,
    )
    return inv


def invitation_decline(*, invitation: Invitation, acting_user: User) -> Invitation:
    """O5: the invitee declines a pending invitation; an overdue one is expired instead."""
    _refuse_if_expired(invitation)
    return _invitation_decline(invitation=invitation, acting_user=acting_user)


@transaction.atomic(durable=True)
def _invitation_decline(*, invitation: Invitation, acting_user: User) -> Invitation:
    org = lock_org(invitation.organization)
    inv = lock_invitation(invitation)
    _refuse_if_not_pending(inv)
    inv.status = InvitationStatus.DECLINED
    inv.responded_at = timezone.now()
    inv.save(update_fields=["status", "responded_at"])
    money().notify(
        org.admin_account,
        Msg(gettext_noop("%(uin)s declined your invitation"), uin=inv.invitee.uin),
        Msg(gettext_noop("The invitation to “%(name)s” was declined."), name=inv.name),
    )
    audit_record(
        actor=acting_user,
        action="invitation.decline",
        message=Msg(gettext_noop("Declined the invitation from %(org)s"), org=org.display_name),
        organization=org,
        target_account=inv.invitee,
        obj=inv,
    )
    return inv


@transaction.atomic(durable=True)
def _invitation_accept(
    *, invitation: Invitation, acting_user: User
) -> tuple[Membership | None, DomainError | None]:
    org = lock_org(invitation.organization_id, allow_deleted=True)  # refused below, recorded
    inv = lock_invitation(invitation)
    lock_accounts(inv.invitee, inv.payer)
    now = timezone.now()
    _refuse_if_not_pending(inv)
    # O5: acceptance re-checks every condition inside the locks; a broken one invalidates it.
    try:
        if org.deleted_at is not None:
            raise DomainError(
                _("The organization no longer exists."),
                code="ResourceNotFound.OrganizationNotExist",
            )
        if Membership.objects.filter(account=inv.invitee).exists():
            raise DomainError(
                _("Your account has already joined an organization."),
                code="FailedOperation.MemberExistInOtherOrganization",
            )
        if (
            _accounts_in_org(org) + 1 > org.member_limit
        ):  # O2: this invitation's seat becomes a member
            raise DomainError(
                _("The organization has reached its member limit (%(limit)s accounts).")
                % {"limit": org.member_limit},
                code="LimitExceeded.OrganizationMemberOverLimit",
            )
        _check_member_name(org, inv.name, exclude_invitation=inv)
        perms = _normalize_permissions(inv.permissions)
        _check_financials(
            org=org,
            member_account=inv.invitee,
            member_entity_id=inv.invitee.entity_id,
            member_type=MemberType.INVITED,
            permissions=perms,
            payer=inv.payer,
            allow_quit=inv.allow_quit,
        )
    except DomainError as error:
        inv.status = InvitationStatus.INVALID
        inv.status_reason = str(error.message)[:200]
        inv.responded_at = now
        inv.save(update_fields=["status", "status_reason", "responded_at"])
        audit_record(
            actor=acting_user,
            action="invitation.invalid",
            message=Msg(
                gettext_noop("Invitation became invalid: %(reason)s"), reason=error.message
            ),
            organization=org,
            target_account=inv.invitee,
            obj=inv,
        )
        return None, error
    dept = Department.objects.filter(
        pk=inv.department_id, organization=org
    ).first() or _department_in(org, None)
    membership = Membership.objects.create(
        organization=org,
        account=inv.invitee,
        member_type=MemberType.INVITED,
        department=dept,
        name=inv.name,
        remark=inv.remark,
        permissions=perms,
        payer=inv.payer,
        allow_quit=inv.allow_quit,
        joined_at=now,
    )
    _open_period(membership=membership, at=now)
    money().joined(membership, acting_user=acting_user)  # B11, B14, B7: money follows it in
    bind_full_access(org, account=inv.invitee)  # P1
    inv.status = InvitationStatus.ACCEPTED
    inv.responded_at = now
    inv.save(update_fields=["status", "responded_at"])
    # O5: the account is in an organization now: its other pending invitations can never be
    # accepted.
    _invalidate_pending_invitations(
        account=inv.invitee,
        reason=Msg(gettext_noop("The account joined another organization.")),
        now=now,
    )
    money().notify(
        org.admin_account,
        Msg(
            gettext_noop("%(name)s (%(uin)s) accepted your invitation"),
            name=inv.name,
            uin=inv.invitee.uin,
        ),
        Msg(gettext_noop("The account joined the organization.")),
    )
    audit_record(
        actor=acting_user,
        action="invitation.accept",
        message=Msg(
            gettext_noop("%(name)s (%(uin)s) accepted the invitation and joined"),
            name=inv.name,
            uin=inv.invitee.uin,
        ),
        organization=org,
        target_account=inv.invitee,
        obj=membership,
        changes={"permissions": perms, "payer": inv.payer.uin if inv.payer else None},
    )
    return membership, None


def invitation_accept(*, invitation: Invitation, acting_user: User) -> Membership:
    """O5: accept; if a condition broke since sending, the invitation becomes invalid (committed)
    and the refusal is raised to the caller. An overdue invitation is expired instead."""
    _refuse_if_expired(invitation)
    membership, error = _invitation_accept(invitation=invitation, acting_user=acting_user)
    if error is not None:
        raise error
    return membership


@transaction.atomic(durable=True)
def invitations_expire(*, now=None) -> int:
    """O5: pending invitations 15 days old become expired. Idempotent; safe for many workers."""
    now = now or timezone.now()
    due = list(
        Invitation.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
        .filter(status=InvitationStatus.PENDING, expires_at__lte=now)
        .select_related("invitee", "organization")
        .order_by("pk")[:1000]
    )
    for inv in due:
        inv.status = InvitationStatus.EXPIRED
        inv.responded_at = now
    Invitation.objects.bulk_update(due, ["status", "responded_at"])
    audit_records_bulk(_expired_audit(inv) for inv in due)
    return len(due)
