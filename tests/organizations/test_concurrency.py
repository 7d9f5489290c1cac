"""Races, proven on PostgreSQL with real threads (SQLite cannot lock rows)."""

import pytest

from organizations import services
from organizations.choices import InvitationStatus
from organizations.models import Department, Invitation, Membership
from tco_console.errors import DomainError
from tests.concurrency import run_concurrently
from tests.factories import UserFactory, make_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_o2_two_acceptances_over_the_limit_exactly_one_joins(attempt):
    org, admin = make_org(member_limit=3)
    a, b = UserFactory(), UserFactory()
    inv_a = services.invitation_send(
        organization=org, acting_user=admin, uin=a.account.uin, name="a"
    )
    inv_b = services.invitation_send(
        organization=org, acting_user=admin, uin=b.account.uin, name="b"
    )
    services.organization_set_member_limit(organization=org, limit=2, acting_user=admin)

    results = run_concurrently(
        lambda: services.invitation_accept(invitation=inv_a, acting_user=a),
        lambda: services.invitation_accept(invitation=inv_b, acting_user=b),
    )
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), results
    assert "member limit" in errors[0].message
    assert Membership.objects.filter(organization=org).count() == 2
    statuses = sorted(Invitation.objects.filter(organization=org).values_list("status", flat=True))
    assert statuses == [InvitationStatus.ACCEPTED, InvitationStatus.INVALID]


@pytest.mark.parametrize("attempt", range(3))
def test_o3_crossed_moves_never_make_a_cycle(attempt):
    org, admin = make_org()
    root = Department.objects.get(organization=org, parent=None)
    a = services.department_create(organization=org, parent=root, name="A", acting_user=admin)
    b = services.department_create(organization=org, parent=root, name="B", acting_user=admin)

    results = run_concurrently(
        lambda: services.department_move(department=a, new_parent=b, acting_user=admin),
        lambda: services.department_move(department=b, new_parent=a, acting_user=admin),
    )
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 1 and "under itself" in errors[0].message, results
    assert_tree_is_sound(org)


@pytest.mark.parametrize("attempt", range(3))
def test_o3_concurrent_moves_never_pass_depth_5(attempt):
    org, admin = make_org()
    root = Department.objects.get(organization=org, parent=None)

    def mk(name, parent):
        return services.department_create(
            organization=org, parent=parent, name=name, acting_user=admin
        )

    a = mk("A", root)
    b = mk("B", a)  # depth 2
    c = mk("C", root)
    d = mk("D", c)
    mk("E", d)  # C subtree: height 2
    z = mk("Z", root)
    # Alone, each move is fine: C under B puts E at 5; A under Z puts B at 3.
    # Together they would put E at 6.
    results = run_concurrently(
        lambda: services.department_move(department=c, new_parent=b, acting_user=admin),
        lambda: services.department_move(department=a, new_parent=z, acting_user=admin),
    )
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 1 and "at most 5 levels" in errors[0].message, results
    assert_tree_is_sound(org)


def assert_tree_is_sound(org):
    depts = {d.pk: d for d in Department.objects.filter(organization=org)}
    for d in depts.values():
        assert d.depth <= 5
        seen, node = set(), d
        while node.parent_id is not None:  # walking up reaches Root without a cycle
            assert node.pk not in seen
            seen.add(node.pk)
            node = depts[node.parent_id]
        assert node.is_root
        expected = "".join(f"{i}/" for i in [*reversed([*seen, node.pk])])
        assert sorted(d.ancestor_ids()) == sorted([*seen, node.pk])
        assert d.depth == len(seen)
        assert len(d.path) == len(expected)


@pytest.mark.parametrize("attempt", range(3))
def test_a1_two_owners_creating_the_same_login_name_one_wins_the_other_is_told(attempt):
    from organizations.models import User
    from organizations.services import sub_users as user_services

    owners = [UserFactory(), UserFactory()]

    def create(owner):
        return lambda: user_services.sub_user_create(
            account=owner.account,
            acting_user=owner,
            username="shared-name",
            password="a-Good-pass-2026",
            groups=[services.READ_ONLY_GROUP],
        )

    results = run_concurrently(*(create(o) for o in owners))
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), results
    assert errors[0].message == "This login name is already taken."
    assert User.objects.filter(username="shared-name").count() == 1
