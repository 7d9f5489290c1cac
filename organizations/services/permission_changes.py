"""F17: the member's consent to a change of its financial permissions or payer (TCO's
PermissionStatus Confirmed / UnConfirmed; the TCE SDK's Accept/Deny/CancelMemberChangePermission).

`member_update` asks for a change of an invited member (`_request_change`); the old
permissions and payer stay in force until the member accepts. Each service here is one
durable transaction: the organization, then the record (`organizations.locks`), then the
membership and accounts; the rules are re-checked inside the locks; every step is audited
and both sides get a message.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record, audit_records_bulk
from ..choices import PermissionChangeStatus
from ..hooks import money
from ..locks import lock_accounts, lock_org, lock_permission_change
from ..models import Account, Membership, Organization, PermissionChange, User
from .member_settings import _apply_member_settings
from .rules import _check_financials, _normalize_permissions

VALID = PermissionChangeStatus.VALID


def _perms_text(perms) -> str:
    return ", ".join(str(p) for p in perms) or "—"


def _payer_text(payer: Account | None) -> Msg | str:
    return f"{payer.name} ({payer.uin})" if payer else Msg(gettext_noop("self-pay"))


def _summary(c: PermissionChange) -> Msg:
    """The change asked, as a `Msg`: `str()` renders it in the active language (a notice in
    its recipient's), and an audit record keeps it for each reader's (issue 17)."""
    return Msg(
        gettext_noop("Permissions %(old)s → %(new)s; payer %(old_payer)s → %(new_payer)s."),
        old=_perms_text(c.old_permissions),
        new=_perms_text(c.new_permissions),
        old_payer=_payer_text(c.old_payer),
        new_payer=_payer_text(c.new_payer),
    )


def _changes(c: PermissionChange) -> dict:
    return {
        "permissions": [c.old_permissions, c.new_permissions],
        "payer": [
            c.old_payer.uin if c.old_payer else None,
            c.new_payer.uin if c.new_payer else None,
        ],
    }


def _request_change(
    *,
    org: Organization,
    m: Membership,
    acting_user: User,
    permissions: list[int],
    payer: Account | None,
    allow_quit_on_accept: bool,
) -> PermissionChange:
    """F17: record the change the admin asks of the invited member `m` (locked, checked by
    the caller), refused while another awaits its consent. Inside `member_update`."""
    if PermissionChange.objects.filter(account_id=m.account_id, status=VALID).exists():
        raise DomainError(
            _(
                "A permission change for this member is already awaiting its consent. Wait "
                "for the member to accept or deny it, or cancel it on the member's page first."
            ),
            code="FailedOperation.ChangePermissionRecordExist",
            field="permissions",
        )
    now = timezone.now()
    change = PermissionChange.objects.create(
        organization=org,
        account=m.account,
        old_permissions=list(m.permissions),
        new_permissions=permissions,
        old_payer=m.payer,
        new_payer=payer,
        allow_quit_on_accept=allow_quit_on_accept,
        operator=acting_user,
        created_at=now,
        expires_at=PermissionChange.expiry_for(now),
    )
    money().notify(
        m.account,
        Msg(
            gettext_noop("%(org)s asks to change the financial permissions of your account"),
            org=org.display_name,
        ),
        [
            _summary(change),
            Msg(
                gettext_noop(
                    "Accept or deny it on your Overview before %(date)s; until then nothing "
                    "changes."
                ),
                date=date_format(timezone.localtime(change.expires_at), "Y-m-d H:i"),
            ),
        ],
        link=reverse("home"),
    )
    audit_record(
        actor=acting_user,
        action="member.permission_change.request",
        message=Msg(
            gettext_noop("Asked %(name)s (%(uin)s) to consent to a permission change: %(summary)s"),
            name=m.name,
            uin=m.account.uin,
            summary=_summary(change),
        ),
        organization=org,
        target_account=m.account,
        obj=change,
        changes=_changes(change),
    )
    return change


# ------------------------------------------------------------------ expiry


def _expired_audit(c: PermissionChange) -> dict:
    return {
        "actor": None,
        "action": "member.permission_change.expire",
        "message": Msg(
            gettext_noop("The permission change asked of %(uin)s expired unanswered"),
            uin=c.account.uin,
        ),
        "organization": c.organization,
        "target_account": c.account,
        "obj": c,
    }


def _mark_expired(due: list[PermissionChange], *, now) -> None:
    for c in due:
        c.status = PermissionChangeStatus.EXPIRED
        c.decided_at = now
    PermissionChange.objects.bulk_update(due, ["status", "decided_at"])
    audit_records_bulk(_expired_audit(c) for c in due)
    for c in due:
        for account in (c.account, c.organization.admin_account):
            money().notify(
                account,
                Msg(
                    gettext_noop("The permission change asked of %(uin)s expired"),
                    uin=c.account.uin,
                ),
                Msg(
                    gettext_noop(
                        "It was not answered within 15 days; the permissions did not change."
                    )
                ),
            )


@transaction.atomic(durable=True)
def permission_changes_expire(*, now=None, account_id: int | None = None) -> int:
    """F17: records awaiting consent past their expiry become expired. Idempotent and safe
    for many workers: rows another transaction holds are skipped, never waited for."""
    now = now or timezone.now()
    qs = PermissionChange.objects.select_for_update(
        skip_locked=True, no_key=True, of=("self",)
    ).filter(status=VALID, expires_at__lte=now)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    due = list(
        qs.select_related("account", "organization", "organization__admin_account").order_by("pk")[
            :1000
        ]
    )
    _mark_expired(due, now=now)
    return len(due)


def _refuse_if_overdue(change: PermissionChange) -> None:
    """F17: a record past its expiry that the sweep has not reached is expired now (in its own
    transaction, so the refusal that follows leaves it expired)."""
    overdue = PermissionChange.objects.filter(
        pk=change.pk, status=VALID, expires_at__lte=timezone.now()
    ).exists()
    if overdue:
        permission_changes_expire(account_id=change.account_id)
        raise DomainError(
            _("This permission change has expired; nothing was changed."),
            code="ResourceNotFound.ChangePermissionNotExist",
        )


def _refuse_if_not_pending(c: PermissionChange) -> None:
    if c.effective_status != VALID:
        raise DomainError(
            _("This permission change is no longer awaiting consent (it is %(status)s).")
            % {"status": c.get_effective_status_display().lower()},
            code="ResourceNotFound.ChangePermissionNotExist",
        )


def _invalidate_on_leave(*, account: Account, now) -> None:
    """F17: a member that leaves takes no pending change with it (inside `_leave`)."""
    PermissionChange.objects.filter(account=account, status=VALID).update(
        status=PermissionChangeStatus.EXPIRED,
        status_reason=(reason := Msg(gettext_noop("The member left the organization."))).english(),
        status_reason_i18n=reason,
        decided_at=now,
    )


# ------------------------------------------------------------------ the member answers


def permission_change_accept(*, change: PermissionChange, acting_user: User) -> PermissionChange:
    """F17: the member accepts; the change applies exactly as `member_update` would have
    applied it, after every O10 check is run again as of now."""
    _refuse_if_overdue(change)
    return _accept(change=change, acting_user=acting_user)


@transaction.atomic(durable=True)
def _accept(*, change: PermissionChange, acting_user: User) -> PermissionChange:
    org = lock_org(change.organization_id)
    c = lock_permission_change(change)
    _refuse_if_not_pending(c)
    m = (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account", "payer")
        .filter(account_id=c.account_id, organization=org)
        .first()
    )
    if m is None:  # left meanwhile (`_leave` invalidates its records; defensive)
        raise DomainError(
            _("The account is no longer a member of the organization."),
            code="ResourceNotFound.MemberNotExist",
        )
    lock_accounts(m.account, m.payer, c.new_payer)
    perms = _normalize_permissions(c.new_permissions)
    allow_quit = m.allow_quit or c.allow_quit_on_accept
    # O10 as of now: the payer may have gone into arrears, the member may have an order
    # awaiting payment, the payer may have stopped being eligible since the request.
    _check_financials(
        org=org,
        member_account=m.account,
        member_entity_id=m.account.entity_id,
        member_type=m.member_type,
        permissions=perms,
        payer=c.new_payer,
        allow_quit=allow_quit,
        previous_payer=m.payer,
    )
    applied = _apply_member_settings(
        m=m,
        acting_user=acting_user,
        name=m.name,
        remark=m.remark,
        permissions=perms,
        payer=c.new_payer,
        allow_quit=allow_quit,
    )
    now = timezone.now()
    c.status = PermissionChangeStatus.ACCEPTED
    c.decided_by, c.decided_at = acting_user, now
    c.save(update_fields=["status", "decided_by", "decided_at"])
    money().notify(
        org.admin_account,
        Msg(
            gettext_noop("%(name)s (%(uin)s) accepted the permission change"),
            name=m.name,
            uin=m.account.uin,
        ),
        [_summary(c), Msg(gettext_noop("It applies from now on."))],
        link=reverse("organizations:member_detail", args=[m.account.uin]),
    )
    audit_record(
        actor=acting_user,
        action="member.permission_change.accept",
        message=Msg(
            gettext_noop("Accepted the permission change of %(name)s (%(uin)s): %(summary)s"),
            name=m.name,
            uin=m.account.uin,
            summary=_summary(c),
        ),
        organization=org,
        target_account=m.account,
        obj=c,
        changes=applied,
    )
    return c


def permission_change_deny(*, change: PermissionChange, acting_user: User) -> PermissionChange:
    """F17: the member denies; its permissions and payer stay as they are."""
    _refuse_if_overdue(change)
    return _decide(
        change=change,
        acting_user=acting_user,
        status=PermissionChangeStatus.DENIED,
        action="member.permission_change.deny",
    )


def permission_change_cancel(*, change: PermissionChange, acting_user: User) -> PermissionChange:
    """F17: the admin withdraws its request; the member's settings stay as they are."""
    _refuse_if_overdue(change)
    return _decide(
        change=change,
        acting_user=acting_user,
        status=PermissionChangeStatus.CANCELED,
        action="member.permission_change.cancel",
    )


@transaction.atomic(durable=True)
def _decide(
    *, change: PermissionChange, acting_user: User, status: str, action: str
) -> PermissionChange:
    org = lock_org(change.organization_id, allow_deleted=True)
    c = lock_permission_change(change)
    _refuse_if_not_pending(c)
    c.status = status
    c.decided_by, c.decided_at = acting_user, timezone.now()
    c.save(update_fields=["status", "decided_by", "decided_at"])
    who = {"uin": c.account.uin}
    denied = status == PermissionChangeStatus.DENIED
    if denied:
        notice_to = org.admin_account
        link = reverse("organizations:member_detail", args=[c.account.uin])
        message = Msg(
            gettext_noop("Denied the permission change asked by %(org)s"), org=org.display_name
        )
    else:
        notice_to, link = c.account, reverse("home")
        message = Msg(gettext_noop("Cancelled the permission change asked of %(uin)s"), **who)

    if denied:
        title = Msg(gettext_noop("%(uin)s denied the permission change"), **who)
    else:
        title = Msg(
            gettext_noop("%(org)s withdrew its permission change request"), org=org.display_name
        )
    money().notify(
        notice_to, title, [_summary(c), Msg(gettext_noop("Nothing changed."))], link=link
    )
    audit_record(
        actor=acting_user,
        action=action,
        message=message,
        organization=org,
        target_account=c.account,
        obj=c,
        changes=_changes(c),
    )
    return c
