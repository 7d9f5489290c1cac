"""Applying a member's settings (O4, O7, O9-O11, B14): the one place a membership's name,
permissions, payer and "allow quit" are written and their money consequences called, shared
by `member_update` (at once) and `permission_change_accept` (F17: on the member's consent).
Membership periods (O11) open and close here too. The caller holds the locks
(`organizations.locks`) and has checked the new settings (`rules._check_financials`).
"""

from __future__ import annotations

from django.utils import timezone

from ..hooks import money
from ..models import Account, Membership, MembershipPeriod, User


def _open_period(*, membership: Membership, at) -> MembershipPeriod:
    return MembershipPeriod.objects.create(
        account_id=membership.account_id,
        organization_id=membership.organization_id,
        member_type=membership.member_type,
        payer_id=membership.payer_id,
        started_at=at,
    )


def _close_period(*, account: Account, at) -> None:
    MembershipPeriod.objects.filter(account=account, ended_at__isnull=True).update(ended_at=at)


def _apply_member_settings(
    *,
    m: Membership,
    acting_user: User,
    name: str,
    remark: str,
    permissions: list[int],
    payer: Account | None,
    allow_quit: bool,
) -> dict:
    """Write the settings that differ on the locked membership `m` and return them as
    `{field: [old, new]}` (empty: nothing changed). A payer change closes the open membership
    period and opens one with the new payer (O11) and moves the member's money (B7, B9)."""
    changes = {}
    for field, new in (
        ("name", name),
        ("remark", remark),
        ("permissions", permissions),
        ("payer", payer.uin if payer else None),
        ("allow_quit", allow_quit),
    ):
        old = getattr(m, field)
        if field == "payer":
            old = m.payer.uin if m.payer else None
        if old != new:
            changes[field] = [old, new]
    if not changes:
        return changes
    m.name, m.remark, m.permissions, m.payer, m.allow_quit = (
        name,
        remark,
        permissions,
        payer,
        allow_quit,
    )
    m.save()
    money().settings_changed(m)  # B14
    if "payer" in changes:
        now = timezone.now()
        _close_period(account=m.account, at=now)
        _open_period(membership=m, at=now)
        money().payer_changed(m, acting_user=acting_user)  # B7, B9
    return changes
