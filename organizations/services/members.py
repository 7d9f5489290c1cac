"""Members (O4, O6-O11): created in the organization, edited, moved, removed, quitting; and
the membership periods (O11) that record who paid for whom, when.

Every public service of the package is one durable transaction that locks what it reads
before it writes, re-checks the rule inside the lock, and records an audit entry in the same
transaction (A4). The lock order is the one written in `organizations.locks`; what a
membership change means for money is billing's, called through `organizations.hooks` in the
same transaction. Rules are cited by their SPEC.md numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record, audit_records_bulk
from ..choices import MemberType, PermissionChangeStatus
from ..hooks import money
from ..locks import lock_accounts, lock_membership, lock_org
from ..models import (
    Account,
    Department,
    Membership,
    Organization,
    PermissionChange,
    PolicyAttachment,
    User,
)
from .accounts import _create_account, _create_owner
from .member_settings import _apply_member_settings, _close_period, _open_period
from .permission_changes import (
    _invalidate_on_leave,
    _request_change,
    permission_changes_expire,
)
from .policies import bind_full_access
from .rules import (
    _check_can_leave,
    _check_financials,
    _check_member_limit,
    _check_member_name,
    _check_remark,
    _department_in,
    _normalize_permissions,
)


@transaction.atomic(durable=True)
def member_create(
    *,
    organization: Organization,
    acting_user: User,
    name: str,
    username: str,
    password: str,
    email: str = "",
    remark: str = "",
    department: Department | None = None,
    permissions: Iterable[int] = (1, 2),
    payer: Account | None = None,
) -> Membership:
    """O6: a brand-new account created in the organization, with the admin's entity."""
    org = lock_org(organization)
    lock_accounts(org.admin_account, payer)
    _check_member_limit(org)
    name = _check_member_name(org, name)
    remark = _check_remark(remark)
    perms = _normalize_permissions(permissions)
    dept = _department_in(org, department)
    entity = org.admin_account.entity
    _check_financials(
        org=org,
        member_account=None,
        member_entity_id=entity.pk if entity else None,
        member_type=MemberType.CREATED,
        permissions=perms,
        payer=payer,
        allow_quit=False,
    )
    account = _create_account(name=name, email=email, entity=entity)
    _create_owner(account=account, username=username, password=password, email=email)
    now = timezone.now()
    membership = Membership.objects.create(
        organization=org,
        account=account,
        member_type=MemberType.CREATED,
        department=dept,
        name=name,
        remark=remark,
        permissions=perms,
        payer=payer,
        allow_quit=False,
        joined_at=now,
    )
    _open_period(membership=membership, at=now)
    money().joined(membership, acting_user=acting_user)  # B11, B14
    bind_full_access(org, account=account)  # P1
    audit_record(
        actor=acting_user,
        action="member.create",
        message=Msg(
            gettext_noop("Created member account %(name)s (%(uin)s)"), name=name, uin=account.uin
        ),
        organization=org,
        target_account=account,
        obj=membership,
        changes={"permissions": perms, "payer": payer.uin if payer else None},
    )
    return membership


def member_update(
    *,
    membership: Membership,
    acting_user: User,
    name: str,
    remark: str,
    permissions: Iterable[int],
    payer: Account | None,
    allow_quit: bool,
) -> Membership:
    """O4, O7, O9, O10: edit a member. Payer changes close and open membership periods (O11).

    F17: for an invited member, a change of its financial permissions or payer does not apply
    here: it is checked now (O10, so the admin hears of a refusal at once) and recorded as a
    change awaiting the member's consent (`membership.pending_change`); the old permissions
    and payer stay in force until it accepts. Name, remark and "allow quit" apply at once
    (O7: "allow quit" asked with a switch to self-pay is turned on when the member accepts).
    """
    permission_changes_expire(account_id=membership.account_id)  # F17: an overdue one ends
    return _member_update(
        membership=membership,
        acting_user=acting_user,
        name=name,
        remark=remark,
        permissions=permissions,
        payer=payer,
        allow_quit=allow_quit,
    )


