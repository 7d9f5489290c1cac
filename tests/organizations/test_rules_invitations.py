"""Rule O5 of SPEC.md (invitations: sending, answering, expiry, and what each side sees),
proven through the service that enforces it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from organizations import services
from organizations.choices import InvitationStatus, MemberType
from organizations.models import (
    AuditRecord,
    Invitation,
    Membership,
)
from organizations.tasks import expire_invitations
from tco_console.errors import DomainError
from tests.factories import UserFactory, make_org
from tests.organizations.helpers import chain, invite

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ O5


def test_o5_unknown_uin_is_refused(org, admin):
    with pytest.raises(DomainError, match="No account with UIN 999999999999 exists") as exc:
        services.invitation_send(organization=org, acting_user=admin, uin="999999999999", name="x")
    assert exc.value.code == "ResourceNotFound.UserNotExist"
    assert not Invitation.objects.exists()


def test_o5_second_pending_invitation_is_refused(org, admin, outsider):
    invite(org, admin, outsider)
    with pytest.raises(DomainError, match="pending invitation") as exc:
        invite(org, admin, outsider, name="again")
    assert exc.value.code == "FailedOperation.ReSentInvitation"


def test_o5_twenty_invitations_per_24_hours(org, admin):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(20):
            invite(org, admin, UserFactory())
        with pytest.raises(DomainError, match="at most 20 invitations in 24 hours") as exc:
            invite(org, admin, UserFactory())
        assert exc.value.code == "LimitExceeded.InvitationOverLimit"
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        invite(org, admin, UserFactory())  # the window slid


def test_o5_accept_creates_an_invited_member_with_the_invitation_terms(org, admin, outsider):
    dept = chain(org, admin, 1)
    inv = invite(
        org,
        admin,
        outsider,
        name="newbie",
        remark="hello",
        department=dept,
        permissions=[1, 2, 5],
        allow_quit=True,
    )
    assert inv.status == InvitationStatus.PENDING
    assert inv.expires_at - inv.created_at == timedelta(days=15)
    m = services.invitation_accept(invitation=inv, acting_user=outsider)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.ACCEPTED
    assert (m.member_type, m.name, m.remark, m.department, m.permissions, m.allow_quit) == (
        MemberType.INVITED,
        "newbie",
        "hello",
        dept,
        [1, 2, 5],
        True,
    )


def test_o5_decline_and_cancel(org, admin, outsider):
    inv = invite(org, admin, outsider)
    services.invitation_decline(invitation=inv, acting_user=outsider)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.DECLINED
    with pytest.raises(DomainError, match="no longer pending"):
        services.invitation_accept(invitation=inv, acting_user=outsider)
    inv2 = invite(org, admin, outsider, name="second")
    services.invitation_cancel(invitation=inv2, acting_user=admin)
    inv2.refresh_from_db()
    assert inv2.status == InvitationStatus.CANCELLED
    with pytest.raises(DomainError, match="no longer pending"):
        services.invitation_accept(invitation=inv2, acting_user=outsider)
    assert not Membership.objects.filter(account=outsider.account).exists()


def test_o5_invitations_expire_after_15_days(org, admin, outsider):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        inv = invite(org, admin, outsider)
    with time_machine.travel(start + timedelta(days=15, seconds=1), tick=False):
        assert expire_invitations.call() == 1
        assert expire_invitations.call() == 0  # idempotent
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.EXPIRED
    assert (
        AuditRecord.objects.filter(action="invitation.expire", object_id=str(inv.pk)).count() == 1
    )


def test_o5_an_expired_but_unswept_invitation_cannot_be_accepted(org, admin, outsider):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        inv = invite(org, admin, outsider)
    with (
        time_machine.travel(start + timedelta(days=16), tick=False),
        pytest.raises(DomainError, match="expired"),
    ):
        services.invitation_accept(invitation=inv, acting_user=outsider)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.EXPIRED


def test_o5_acceptance_rechecks_the_limit_and_invalidates(db):
    org, admin = make_org(member_limit=3)
    a, b = UserFactory(), UserFactory()
    inv_a, inv_b = invite(org, admin, a), invite(org, admin, b)
    services.organization_set_member_limit(organization=org, limit=2, acting_user=admin)
    services.invitation_accept(invitation=inv_a, acting_user=a)
    with pytest.raises(DomainError, match="reached its member limit"):
        services.invitation_accept(invitation=inv_b, acting_user=b)
    inv_b.refresh_from_db()
    assert inv_b.status == InvitationStatus.INVALID
    assert "member limit" in inv_b.status_reason


def test_o5_joining_one_organization_invalidates_other_invitations(org, admin, outsider, other_org):
    org2, admin2, _ = other_org
    inv1 = invite(org, admin, outsider)
    inv2 = invite(org2, admin2, outsider)
    services.invitation_accept(invitation=inv1, acting_user=outsider)
    inv2.refresh_from_db()
    assert inv2.status == InvitationStatus.INVALID
    with pytest.raises(DomainError):
        services.invitation_accept(invitation=inv2, acting_user=outsider)


def test_o5_creating_an_organization_invalidates_other_invitations(client, org, admin, outsider):
    inv = invite(org, admin, outsider, name="will-found")
    services.organization_create(account=outsider.account, acting_user=outsider)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.INVALID
    assert "created its own organization" in inv.status_reason
    client.force_login(outsider)
    page = client.get("/invitations/?tab=received").content.decode()
    assert badges(page) == ["Invalid"] and 'data-testid="accept-invitation"' not in page
    client.force_login(admin)
    page = client.get("/invitations/?tab=sent").content.decode()
    assert badges(page) == ["Invalid"] and f"/invitations/{inv.pk}/cancel/" not in page


def badges(page: str) -> list[str]:
    """The invitation status badges of a page, as read."""
    return re.findall(r'data-testid="invitation-status"[^>]*>([^<]+)<', page)


def test_o5_an_expired_but_unswept_invitation_shows_expired_on_both_sides(
    client, org, admin, outsider
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        inv = invite(org, admin, outsider, name="late-one")
    with time_machine.travel(start + timedelta(days=15, seconds=1), tick=False):
        client.force_login(outsider)
        page = client.get("/invitations/?tab=received").content.decode()
        assert badges(page) == ["Expired"]
        assert 'data-testid="accept-invitation"' not in page
        assert "No pending invitations." in client.get("/").content.decode()
        assert "late-one" in client.get("/invitations/?status=expired").content.decode()
        assert "late-one" not in client.get("/invitations/?status=pending").content.decode()
        client.force_login(admin)
        page = client.get("/invitations/?tab=sent").content.decode()
        assert badges(page) == ["Expired"] and f"/invitations/{inv.pk}/cancel/" not in page
        page = client.get("/invitations/?tab=sent&status=pending").content.decode()
        assert "late-one" not in page
        page = client.get("/invitations/?tab=sent&sort=status").content.decode()
        assert "late-one" in page
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.PENDING  # the sweep has not run: read-time status


def test_o5_declining_or_cancelling_an_expired_but_unswept_invitation_is_refused(
    org, admin, outsider
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        inv = invite(org, admin, outsider)
    with time_machine.travel(start + timedelta(days=16), tick=False):
        with pytest.raises(DomainError, match="expired"):
            services.invitation_decline(invitation=inv, acting_user=outsider)
        with pytest.raises(DomainError, match="expired"):
            services.invitation_cancel(invitation=inv, acting_user=admin)
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.EXPIRED
    expiries = AuditRecord.objects.filter(action="invitation.expire", object_id=str(inv.pk))
    assert expiries.count() == 1


def test_o5_records_stay_visible_to_both_sides(client, org, admin, outsider):
    inv = invite(org, admin, outsider, name="both-sides")
    services.invitation_decline(invitation=inv, acting_user=outsider)
    client.force_login(admin)
    assert "both-sides" in client.get("/invitations/?tab=sent").content.decode()
    client.force_login(outsider)
    page = client.get("/invitations/?tab=received").content.decode()
    assert "both-sides" in page and "Declined" in page
