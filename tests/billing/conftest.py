"""Fixtures the billing page tests share (test_product_pages, test_order_pages,
test_page_scope_and_queries). A test module's own fixture of the same name wins."""

import pytest

from tests.billing.helpers import buy, fund


@pytest.fixture
def resource(catalog, member):
    fund(member, "2000", member)
    return buy(member, "S5.MEDIUM4", 1).resource


@pytest.fixture
def to_be_paid(catalog, org, admin, pob_member):
    """Three to-be-paid pay-on-behalf orders (the payer has no funds): 150, 300, 65."""
    return [buy(pob_member, code) for code in ("S5.MEDIUM4", "S5.LARGE8", "S5.SMALL2")]
