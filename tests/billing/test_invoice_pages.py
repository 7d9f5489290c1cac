"""B12 pages: request an invoice from Billing Center; out-of-scope invoices are never shown."""

import pytest

from billing.models import Invoice, InvoiceStatus
from billing.services import invoices
from tests.billing.helpers import D, buy, fund

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_b12_invoices_page_shows_the_invoiceable_amount_and_history(client, catalog, member, admin):
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")
    invoices.invoice_request(
        account=member.account,
        acting_user=member,
        title="Mine Ltd",
        tax_number="91110000100000000X",
        amount=D("20"),
    )
    fund(admin, "500", admin)
    buy(admin, "S5.SMALL2")
    invoices.invoice_request(
        account=admin.account,
        acting_user=admin,
        title="Secret Other Co",
        tax_number="91110000100000000X",
        amount=D("10"),
    )
    client.force_login(member)
    page = client.get("/billing/invoices/").content.decode()
    assert 'data-testid="invoiceable">130.00 CNY' in page
    assert "Mine Ltd" in page and "Secret Other Co" not in page


def test_b12_request_form_explains_and_changes_nothing_when_too_much(client, catalog, member):
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")
    client.force_login(member)
    response = client.post(
        "/billing/invoices/request/",
        {"title": "Acme", "tax_number": "91110000100000000X", "amount": "999"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "At most 150.00 CNY can be invoiced now." in response.content.decode()
    assert not Invoice.objects.exists()
    response = client.post(
        "/billing/invoices/request/",
        {"title": "Acme", "tax_number": "91110000100000000X", "amount": "150"},
        **HTMX,
    )
    assert response.status_code == 204
    assert Invoice.objects.get().status == InvoiceStatus.REQUESTED


def test_b12_read_only_sub_user_cannot_request(client, catalog, readonly_sub):
    client.force_login(readonly_sub)
    assert client.get("/billing/invoices/").status_code == 200
    assert (
        client.post(
            "/billing/invoices/request/",
            {"title": "A", "tax_number": "91110000100000000X", "amount": "1"},
        ).status_code
        == 403
    )


def test_b12_invoices_page_has_billing_centers_whole_tab_bar(client, member):
    """The invoices page is Billing Center's Invoices tab: the same five tabs, Bills included."""
    client.force_login(member)
    tabs = ["orders", "bills", "vouchers", "transactions"]
    for url, current in [("/billing/?tab=orders", "orders"), ("/billing/invoices/", "invoices")]:
        page = client.get(url).content.decode()
        for key in tabs:
            assert f'href="/billing/?tab={key}"' in page, (url, key)
        assert 'href="/billing/invoices/"' in page
        assert f'aria-current="page" data-tab="{current}"' in page
