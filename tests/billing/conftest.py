"""Fixtures the billing tests share (the pages: test_product_pages, test_order_pages,
test_page_scope_and_queries; the F6/F8 cache: test_finance_costs, test_finance_budget_cache;
the budgets' `world`: test_finance_budgets, test_finance_budget_alerts). A test module's own
fixture of the same name wins (test_finance_credit and others make a `world` of their own)."""

import pytest
from django.core.cache import caches

from tests.billing.budget_helpers import travel
from tests.billing.helpers import buy, fund
from tests.factories import join, make_org


@pytest.fixture
def resource(catalog, member):
    fund(member, "2000", member)
    return buy(member, "S5.MEDIUM4", 1).resource


@pytest.fixture
def to_be_paid(catalog, org, admin, pob_member):
    """Three to-be-paid pay-on-behalf orders (the payer has no funds): 150, 300, 65."""
    return [buy(pob_member, code) for code in ("S5.MEDIUM4", "S5.LARGE8", "S5.SMALL2")]


@pytest.fixture
def costs_cache(settings):
    """The F6/F8 cache as in production (settings_test switches it off)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "costs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
        "charts": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "c"},
    }
    caches["costs"].clear()
    caches["charts"].clear()
    yield caches["costs"]
    caches["costs"].clear()
    caches["charts"].clear()


@pytest.fixture
def world(catalog):
    """An organization made on 2026-02-15: a pay-on-behalf member, a self-pay member that
    grants 9 and one that does not; everyone funded."""
    with travel(2026, 2, 15, 9, 0):
        org, admin = make_org()
        pob = join(org, admin, name="pob", payer=org.admin_account)
        granting = join(org, admin, name="granting", permissions=[1, 2, 9])
        plain = join(org, admin, name="plain", permissions=[1, 2])
        fund(admin, "100000", admin)
        for user in (granting, plain):
            fund(user, "100000", user)
    return {"org": org, "admin": admin, "pob": pob, "granting": granting, "plain": plain}
