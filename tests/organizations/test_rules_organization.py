"""Rules O1–O4 of SPEC.md (one organization per account, the member limit, departments,
member names), each proven through the service that enforces it."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations import services
from organizations.choices import MemberType
from organizations.models import (
    AuditRecord,
    Department,
    Membership,
)
from tco_console.errors import DomainError
from tests.factories import UserFactory, join, make_org
from tests.organizations.helpers import chain, invite

pytestmark = pytest.mark.django_db


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
