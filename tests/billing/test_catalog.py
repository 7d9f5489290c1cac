"""A production start (migrate, then `manage.py load_catalog`) has a catalog to buy from; the
loader is idempotent and keeps what operators edit in the admin."""

import io

import pytest
from django.core.management import call_command

from billing.catalog import PRODUCTS, REGIONS
from billing.models import Product, Region, Spec
from billing.models.choices import OrderStatus
from tests.billing.helpers import D, buy, fund, spec
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def load_catalog() -> str:
    out = io.StringIO()
    call_command("load_catalog", stdout=out)
    return out.getvalue()


def catalog_rows():
    return (
        list(Region.objects.order_by("code").values()),
        list(Product.objects.order_by("code").values()),
        list(Spec.objects.order_by("product__code", "code").values()),
    )


def test_prod_load_catalog_gives_a_fresh_start_products_to_buy(client):
    assert not Product.objects.exists()  # migrate alone ships no catalog
    load_catalog()
    assert sorted(Product.objects.values_list("code", flat=True)) == sorted(p[0] for p in PRODUCTS)
    assert Region.objects.count() == len(REGIONS)
    user = UserFactory()
    client.force_login(user)
    assert "Cloud Virtual Machine" in client.get("/products/").content.decode()
    fund(user, "500.00", user)
    order = buy(user, "S5.MEDIUM4")
    assert order.status == OrderStatus.PAID and order.list_cost == D("150.00")


def test_prod_load_catalog_twice_changes_nothing_and_keeps_operator_edits():
    assert "added" in load_catalog()
    cheaper = spec("S5.MEDIUM4")
    cheaper.monthly_price = D("120.00")  # an operator's edit in the admin
    cheaper.save()
    before = catalog_rows()
    assert load_catalog().startswith("Catalog loaded: 0 ")
    assert catalog_rows() == before
    assert spec("S5.MEDIUM4").monthly_price == D("120.00")
