"""The billing pages' plumbing (SPEC §5): A2 scoping (out of scope is a 404), htmx partials
and modal swaps, real links, and pinned query counts that stay constant as data grows."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Order, Resource, Voucher
from billing.models.choices import OrderStatus, ResourceStatus
from tco_console.planning import queries_added
from tests.billing.helpers import D, buy, fund, spec
from tests.billing.page_helpers import HTMX, key

pytestmark = pytest.mark.django_db
LIST_URLS = [
    "/products/",
    "/pay-on-behalf/orders/",
    "/pay-on-behalf/orders/?status=paid",
    "/billing/?tab=orders",
    "/billing/?tab=vouchers",
    "/billing/?tab=transactions",
]


# ------------------------------------------------------------------ A2: scope


def test_a2_out_of_scope_resources_are_404(client, resource, admin, outsider, member):
    for user in (admin, outsider):
        client.force_login(user)
        for action in ("renew", "upgrade", "downgrade", "unsubscribe"):
            url = f"/resources/{resource.instance_id}/{action}/"
            assert client.get(url).status_code == 404
            assert (
                client.post(
                    url, {"months": 1, "spec": spec("S5.LARGE8").pk, "idempotency_key": key()}
                ).status_code
                == 404
            )
    assert Order.objects.filter(resource=resource).count() == 1
    assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.ACTIVE


def test_a2_out_of_scope_orders_are_404(
    client, to_be_paid, org, admin, pob_member, member, other_org
):
    _, admin2, _ = other_org
    order = to_be_paid[0]
    fund(admin2, "1000", admin2)
    for user, actions in (
        (admin2, ("pay", "cancel", "apply")),  # another organization's payer
        (member, ("pay", "cancel", "apply")),  # a sibling member
        (pob_member, ("pay",)),  # the owner cannot pay on its payer's behalf
        (admin, ("apply",)),  # only the owner applies
    ):
        client.force_login(user)
        for action in actions:
            assert client.get(f"/orders/{order.order_no}/{action}/").status_code == 404
            assert client.post(f"/orders/{order.order_no}/{action}/").status_code == 404
    client.force_login(admin2)
    client.post("/orders/pay/", {"orders": [order.order_no]}, **HTMX)
    order.refresh_from_db()
    assert order.status == OrderStatus.TO_BE_PAID and order.applied_at is None
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert order.order_no not in html


def test_a2_self_payers_order_is_not_the_admins_to_pay(client, catalog, admin, member):
    order = buy(member, "S5.MEDIUM4")
    fund(admin, "1000", admin)
    client.force_login(admin)
    assert client.post(f"/orders/{order.order_no}/pay/").status_code == 404
    assert order.order_no not in client.get("/pay-on-behalf/orders/").content.decode()
    assert order.order_no not in client.get("/billing/").content.decode()


# ------------------------------------------------------------------ htmx


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_pages_answer_htmx_with_the_partial_only(client, catalog, admin, pob_member, url):
    buy(pob_member, "S5.MEDIUM4")
    client.force_login(admin)
    full = client.get(url)
    partial = client.get(url, **HTMX)
    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b"<html" not in partial.content
    assert b"<table" in partial.content and b"sidebar" not in partial.content


def test_balance_cards_refresh_on_their_own(client, catalog, member):
    fund(member, "42", member)
    client.force_login(member)
    response = client.get("/billing/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="balance-cards")
    html = response.content.decode()
    assert 'id="balance-cards"' in html and "42.00 CNY" in html and "<table" not in html
    response = client.get("/products/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="payment-method")
    html = response.content.decode()
    assert "Your balance (available 42.00 CNY)" in html and "<table" not in html


def test_modal_openers_swap_inside_the_modal(client, to_be_paid, admin, pob_member):
    fund(pob_member, "500", pob_member)
    for user, url in (
        (admin, "/pay-on-behalf/orders/"),
        (pob_member, "/products/"),
        (admin, "/billing/"),
    ):
        client.force_login(user)
        html = client.get(url).content.decode()
        for tag in re.findall(r'<a [^>]*hx-target="#modal-content"[^>]*>', html):
            assert 'hx-swap="innerHTML"' in tag, tag
        for tag in re.findall(
            r"<a [^>]*hx-get=\"/(?:orders|resources|products/buy|billing/top-up)[^>]*>", html
        ):
            assert 'hx-target="#modal-content"' in tag, tag


def test_lists_keep_real_links_for_tabs_sorting_and_paging(client, to_be_paid, admin):
    client.force_login(admin)
    html = client.get("/pay-on-behalf/orders/", {"q": "member"}).content.decode()
    assert 'href="?q=member&amp;status=paid"' in html
    assert 'hx-get="?q=member&amp;status=paid"' in html
    assert "sort=" in html


# ------------------------------------------------------------------ bounded queries


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(admin, pob_member, member, n):
    """n more rows in every list: pay-on-behalf orders (paid and to be paid), resources,
    vouchers, transactions."""
    now = timezone.now()
    fund(admin, str(150 * n), admin)
    fund(member, str(200 * n), member)
    for _ in range(n):
        buy(pob_member, "S5.MEDIUM4")  # paid on behalf
        buy(member, "S5.SMALL2")
    for _ in range(n):
        buy(pob_member, "S5.SMALL2")  # the payer's cash is spent: to be paid
        Voucher.objects.create(
            account=member.account,
            code=f"V-{uuid.uuid4().hex[:12]}",
            face_value=D("1"),
            remaining=D("0"),
            valid_from=now - timedelta(days=2),
            valid_until=now - timedelta(days=1),
        )


# Pinned maxima (full pages, after the first request warms the caches). The Products page
# prices the whole catalog with one offer lookup (pricing.rates_for). Every full page also
# counts the top bar's unread-message badge (one query, cached on the request). Billing
# Center's balance card says where the credit limit comes from (F14: one query). Its
# transactions are read with their joins planned as written on PostgreSQL (`queries_added`).
PINNED = {
    ("admin", "/pay-on-behalf/orders/"): 11,
    ("admin", "/pay-on-behalf/orders/?status=paid"): 11,
    ("admin", "/billing/?tab=transactions"): 10 + queries_added(),
    ("pob_member", "/pay-on-behalf/orders/?status=paid"): 11,
    ("member", "/products/"): 17,
    ("member", "/billing/?tab=orders"): 13,
    ("member", "/billing/?tab=vouchers"): 11,
    ("member", "/billing/?tab=transactions"): 11 + queries_added(),
}


@pytest.mark.parametrize(("role", "url"), list(PINNED))
def test_list_query_counts_are_pinned_and_constant(
    client,
    catalog,
    org,
    admin,
    pob_member,
    member,
    request,
    role,
    url,
    django_assert_max_num_queries,
):
    user = request.getfixturevalue(role)
    _grow(admin, pob_member, member, 2)
    client.force_login(user)
    client.get(url)  # warm caches (content types, permissions)
    small = _count_queries(client, url)
    _grow(admin, pob_member, member, 20)
    large = _count_queries(client, url)
    assert small == large
    with django_assert_max_num_queries(PINNED[(role, url)]):
        client.get(url)
