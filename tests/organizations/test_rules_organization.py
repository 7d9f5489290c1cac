"""Rules O1–O9 and O11 of SPEC.md, each proven through the service that enforces it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations import services
from organizations.choices import InvitationStatus, MemberType
from organizations.models import (
    AuditRecord,
    Department,
    Invitation,
    Membership,
    MembershipPeriod,
)
from organizations.tasks import expire_invitations
from tco_console.errors import DomainError
from tests.factories import EntityFactory, UserFactory, join, make_org

pytestmark = pytest.mark.django_db


def invite(org, admin, user, **kw):
    kw.setdefault("name", f"n-{user.account.uin[-6:]}")
    return services.invitation_send(organization=org, acting_user=admin, uin=user.account.uin, **kw)


def chain(org, admin, depth):
    """Departments L1 … L<depth> nested under Root; returns the deepest."""
    parent = Department.objects.get(organization=org, parent=None)
    for level in range(1, depth + 1):
        parent = services.department_create(
            organization=org, parent=parent, name=f"L{level}", acting_user=admin
        )
    return parent


# ------------------------------------------------------------------ O1


def test_o1_member_cannot_create_an_organization(org, admin, member):
    with pytest.raises(DomainError, match="already belongs to an organization"):
        services.organization_create(account=member.account, acting_user=member)


def test_o1_admin_cannot_create_a_second_organization(org, admin):
    with pytest.raises(DomainError, match="already belongs to an organization"):
        services.organization_create(account=admin.account, acting_user=admin)


def test_o1_account_in_another_organization_cannot_be_invited(org, admin, other_org):
    _org2, _admin2, m2 = other_org
    with pytest.raises(DomainError, match="already joined an organization") as exc:
        invite(org, admin, m2)
    assert exc.value.code == "FailedOperation.UserInOrganization"


def test_o1_database_refuses_a_second_membership(org, admin, member):
    org2, _ = make_org()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            organization=org2,
            account=member.account,
            member_type=MemberType.INVITED,
            department=Department.objects.get(organization=org2, parent=None),
            name="dup",
            joined_at=timezone.now(),
        )


def test_o1_creating_makes_the_account_admin_with_a_root(db):
    org, admin = make_org()
    m = Membership.objects.get(account=admin.account)
    assert m.member_type == MemberType.ADMIN and m.organization == org
    assert Department.objects.get(organization=org, parent=None).name == "Root"


# ------------------------------------------------------------------ O2


def test_o2_unverified_account_cannot_create_an_organization(db):
    user = UserFactory(account__entity=None)
    with pytest.raises(DomainError, match="enterprise identity verification") as exc:
        services.organization_create(account=user.account, acting_user=user)
    assert exc.value.code == "FailedOperation.AuthNotEnterprise"
    assert not Membership.objects.filter(account=user.account).exists()


def test_o2_members_and_pending_invitations_count_toward_the_limit(db):
    org, admin = make_org(member_limit=3)  # admin + 1 member + 1 pending = 3
    join(org, admin)
    invite(org, admin, UserFactory())
    with pytest.raises(DomainError, match=r"exceeds the upper limit \(3 accounts\)") as exc:
        invite(org, admin, UserFactory())
    assert exc.value.code == "LimitExceeded.OrganizationMemberOverLimit"
    with pytest.raises(DomainError, match="exceeds the upper limit"):
        services.member_create(
            organization=org, acting_user=admin, name="c1", username="c1", password="x" * 12
        )


def test_o2_default_member_limit_is_100(org):
    assert org.member_limit == 100


def test_o2_operator_changes_the_member_limit_with_audit(org, admin):
    operator = UserFactory(account=None, is_owner=False, is_staff=True, groups=[])
    services.organization_set_member_limit(organization=org, limit=250, acting_user=operator)
    org.refresh_from_db()
    assert org.member_limit == 250
    assert AuditRecord.objects.filter(
        action="organization.set_member_limit", organization=org
    ).exists()


# ------------------------------------------------------------------ O3


def test_o3_departments_nest_at_most_five_levels(org, admin):
    level5 = chain(org, admin, 5)
    assert level5.depth == 5
    with pytest.raises(DomainError, match="at most 5 levels below Root") as exc:
        services.department_create(organization=org, parent=level5, name="L6", acting_user=admin)
    assert exc.value.code == "LimitExceeded.NodeDepthExceedLimit"
    assert not Department.objects.filter(name="L6").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 41, "at most 40 characters"),
        ("bad name", "letters, digits"),
        ("bad/name", "letters, digits"),
        ("", "Enter a department name"),
    ],
)
def test_o3_department_name_rules(org, admin, name, message):
    root = Department.objects.get(organization=org, parent=None)
    with pytest.raises(DomainError, match=message):
        services.department_create(organization=org, parent=root, name=name, acting_user=admin)


def test_o3_department_name_allows_cjk_and_symbols_and_is_unique(org, admin):
    root = Department.objects.get(organization=org, parent=None)
    name = "研发+Ops@A&B._[x]-" + "y" * 24  # 40 characters
    assert len(name) == 40
    services.department_create(organization=org, parent=root, name=name, acting_user=admin)
    with pytest.raises(DomainError, match="already in use") as exc:
        services.department_create(organization=org, parent=root, name=name, acting_user=admin)
    assert exc.value.code == "FailedOperation.OrganizationNodeNameUsed"


def test_o3_same_department_name_in_two_organizations_is_fine(org, admin, other_org):
    org2, admin2, _ = other_org
    for o, a in ((org, admin), (org2, admin2)):
        root = Department.objects.get(organization=o, parent=None)
        services.department_create(organization=o, parent=root, name="Finance", acting_user=a)


def test_o3_root_cannot_be_deleted_renamed_or_moved(org, admin):
    root = Department.objects.get(organization=org, parent=None)
    child = chain(org, admin, 1)
    with pytest.raises(DomainError, match="Root department cannot be deleted"):
        services.department_delete(department=root, acting_user=admin)
    with pytest.raises(DomainError, match="cannot be renamed"):
        services.department_rename(department=root, name="Top", acting_user=admin)
    with pytest.raises(DomainError, match="cannot be moved"):
        services.department_move(department=root, new_parent=child, acting_user=admin)


def test_o3_department_rename(org, admin):
    dept = chain(org, admin, 1)
    services.department_rename(department=dept, name="Platform", acting_user=admin)
    dept.refresh_from_db()
    assert dept.name == "Platform"


def test_o3_move_refuses_itself_and_descendants(org, admin):
    deepest = chain(org, admin, 3)
    top = Department.objects.get(organization=org, name="L1")
    for target in (top, deepest):
        with pytest.raises(DomainError, match="under itself or one of its sub-departments"):
            services.department_move(department=top, new_parent=target, acting_user=admin)


def test_o3_move_refuses_a_subtree_that_would_pass_depth_5(org, admin):
    chain(org, admin, 4)  # L1..L4
    root = Department.objects.get(organization=org, parent=None)
    a = services.department_create(organization=org, parent=root, name="A", acting_user=admin)
    services.department_create(organization=org, parent=a, name="A2", acting_user=admin)  # height 1
    l4 = Department.objects.get(organization=org, name="L4")
    with pytest.raises(DomainError, match="at most 5 levels"):
        services.department_move(
            department=a, new_parent=l4, acting_user=admin
        )  # A2 would be level 6
    l3 = Department.objects.get(organization=org, name="L3")
    services.department_move(department=a, new_parent=l3, acting_user=admin)  # A at 4, A2 at 5
    a2 = Department.objects.get(organization=org, name="A2")
    assert (a2.depth, a2.path) == (5, f"{l3.path}{a.pk}/{a2.pk}/")


def test_o3_delete_only_when_no_members_and_no_children(org, admin):
    l1 = chain(org, admin, 2).parent
    with pytest.raises(DomainError, match="has sub-departments") as exc:
        services.department_delete(department=l1, acting_user=admin)
    assert exc.value.code == "FailedOperation.OrganizationNodeNotEmpty"
    l2 = Department.objects.get(organization=org, name="L2")
    user = join(org, admin, department=l2)
    with pytest.raises(DomainError, match="There are members in this department") as exc:
        services.department_delete(department=l2, acting_user=admin)
    assert exc.value.code == "FailedOperation.NodeNotEmpty"
    services.members_move(
        organization=org, uins=[user.account.uin], department=l1, acting_user=admin
    )
    services.department_delete(department=l2, acting_user=admin)
    assert not Department.objects.filter(pk=l2.pk).exists()


# ------------------------------------------------------------------ O4


def test_o4_member_name_at_most_25_and_unique(org, admin, member):
    with pytest.raises(DomainError, match="at most 25 characters"):
        invite(org, admin, UserFactory(), name="n" * 26)
    with pytest.raises(DomainError, match="already in use") as exc:
        invite(org, admin, UserFactory(), name="member-one")
    assert exc.value.code == "FailedOperation.OrganizationMemberNameUsed"
    m = Membership.objects.get(account=member.account)
    with pytest.raises(DomainError, match="already in use"):
        services.member_update(
            membership=m,
            acting_user=admin,
            name=Membership.objects.get(account=admin.account).name,
            remark="",
            permissions=[1, 2],
            payer=None,
            allow_quit=False,
        )


def test_o4_remark_at_most_40(org, admin, member):
    m = Membership.objects.get(account=member.account)
    with pytest.raises(DomainError, match="remark is at most 40"):
        services.member_update(
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="r" * 41,
            permissions=[1, 2],
            payer=None,
            allow_quit=True,
        )
    services.member_update(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="r" * 40,
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )
    m.refresh_from_db()
    assert m.remark == "r" * 40


def test_o4_pending_invitation_reserves_its_name(org, admin):
    invite(org, admin, UserFactory(), name="reserved")
    with pytest.raises(DomainError, match="already in use"):
        services.member_create(
            organization=org, acting_user=admin, name="reserved", username="u-r", password="x" * 12
        )


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


# ------------------------------------------------------------------ O6


def test_o6_created_member_gets_new_uin_and_admin_entity(client, org, admin):
    m = services.member_create(
        organization=org,
        acting_user=admin,
        name="made-here",
        username="made",
        password="Created-pw-2026",
        permissions=[1, 2, 7],
        payer=org.admin_account,
    )
    assert m.member_type == MemberType.CREATED
    assert len(m.account.uin) == 12 and m.account.uin.isdigit()
    assert m.account.entity == org.admin_account.entity
    assert m.payer == org.admin_account and not m.allow_quit
    assert client.login(username="made", password="Created-pw-2026")
    assert "made-here" in client.get("/").content.decode()


# ------------------------------------------------------------------ O7


def test_o7_quit_needs_allow_quit(org, admin):
    user = join(org, admin, allow_quit=False)
    m = Membership.objects.get(account=user.account)
    with pytest.raises(DomainError, match="does not allow this member to quit") as exc:
        services.member_quit(membership=m, acting_user=user)
    assert exc.value.code == "UnsupportedOperation.MemberNotAllowQuit"


def test_o7_member_quits_when_allowed(org, admin, member):
    services.member_quit(
        membership=Membership.objects.get(account=member.account), acting_user=member
    )
    assert not Membership.objects.filter(account=member.account).exists()


def test_o7_pay_on_behalf_member_cannot_have_allow_quit(org, admin):
    with pytest.raises(DomainError, match="not allowed to quit the organization actively") as exc:
        invite(
            org,
            admin,
            UserFactory(account__entity=org.admin_account.entity),
            permissions=[1, 2, 7],
            payer=org.admin_account,
            allow_quit=True,
        )
    assert exc.value.code == "InvalidParameter.AllowQuitIllegal"
    m = Membership.objects.get(account=admin.account)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=m.pk).update(payer=org.admin_account, allow_quit=True)


def test_o7_created_members_cannot_quit_or_be_removed(org, admin):
    m = services.member_create(
        organization=org, acting_user=admin, name="c", username="c-user", password="x" * 12
    )
    with pytest.raises(DomainError, match="cannot be removed"):
        services.member_remove(membership=m, acting_user=admin)
    with pytest.raises(DomainError, match="not allowed to quit"):
        services.member_quit(membership=m, acting_user=admin)


def test_o7_admin_removes_an_invited_member(org, admin, member):
    m = Membership.objects.get(account=member.account)
    services.member_remove(membership=m, acting_user=admin)
    assert not Membership.objects.filter(account=member.account).exists()
    assert AuditRecord.objects.filter(
        action="member.remove", target_account=member.account
    ).exists()


def test_o7_removal_and_quit_refused_while_paid_for_by_a_payer(org, admin, pob_member):
    m = Membership.objects.get(account=pob_member.account)
    for call in (services.member_remove, services.member_quit):
        with pytest.raises(DomainError, match="switch it to self-pay first"):
            call(membership=m, acting_user=admin)
    services.member_update(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )
    services.member_quit(membership=m, acting_user=pob_member)


def test_o7_removal_refused_while_paying_for_others(org, admin):
    payer_user = join(org, admin, name="payer-member")
    join(org, admin, name="paid", payer=payer_user.account)
    with pytest.raises(DomainError, match="pays on behalf of other members") as exc:
        services.member_remove(
            membership=Membership.objects.get(account=payer_user.account), acting_user=admin
        )
    assert exc.value.code == "FailedOperation.MemberIsDelegatePayerNotAllowDelete"


def test_o7_admin_cannot_quit_and_org_deletes_only_when_empty(org, admin, member):
    with pytest.raises(DomainError, match="cannot quit an organization created by yourself"):
        services.member_quit(
            membership=Membership.objects.get(account=admin.account), acting_user=admin
        )
    with pytest.raises(DomainError, match="There are members in this organization"):
        services.organization_delete(organization=org, acting_user=admin)
    services.member_remove(
        membership=Membership.objects.get(account=member.account), acting_user=admin
    )
    services.organization_delete(organization=org, acting_user=admin)
    org.refresh_from_db()
    assert org.deleted_at is not None
    assert not Membership.objects.filter(account=admin.account).exists()
    services.organization_create(account=admin.account, acting_user=admin)  # free to start again


# ------------------------------------------------------------------ O8


def test_o8_move_members_in_bulk(org, admin):
    dept = chain(org, admin, 1)
    users = [join(org, admin) for _ in range(3)]
    moved = services.members_move(
        organization=org, uins=[u.account.uin for u in users], department=dept, acting_user=admin
    )
    assert moved == 3
    assert set(
        Membership.objects.filter(department=dept).values_list("account__uin", flat=True)
    ) == {u.account.uin for u in users}
    assert AuditRecord.objects.filter(action="member.move", organization=org).count() == 3


def test_o8_moving_a_foreign_uin_moves_nothing(org, admin, member, other_org):
    dept = chain(org, admin, 1)
    foreign = other_org[2].account.uin
    with pytest.raises(DomainError, match="do not belong to the organization"):
        services.members_move(
            organization=org, uins=[member.account.uin, foreign], department=dept, acting_user=admin
        )
    assert Membership.objects.get(account=member.account).department.is_root


# ------------------------------------------------------------------ O9 / O10 entity rule


def test_o9_view_bills_and_balance_are_mandatory(org, admin):
    with pytest.raises(DomainError, match="mandatory"):
        invite(org, admin, UserFactory(), permissions=[1])


def test_o9_pay_on_behalf_requires_a_payer_and_vice_versa(org, admin):
    user = UserFactory(account__entity=org.admin_account.entity)
    with pytest.raises(DomainError, match="requires a payer"):
        invite(org, admin, user, permissions=[1, 2, 7])
    with pytest.raises(DomainError, match="only be set together with the pay-on-behalf permission"):
        invite(org, admin, user, permissions=[1, 2], payer=org.admin_account)


def test_o9_permission_changes_are_audited(org, admin, member):
    m = Membership.objects.get(account=member.account)
    services.member_update(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2, 4, 8],
        payer=None,
        allow_quit=True,
    )
    record = AuditRecord.objects.filter(
        action="member.update", target_account=member.account
    ).latest("id")
    assert record.changes["permissions"] == [[1, 2], [1, 2, 4, 8]]
    assert record.actor == admin


def test_o10_payer_needs_the_same_enterprise_entity(org, admin):
    stranger = UserFactory(account__entity=EntityFactory(name="Other Corp"))
    with pytest.raises(DomainError, match="different enterprise entities"):
        invite(org, admin, stranger, permissions=[1, 2, 7], payer=org.admin_account)
    unverified = UserFactory(account__entity=None)
    with pytest.raises(DomainError, match="different enterprise entities"):
        invite(org, admin, unverified, permissions=[1, 2, 7], payer=org.admin_account)


def test_o10_no_payer_chains(org, admin):
    pob = join(org, admin, name="paid-by-admin", payer=org.admin_account)
    newcomer = UserFactory(account__entity=org.admin_account.entity)
    with pytest.raises(DomainError, match="admin account or a self-paying member"):
        invite(org, admin, newcomer, permissions=[1, 2, 7], payer=pob.account)
    payer_member = join(org, admin, name="self-payer")
    join(org, admin, name="paid-by-member", payer=payer_member.account)
    m = Membership.objects.get(account=payer_member.account)
    with pytest.raises(DomainError, match="pays on behalf of other members"):
        services.member_update(
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="",
            permissions=[1, 2, 7],
            payer=org.admin_account,
            allow_quit=False,
        )


def test_o10_payer_outside_the_organization_is_refused(org, admin, other_org):
    with pytest.raises(DomainError, match="admin account or a self-paying member"):
        invite(
            org,
            admin,
            UserFactory(account__entity=org.admin_account.entity),
            permissions=[1, 2, 7],
            payer=other_org[0].admin_account,
        )


# ------------------------------------------------------------------ O11


def test_o11_periods_record_join_payer_switch_and_leave(org, admin):
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        user = join(org, admin, name="periodic", payer=org.admin_account)
    m = Membership.objects.get(account=user.account)
    with time_machine.travel(t0 + timedelta(days=10), tick=False):
        services.member_update(
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="",
            permissions=[1, 2],
            payer=None,
            allow_quit=True,
        )
    with time_machine.travel(t0 + timedelta(days=20), tick=False):
        services.member_quit(membership=Membership.objects.get(pk=m.pk), acting_user=user)
    periods = list(
        MembershipPeriod.objects.filter(account=user.account)
        .order_by("started_at")
        .values_list("payer_id", "started_at", "ended_at")
    )
    assert periods == [
        (org.admin_account.pk, t0, t0 + timedelta(days=10)),
        (None, t0 + timedelta(days=10), t0 + timedelta(days=20)),
    ]


def test_o11_rejoining_opens_a_new_period_and_history_is_per_org(org, admin, member, other_org):
    services.member_quit(
        membership=Membership.objects.get(account=member.account), acting_user=member
    )
    org2, admin2, _ = other_org
    join(org2, admin2, user=member, name="rejoined")
    assert MembershipPeriod.objects.filter(account=member.account).count() == 2
    assert (
        MembershipPeriod.objects.filter(account=member.account, ended_at__isnull=True)
        .get()
        .organization
        == org2
    )


def test_o11_admin_never_sees_records_from_before_joining(client, org, admin):
    user = UserFactory(account__entity=org.admin_account.entity)
    org_b, admin_b = make_org()
    join(org_b, admin_b, user=user, name="was-elsewhere", allow_quit=True)
    services.member_quit(membership=Membership.objects.get(account=user.account), acting_user=user)
    join(org, admin, user=user, name="now-here")
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    assert "now-here" in page and "was-elsewhere" not in page
    detail = client.get(f"/members/{user.account.uin}/").content.decode()
    assert detail.count('data-testid="period-row"') == 1  # only its period in this organization
