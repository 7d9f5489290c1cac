"""A1 roles, A3 operators, A4 audit in the same transaction."""

import pytest
from django.contrib.auth.models import Group

from organizations import services
from organizations.models import AuditRecord, Department, Membership, Organization
from organizations.services import organization as organization_services
from tco_console.errors import DomainError
from tests.factories import UserFactory, make_org, sub_user

pytestmark = pytest.mark.django_db


def test_a1_role_groups_exist_with_their_permissions():
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True))
        for g in Group.objects.filter(name__in=services.ROLE_GROUPS)
    }
    assert perms[services.OWNER_GROUP] >= {
        "view_org",
        "manage_org",
        "view_audit",
        "respond_invitation",
        "manage_account_users",
    }
    assert perms[services.ORG_MANAGER_GROUP] == {
        "view_org",
        "manage_org",
        "view_audit",
        "view_finance",
    }
    assert perms[services.FINANCE_MANAGER_GROUP] >= {"manage_finance", "view_finance"}
    # buys, activates and manages resources, within its product permissions (P2)
    assert perms[services.RESOURCE_MANAGER_GROUP] == {"view_org", "view_finance", "place_order"}
    assert "place_order" in perms[services.OWNER_GROUP]
    assert "manage_org" not in perms[services.READ_ONLY_GROUP]
    assert "manage_org" not in perms[services.FINANCE_MANAGER_GROUP]


def test_a1_org_manager_sub_user_can_manage_members(client, org, admin, outsider):
    manager = sub_user(admin.account, services.ORG_MANAGER_GROUP)
    client.force_login(manager)
    response = client.post(
        "/members/invite/",
        {
            "uin": outsider.account.uin,
            "name": "via-manager",
            "department": Department.objects.get(organization=org, parent=None).pk,
            "payment_mode": "self",
        },
    )
    assert response.status_code == 302
    record = AuditRecord.objects.get(action="invitation.send")
    assert record.actor == manager and record.actor_account == admin.account


def test_a1_read_only_sub_user_sees_but_cannot_change(client, org, admin, member, readonly_sub):
    client.force_login(readonly_sub)
    assert client.get("/members/").status_code == 200
    page = client.get("/members/").content.decode()
    assert "Invite member" not in page
    response = client.post(f"/members/{member.account.uin}/remove/")
    assert response.status_code == 403
    assert Membership.objects.filter(account=member.account).exists()


def test_a1_sub_user_cannot_accept_invitations_for_its_account(client, org, admin, outsider):
    inv = services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="x"
    )
    manager = sub_user(outsider.account, services.ORG_MANAGER_GROUP)
    client.force_login(manager)
    assert client.post(f"/invitations/{inv.pk}/accept/").status_code == 404
    assert not Membership.objects.filter(account=outsider.account).exists()


def test_a1_member_position_limits_an_owner(client, org, admin, member):
    """An owner has every group permission, but a member account cannot use admin pages."""
    client.force_login(member)
    response = client.get("/members/")
    assert response.status_code == 403
    assert "for the organization&#x27;s admin account" in response.content.decode()
    nav = client.get("/").content.decode()
    assert "Member account management" not in nav


def test_a3_admin_site_is_for_staff_only(client, admin):
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302  # to the admin login
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    client.force_login(operator)
    for path in (
        "/admin/",
        "/admin/organizations/account/",
        "/admin/organizations/organization/",
        "/admin/organizations/auditrecord/",
        "/admin/organizations/membership/",
        "/admin/organizations/invitation/",
        "/admin/organizations/department/",
        "/admin/organizations/membershipperiod/",
        "/admin/organizations/user/",
        "/admin/organizations/entity/",
    ):
        assert client.get(path).status_code == 200, path


def test_a3_audit_records_are_read_only_for_operators(client, org, admin):
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    client.force_login(operator)
    record = AuditRecord.objects.first()
    assert (
        client.post(
            f"/admin/organizations/auditrecord/{record.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_a3_operator_sets_the_member_limit_in_the_admin(client, org, admin):
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    client.force_login(operator)
    response = client.post(
        f"/admin/organizations/organization/{org.pk}/change/", {"member_limit": 150}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.member_limit == 150
    assert AuditRecord.objects.get(action="organization.set_member_limit").actor == operator


def test_a4_every_change_writes_one_audit_record(org, admin, outsider):
    before = AuditRecord.objects.count()
    inv = services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="audited"
    )
    services.invitation_accept(invitation=inv, acting_user=outsider)
    actions = list(AuditRecord.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions == ["invitation.send", "invitation.accept"]


def test_a4_a_refused_change_writes_no_audit_record(org, admin):
    before = AuditRecord.objects.count()
    with pytest.raises(DomainError):
        services.invitation_send(organization=org, acting_user=admin, uin="123456789012", name="x")
    assert AuditRecord.objects.count() == before


def test_a4_audit_is_in_the_same_transaction(monkeypatch, db):
    """If writing the audit record fails, the change itself is rolled back."""
    user = UserFactory()

    def boom(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(organization_services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        services.organization_create(account=user.account, acting_user=user)
    assert not Organization.objects.filter(admin_account=user.account).exists()
    assert not Membership.objects.filter(account=user.account).exists()


def test_a4_audit_log_is_scoped(client, org, admin, member):
    _org2, admin2 = make_org()
    client.force_login(member)
    page = client.get("/audit/").content.decode()
    assert member.account.uin in page
    assert admin2.account.uin not in page