@transaction.atomic(durable=True)
def _member_update(
    *,
    membership: Membership,
    acting_user: User,
    name: str,
    remark: str,
    permissions: Iterable[int],
    payer: Account | None,
    allow_quit: bool,
) -> Membership:
    org, m = lock_membership(membership, related=("account", "payer"))
    lock_accounts(m.account, m.payer, payer)
    new_name = _check_member_name(org, name, exclude_membership=m)
    new_remark = _check_remark(remark)
    change = None
    if m.is_admin:
        perms, payer, allow_quit = m.permissions, None, False
    else:
        perms = _normalize_permissions(permissions)
        _check_financials(
            org=org,
            member_account=m.account,
            member_entity_id=m.account.entity_id,
            member_type=m.member_type,
            permissions=perms,
            payer=payer,
            allow_quit=allow_quit,
            previous_payer=m.payer,
        )
    financial = perms != m.permissions or (payer.pk if payer else None) != m.payer_id
    if m.member_type == MemberType.INVITED:  # F17: the member consents first
        if financial:
            change = _request_change(
                org=org,
                m=m,
                acting_user=acting_user,
                permissions=perms,
                payer=payer,
                allow_quit_on_accept=allow_quit and m.payer_id is not None,
            )
            perms, payer = m.permissions, m.payer  # the old ones stay in force
            allow_quit = allow_quit and m.payer_id is None
        elif allow_quit:
            _refuse_quit_while_pob_pending(m)
    changes = _apply_member_settings(
        m=m,
        acting_user=acting_user,
        name=new_name,
        remark=new_remark,
        permissions=perms,
        payer=payer,
        allow_quit=allow_quit,
    )
    if changes:
        audit_record(
            actor=acting_user,
            action="member.update",
            message=Msg(
                gettext_noop("Updated member %(name)s (%(uin)s): %(fields)s"),
                name=m.name,
                uin=m.account.uin,
                # issue 17: the fields by their labels, in the reader's language
                fields=[Membership._meta.get_field(f).verbose_name for f in changes],
            ),
            organization=org,
            target_account=m.account,
            obj=m,
            changes=changes,
        )
    m.pending_change = change
    return m


def _refuse_quit_while_pob_pending(m: Membership) -> None:
    """O7, F17: "allow quit" cannot be turned on while a switch to pay-on-behalf awaits the
    member's consent (accepting would make a paid-for member that may quit)."""
    if PermissionChange.objects.filter(
        account_id=m.account_id,
        status=PermissionChangeStatus.VALID,
        new_payer__isnull=False,
    ).exists():
        raise DomainError(
            _(
                "A switch to pay-on-behalf awaits this member's consent, and a member in "
                "pay-on-behalf mode is not allowed to quit. Cancel that change first."
            ),
            code="InvalidParameter.AllowQuitIllegal",
            field="allow_quit",
        )


@transaction.atomic(durable=True)
def members_move(
    *, organization: Organization, uins: Iterable[str], department: Department, acting_user: User
) -> int:
    """O8: move members (one or many) to a department."""
    org = lock_org(organization)
    uins = sorted({str(u).strip() for u in uins if str(u).strip()})
    if not uins:
        raise DomainError(_("Select at least one member to move."), field="uins")
    dept = _department_in(org, department)
    members = list(
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account", "department")
        .filter(organization=org, account__uin__in=uins)
        .order_by("pk")
    )
    if len(members) != len(uins):
        raise DomainError(
            _("Some of the UINs do not belong to the organization."),
            code="FailedOperation.SomeUinsNotInOrganization",
            field="uins",
        )
    moved = [m for m in members if m.department_id != dept.pk]
    old_names = {m.pk: m.department.name for m in moved}
    for m in moved:
        m.department = dept
    Membership.objects.bulk_update(moved, ["department"])
    money().moved([m.account_id for m in moved])  # B11
    audit_records_bulk(
        {
            "actor": acting_user,
            "action": "member.move",
            "message": Msg(
                gettext_noop("Moved %(name)s from %(old)s to %(new)s"),
                name=m.name,
                old=old_names[m.pk],
                new=dept.name,
            ),
            "organization": org,
            "target_account": m.account,
            "obj": m,
            "changes": {"department": [old_names[m.pk], dept.name]},
        }
        for m in moved
    )
    return len(moved)


