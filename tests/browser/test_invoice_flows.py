"""B12 as a person uses it: a self-paying member requests an invoice in Billing Center; an
operator issues it in the admin; the member sees it issued and the amount no longer
invoiceable."""

from playwright.sync_api import expect

from billing.models import Invoice
from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.factories import UserFactory


def test_b12_an_invoice_is_requested_and_issued(page, live_server, catalog, member, password, shot):
    fund(member, "500", member)
    buy(member, "S5.MEDIUM4")  # 150.00 paid
    login(page, live_server, member.username, password)
    page.get_by_role("navigation", name="Console navigation").get_by_role(
        "link", name="Billing Center"
    ).click()
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_test_id("invoiceable")).to_have_text("150.00 CNY")
    page.get_by_test_id("request-invoice").click()
    modal = page.locator("#modal")
    expect(modal.get_by_test_id("modal-form")).to_be_visible()
    # The opened form has the keyboard on its first field.
    expect(modal.locator("input[name=title]")).to_be_focused()
    modal.locator("input[name=title]").fill("Acme Group Co., Ltd.")
    modal.locator("input[name=tax_number]").fill("91110000100000000X")
    modal.locator("input[name=amount]").fill("999")
    modal.get_by_role("button", name="Request").click()
    expect(modal).to_contain_text("At most 150.00 CNY can be invoiced now.")
    # The form shown again has the keyboard on the field in error, and keeps it there: a
    # focus that came late once moved the person's typing into the title.
    amount = modal.locator("input[name=amount]")
    expect(amount).to_be_focused()
    page.wait_for_timeout(400)
    expect(amount).to_be_focused()
    shot(page, "01-too-much")
    modal.locator("input[name=amount]").fill("100")
    modal.get_by_role("button", name="Request").click()
    expect(modal).to_be_hidden()
    expect(page.get_by_test_id("invoiceable")).to_have_text("50.00 CNY")
    expect(page.get_by_test_id("invoices-table")).to_contain_text("Requested")
    shot(page, "02-requested")

    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[], username="op"
    )
    staff = page.context.browser.new_context()
    admin_page = staff.new_page()
    admin_page.goto(f"{live_server.url}/admin/login/")
    admin_page.locator("input[name=username]").fill(operator.username)
    admin_page.locator("input[name=password]").fill(password)
    admin_page.locator("input[type=submit]").click()
    admin_page.goto(f"{live_server.url}/admin/billing/invoice/{Invoice.objects.get().pk}/change/")
    admin_page.locator("select[name=decision]").select_option("issue")
    admin_page.locator("input[name=_save]").click()
    expect(admin_page.locator(".messagelist")).to_be_visible()
    staff.close()

    page.reload()
    expect(page.get_by_test_id("invoices-table")).to_contain_text("Issued")
    expect(page.get_by_test_id("invoiceable")).to_have_text("50.00 CNY")
    shot(page, "03-issued")
