"""Issue 16: a budget's figures (F8, F9) are cached like F6's sums; prove a cached figure is
never stale: new spend of the admin or of a granting member, a permission revoked, the
budget's scope or products edited, a member moved out of a department budget's subtree."""

import pytest

from billing.finance import budgets as sel
from billing.finance.budget_services import budget_create, budget_update
from billing.models import Product
from organizations import services
from organizations.models import Department, Membership
from tests.billing.budget_helpers import fields as budget_fields
from tests.billing.budget_helpers import travel
from tests.billing.helpers import D, buy, fund
from tests.factories import join, make_org

pytestmark = pytest.mark.django_db


def test_f8_f9_cached_budget_figures_are_never_stale(catalog, costs_cache):
    with travel(2026, 2, 15, 9, 0):
        org, admin = make_org()
        root = Department.objects.get(organization=org, parent=None)
        team = services.department_create(
            organization=org, parent=root, name="Team", acting_user=admin
        )
        pob = join(org, admin, name="pob", payer=org.admin_account, department=team)
        granting = join(org, admin, name="granting", permissions=[1, 2, 9], department=team)
        fund(admin, "100000", admin)
        fund(granting, "100000", granting)
        whole = budget_create(organization=org, acting_user=admin, **budget_fields(thresholds=[]))
        dept = budget_create(
            organization=org,
            acting_user=admin,
            **budget_fields(thresholds=[], name="Team", scope="departments", departments=[team]),
        )
    with travel(2026, 3, 2, 10, 0):
        buy(pob, "S5.LARGE8")  # 300, paid by the admin
        assert sel.figures(whole).actual == D("300.00")
        assert sel.figures(dept).actual == D("300.00")
        assert len(costs_cache._cache) == 2
        buy(granting, "S5.MEDIUM4")  # 150, the granting member's own: its version rises
        assert sel.figures(whole).actual == D("450.00")
        assert sel.figures(dept).actual == D("450.00")
        buy(pob, "S5.SMALL2")  # 65, the admin's version rises
        assert sel.figures(whole).actual == D("515.00")

        Membership.objects.filter(account=granting.account).update(permissions=[1, 2])
        assert sel.figures(whole).actual == D("365.00")  # 9 revoked: out of the reach
        Membership.objects.filter(account=granting.account).update(permissions=[1, 2, 9])
        assert sel.figures(dept).actual == D("515.00")  # cached, then the move:

        services.members_move(
            organization=org, uins=[pob.account.uin], department=root, acting_user=admin
        )
        assert sel.figures(dept).actual == D("150.00")  # pob left Team's subtree

        edited = budget_update(
            budget=whole,
            acting_user=admin,
            **budget_fields(thresholds=[], products=[Product.objects.get(code="p_cbs")]),
        )
        assert sel.figures(edited).actual == D("0.00")  # no CBS spend: the products narrow it
