"""F3 as a person uses it: the admin opens Billing Center, switches to a self-pay member in
the account selector, reads its balance card and its bills, and the back button returns."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.factories import join


def test_f3_admin_switches_to_a_self_pay_member_and_reads_its_bills_and_balance(
    page, live_server, catalog, org, admin, password, shot
):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=10), tick=False):
        member = join(org, admin, name="self-pay-member", allow_quit=True)
        fund(member, "1000.00", member)
    with time_machine.travel(now - timedelta(days=5), tick=False):  # a whole day inside (F2)
        buy(member, "S5.SMALL2")
        buy(member, "S5.MEDIUM4")

    login(page, live_server, admin.username, password)
    nav = page.get_by_role("navigation", name="Console navigation")
    nav.get_by_role("link", name="Billing Center").click()
    expect(page.get_by_test_id("top-up")).to_be_visible()
    page.get_by_label("Account").select_option(member.account.uin)

    expect(page).to_have_url(re.compile(rf"account={member.account.uin}"))
    expect(page.get_by_test_id("member-view")).to_contain_text("self-pay-member")
    expect(page.get_by_test_id("data-from")).to_contain_text("Data available from")
    expect(page.get_by_test_id("balance-cash")).to_have_text("785.00 CNY")
    expect(page.get_by_test_id("balance-available")).to_have_text("785.00 CNY")
    expect(page.get_by_test_id("top-up")).to_have_count(0)
    shot(page, "member-balance")

    page.get_by_role("link", name="Bills", exact=True).click()
    expect(page.get_by_role("img", name="Cash paid, last 12 months")).to_be_visible()
    expect(page.get_by_test_id("summary-total").locator("[data-total=cash_amount]")).to_have_text(
        "215.00 CNY"
    )
    page.get_by_test_id("bill-views").get_by_role("link", name="By resource").click()
    expect(page.get_by_test_id("bill-summary").get_by_test_id("summary-row")).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"account={member.account.uin}.*view=resource"))
    shot(page, "member-bills-by-resource")

    page.go_back()  # the choice is in the URL: back is the member's bills by month
    expect(page.get_by_role("img", name="Cash paid, last 12 months")).to_be_visible()
    expect(page.get_by_test_id("member-view")).to_be_visible()
    page.get_by_label("Account").select_option("")  # back to this account
    expect(page.get_by_test_id("member-view")).to_have_count(0)
    expect(page.get_by_test_id("top-up")).to_be_visible()
