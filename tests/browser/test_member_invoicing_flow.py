"""F16 as a person clicks it: the admin picks a self-pay member that grants Invoicing (5) on
the invoices page, adds an invoice title for it, requests an invoice against the member's
invoiceable amount, and stops it invoicing for itself; the member sees the invoice in its own
history, the message, and that its own request is now the admin's."""

from playwright.sync_api import expect

from billing.models import Invoice
from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.browser.test_organization_flows import expect_toast, open_modal, submit_modal
from tests.factories import join


def test_f16_admin_adds_a_title_and_requests_an_invoice_the_member_sees_it(
    page, live_server, catalog, org, admin, password, shot
):
    member = join(org, admin, name="invoiced-team", permissions=[1, 2, 5])
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")  # 150.00 paid: invoiceable

    login(page, live_server, admin.username, password)
    page.goto(f"{live_server.url}/billing/invoices/")
    expect(page.get_by_test_id("invoice-members-note")).to_be_visible()
    shot(page, "admin-own-invoices")
    selector = page.get_by_test_id("invoice-member-selector")
    selector.get_by_label("Invoices for members").select_option(
        label=f"invoiced-team ({member.account.uin})"
    )
    expect(page.get_by_role("heading", name="invoiced-team")).to_be_visible()
    expect(page.get_by_test_id("invoiceable")).to_have_text("150.00 CNY")

    modal = open_modal(
        page, page.get_by_test_id("add-title"), "Add an invoice title for invoiced-team"
    )
    modal.get_by_label("Invoice title").fill("Invoiced Team Ltd")
    modal.get_by_label("Tax number").fill("12345")
    submit_modal(page, modal, "Save", status=422)
    expect(modal).to_contain_text("A tax number is 15 to 20 letters and digits.")
    modal.get_by_label("Tax number").fill("91110000100000000x")
    modal.get_by_label("Mailing address").fill("1 Science Road, Shenzhen")
    submit_modal(page, modal, "Save", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Saved the invoice title Invoiced Team Ltd.")
    expect(page.get_by_test_id("invoice-title")).to_contain_text("91110000100000000X")

    modal = open_modal(
        page, page.get_by_test_id("member-request-invoice"), "Request an invoice for invoiced-team"
    )
    expect(modal.get_by_label("Saved title")).to_contain_text("Invoiced Team Ltd")
    modal.get_by_label("Amount (CNY)").fill("999")
    submit_modal(page, modal, "Request", status=422)
    expect(modal).to_contain_text("At most 150.00 CNY can be invoiced now.")
    modal.get_by_label("Amount (CNY)").fill("100")
    submit_modal(page, modal, "Request", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Invoice of 100.00 CNY requested for invoiced-team")
    expect(page.get_by_test_id("invoiceable")).to_have_text("50.00 CNY")
    expect(page.get_by_test_id("invoices-table")).to_contain_text("Invoiced Team Ltd")

    modal = open_modal(
        page, page.get_by_test_id("self-invoicing-edit"), "Invoicing by invoiced-team itself"
    )
    modal.get_by_label("Stopped: only this account requests them").check()
    submit_modal(page, modal, "Save", status=204)
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("self-invoicing")).to_contain_text("Member self-invoicing stopped")
    shot(page, "admin-member-invoices")
    invoice = Invoice.objects.get()
    assert invoice.account == member.account and invoice.requested_by == admin

    # --- the member's side
    page.context.clear_cookies()
    login(page, live_server, member.username, password)
    page.goto(f"{live_server.url}/billing/invoices/")
    expect(page.get_by_test_id("invoiceable")).to_have_text("50.00 CNY")
    table = page.get_by_test_id("invoices-table")
    expect(table).to_contain_text("Invoiced Team Ltd")
    expect(table).to_contain_text("Requested")
    expect(table).to_contain_text(org.admin_account.name)
    expect(page.get_by_test_id("invoice-title")).to_contain_text("Invoiced Team Ltd")
    expect(page.get_by_test_id("self-invoicing-blocked")).to_be_visible()
    expect(page.get_by_test_id("request-invoice")).to_have_count(0)
    shot(page, "member-invoices")
    page.goto(f"{live_server.url}/messages/")
    expect(page.get_by_text("requested an invoice of 100.00 CNY for you")).to_be_visible()
