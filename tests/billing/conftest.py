"""Fixtures the billing tests share (the pages: test_product_pages, test_order_pages,
test_page_scope_and_queries; the F6/F8 cache: test_finance_costs, test_finance_budget_cache).
A test module's own fixture of the same name wins."""

import pytest
from django.core.cache import caches

from tests.billing.helpers import buy, fund


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
    }
    caches["costs"].clear()
    yield caches["costs"]
    caches["costs"].clear()