def _leave(*, m: Membership, acting_user: User, action: str, message: Msg) -> None:
    now = timezone.now()
    _close_period(account=m.account, at=now)
    _invalidate_on_leave(account=m.account, now=now)  # F17
    money().left(m)  # B14
    audit_record(
        actor=acting_user,
        action=action,
        message=message,
        organization=m.organization,
        target_account=m.account,
        obj=m.account,
        changes={"department": m.department.name, "member_type": m.member_type},
    )
    PolicyAttachment.objects.filter(account=m.account).delete()  # P1: not a member any more
    m.delete()
    money().moved([m.account_id])  # B11: its totals leave the department (it is in none now)


def member_removal_refusal(membership: Membership) -> None:
    """O7: raise the refusal `member_remove` would give this member now, or return. For a
    batch (the API's DeleteOrganizationMembers) to refuse the whole batch before removing
    any; `member_remove` checks again inside its locks."""
    _refuse_removal(membership)


def _refuse_removal(m: Membership) -> None:
    if m.is_admin:
        raise DomainError(
            _("The admin account cannot be removed."),
            code="FailedOperation.DisableQuitSelfCreatedOrganization",
        )
    if m.member_type == MemberType.CREATED:
        raise DomainError(
            _("The created member cannot be removed from the organization."),
            code="UnsupportedOperation.CreateMemberNotAllowDelete",
        )
    _check_can_leave(m)


@transaction.atomic(durable=True)
def member_remove(*, membership: Membership, acting_user: User) -> None:
    """O7: the admin removes an invited member."""
    org, m = lock_membership(membership, for_delete=True)  # _leave deletes it
    _refuse_removal(m)
    money().notify(
        m.account,
        Msg(
            gettext_noop("You were removed from the organization of %(org)s"), org=org.display_name
        ),
        Msg(gettext_noop("Your account itself is not affected and pays for itself from now on.")),
    )
    _leave(
        m=m,
        acting_user=acting_user,
        action="member.remove",
        message=Msg(
            gettext_noop("Removed member %(name)s (%(uin)s)"), name=m.name, uin=m.account.uin
        ),
    )


@transaction.atomic(durable=True)
def member_quit(*, membership: Membership, acting_user: User) -> None:
    """O7: an invited member quits, only when its "allow quit" setting is on."""
    org, m = lock_membership(membership, for_delete=True)  # _leave deletes it
    if m.is_admin:
        raise DomainError(
            _("You cannot quit an organization created by yourself."),
            code="FailedOperation.DisableQuitSelfCreatedOrganization",
        )
    if m.member_type == MemberType.CREATED:
        raise DomainError(
            _("The created member is not allowed to quit."),
            code="UnsupportedOperation.CreateMemberNotAllowQuit",
        )
    _check_can_leave(m)
    if not m.allow_quit:
        raise DomainError(
            _("The organization does not allow this member to quit. Ask the admin to allow it."),
            code="UnsupportedOperation.MemberNotAllowQuit",
        )
    money().notify(
        org.admin_account,
        Msg(
            gettext_noop("%(name)s (%(uin)s) quit the organization"), name=m.name, uin=m.account.uin
        ),
    )
    _leave(
        m=m,
        acting_user=acting_user,
        action="member.quit",
        message=Msg(
            gettext_noop("%(name)s (%(uin)s) quit the organization"), name=m.name, uin=m.account.uin
        ),
    )
