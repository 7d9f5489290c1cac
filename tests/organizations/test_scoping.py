"""A2 through `restrict()`: the policy and sub-user querysets return exactly the rows the
Policies and Users & permissions pages filtered by hand (issue 12), for each position.

The "hand" functions below copy those pages' filters as they stood (policy_views.py
`policies_page` and `_policy_or_404`, user_views.py `users_page` and `_sub_user_or_404`,
each with the permission check in front of it), so the views can switch to `restrict()`
without a change anyone can see.
"""

import pytest

from organizations import services
from organizations.models import PolicyEffect, ServiceControlPolicy, User
from organizations.scoping import console_context
from organizations.services import policies as scp
from tests.billing.helpers import product
from tests.factories import UserFactory, sub_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalog, org, admin, pob_member, member, other_org, outsider):
    """Policies in two organizations and sub-users on four accounts; one person per position:
    the paying admin, a member, sub-users of the admin account and an outsider."""
    org2, admin2, _m2 = other_org
    scp.policy_type_enable(organization=org, acting_user=admin)
    scp.policy_create(
        organization=org,
        name="CVM_only",
        effect=PolicyEffect.ALLOW,
        products=[product("p_cvm")],
        acting_user=admin,
    )
    scp.policy_type_enable(organization=org2, acting_user=admin2)
    return {
        "payer admin": admin,
        "member": member,
        "pay-on-behalf member": pob_member,
        "org manager sub-user": sub_user(admin.account, services.ORG_MANAGER_GROUP),
        # the owner's group, yet no owner: it manages no sub-users (A1)
        "owner-group sub-user": sub_user(admin.account, services.OWNER_GROUP),
        "read-only sub-user": sub_user(admin.account, services.READ_ONLY_GROUP),
        "member's sub-user": sub_user(member.account, services.ORG_MANAGER_GROUP),
        "outsider": outsider,
        "outsider's sub-user": sub_user(outsider.account, services.OWNER_GROUP),
        "other admin": admin2,
        "operator": UserFactory(account=None, is_owner=False, is_staff=True),
    }


def _pks(queryset):
    return set(queryset.values_list("pk", flat=True))


def _hand_policy_list(user):
    """policies_page: view_org (403 without it), then the admin's organization's policies."""
    ctx = console_context(user)
    if not ctx.can("organizations.view_org") or not ctx.is_admin:
        return ServiceControlPolicy.objects.none()
    return ServiceControlPolicy.objects.filter(organization=ctx.organization)


def _hand_policy_lookup(user):
    """_policy_or_404: a 404 unless the admin account, then its organization's policies; the
    permission is checked after (`_admin_org`, 403)."""
    ctx = console_context(user)
    if not ctx.is_admin:
        return ServiceControlPolicy.objects.none()
    return ServiceControlPolicy.objects.filter(organization=ctx.organization)


def _hand_sub_users(user):
    """users_page and _sub_user_or_404: only the owner with manage_account_users (403 for
    anyone else), then its own account's sub-users."""
    ctx = console_context(user)
    if not (user.is_owner and ctx.can("organizations.manage_account_users")):
        return User.objects.none()
    return User.objects.filter(account_id=user.account_id, is_owner=False)


def test_a2_policies_restrict_is_the_policies_page_filter(world):
    for who, user in world.items():
        expected = _pks(_hand_policy_list(user))
        assert _pks(ServiceControlPolicy.objects.restrict(user, "view")) == expected, who
    assert _pks(ServiceControlPolicy.objects.restrict(world["payer admin"], "view"))


def test_a2_policy_in_scope_is_the_policy_lookup_filter(world):
    for who, user in world.items():
        expected = _pks(_hand_policy_lookup(user))
        for action in ("view", "change"):
            scoped = ServiceControlPolicy.objects.in_scope(user, action)
            assert _pks(scoped) == expected, (who, action)
    admin_sees = _pks(ServiceControlPolicy.objects.in_scope(world["payer admin"], "change"))
    assert len(admin_sees) == 2  # FullAccessPolicy and CVM_only, not the other organization's


def test_a2_policy_change_needs_manage_org(world):
    read_only = world["read-only sub-user"]
    assert not ServiceControlPolicy.objects.restrict(read_only, "change").exists()
    assert _pks(ServiceControlPolicy.objects.restrict(world["payer admin"], "change")) == _pks(
        _hand_policy_lookup(world["payer admin"])
    )


def test_a2_sub_users_restrict_is_the_users_page_filter(world):
    for who, user in world.items():
        expected = _pks(_hand_sub_users(user))
        for action in ("view", "change"):
            assert _pks(User.sub_users.restrict(user, action)) == expected, (who, action)
    admin = world["payer admin"]
    assert _pks(User.sub_users.restrict(admin, "view")) == {
        world[k].pk for k in ("org manager sub-user", "owner-group sub-user", "read-only sub-user")
    }


def test_a1_sub_users_manager_leaves_the_default_manager_alone():
    """`User.objects` is still Django's UserManager (the migrations serialize it)."""
    from django.contrib.auth.models import UserManager

    assert User._default_manager.name == "objects"
    assert type(User._default_manager) is UserManager
