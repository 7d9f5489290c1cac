"""Pay-on-behalf bill management as a person uses it (SPEC B11, §5): the payer opens the page
from the sidebar, reads the totals by member and the 6-month trend, filters the details by
member and downloads exactly those rows as CSV; the member sees only its own items."""

import csv
import io

from playwright.sync_api import expect

from organizations import services as org_services
from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.factories import join


def open_bills(page):
    nav = page.get_by_role("navigation", name="Console navigation")
    nav.get_by_role("link", name="Pay-on-behalf bill management").click()
    heading = page.get_by_role("heading", name="Pay-on-behalf bill management", exact=True)
    expect(heading).to_be_visible()


def test_b11_payer_reads_totals_filters_details_and_exports(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    other = join(org, admin, name="member-pob-two", payer=org.admin_account)
    fund(admin, "2000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    buy(pob_member, "S5.SMALL2")
    buy(other, "S5.SMALL2")

    login(page, live_server, admin.username, password)
    open_bills(page)
    summary = page.get_by_test_id("bill-summary")
    expect(summary.get_by_test_id("summary-row")).to_have_count(2)
    expect(summary).to_contain_text(pob_member.account.uin)
    expect(page.get_by_test_id("summary-total").locator("[data-total=line_count]")).to_have_text(
        "3"
    )
    shot(page, "by-member")

    page.get_by_role("link", name="By month").click()
    expect(page.get_by_role("img", name="Cash paid on behalf, last 6 months")).to_be_visible()
    expect(page.get_by_test_id("trend-row")).to_have_count(6)
    shot(page, "trend")

    page.get_by_role("link", name="Details").click()
    expect(page.get_by_test_id("bill-lines-table").locator("tr[data-bill-line]")).to_have_count(3)
    page.get_by_role("searchbox").fill(pob_member.account.uin)
    rows = page.get_by_test_id("bill-lines-table").locator("tr[data-bill-line]")
    expect(rows).to_have_count(2)
    shot(page, "details-filtered")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    with open(download.value.path(), encoding="utf-8") as f:
        lines = list(csv.reader(io.StringIO(f.read())))
    assert len(lines) == 3
    assert {r[1] for r in lines[1:]} == {pob_member.account.uin}


def test_b11_member_sees_only_its_own_items(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    other = join(org, admin, name="member-pob-two", payer=org.admin_account)
    fund(admin, "2000.00", admin)
    buy(pob_member, "S5.SMALL2")
    buy(other, "S5.SMALL2")

    login(page, live_server, pob_member.username, password)
    open_bills(page)
    page.get_by_role("link", name="Details").click()
    table = page.get_by_test_id("bill-lines-table")
    expect(table.locator("tr[data-bill-line]")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(other.account.uin)
    shot(page, "member-details")


def test_b11_admin_drills_from_the_trend_into_a_department_and_a_members_lines(
    page, live_server, catalog, org, admin, password, shot
):
    root = org.departments.get(depth=0)
    eng = org_services.department_create(
        organization=org, parent=root, name="Engineering", acting_user=admin
    )
    data = org_services.department_create(
        organization=org, parent=eng, name="Data", acting_user=admin
    )
    analyst = join(org, admin, name="analyst", payer=org.admin_account, department=data)
    builder = join(org, admin, name="builder", payer=org.admin_account, department=eng)
    fund(admin, "3000.00", admin)
    buy(analyst, "S5.MEDIUM4")
    buy(analyst, "S5.SMALL2")
    buy(builder, "S5.SMALL2")

    login(page, live_server, admin.username, password)
    open_bills(page)
    page.get_by_role("link", name="By month").click()
    page.locator("[data-month-link]").last.click()  # this month, from the trend
    expect(page.get_by_role("link", name="By department")).to_have_attribute("aria-current", "page")
    departments = page.get_by_test_id("department-summary")
    expect(departments.get_by_test_id("department-row")).to_have_count(1)
    expect(departments.locator("[data-total=line_count]")).to_have_text("3")
    shot(page, "by-department-root")
    departments.get_by_role("link", name="Engineering").click()
    expect(page.get_by_test_id("department-path")).to_contain_text("Engineering")
    expect(departments.get_by_test_id("department-row")).to_have_count(2)  # own members + Data
    departments.get_by_role("link", name="Data").click()
    expect(page.get_by_test_id("department-path")).to_contain_text("Data")
    members = page.get_by_test_id("department-members")
    expect(members).to_contain_text("analyst")
    shot(page, "by-department-data")
    members.get_by_role("link", name="analyst").click()
    rows = page.get_by_test_id("bill-lines-table").locator("tr[data-bill-line]")
    expect(rows).to_have_count(2)
    shot(page, "member-lines")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    with open(download.value.path(), encoding="utf-8") as f:
        lines = list(csv.reader(io.StringIO(f.read())))
    assert len(lines) == 3
    assert {r[1] for r in lines[1:]} == {analyst.account.uin}


def test_b11_billing_center_bills_show_only_self_paid_items_by_month_product_and_resource(
    page, live_server, catalog, org, admin, member, password, shot
):
    fund(member, "1000.00", member)
    buy(member, "S5.SMALL2")
    buy(member, "S5.MEDIUM4")
    pob = join(org, admin, name="pob-x", payer=org.admin_account)
    fund(admin, "1000.00", admin)
    buy(pob, "S5.SMALL2")  # paid by the admin: never in the member's Billing Center bills

    login(page, live_server, member.username, password)
    nav = page.get_by_role("navigation", name="Console navigation")
    nav.get_by_role("link", name="Billing Center").click()
    page.get_by_role("link", name="Bills", exact=True).click()
    expect(page.get_by_role("img", name="Cash paid, last 12 months")).to_be_visible()
    expect(page.get_by_test_id("summary-total").locator("[data-total=cash_amount]")).to_have_text(
        "215.00 CNY"
    )
    shot(page, "bills-by-month")
    page.locator("[data-month-link]").last.click()  # this month, by product
    expect(page.get_by_test_id("bill-summary").get_by_test_id("summary-row")).to_have_count(1)
    page.get_by_test_id("bill-views").get_by_role("link", name="By resource").click()
    expect(page.get_by_test_id("bill-summary").get_by_test_id("summary-row")).to_have_count(2)
    shot(page, "bills-by-resource")
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    with open(download.value.path(), encoding="utf-8") as f:
        lines = list(csv.reader(io.StringIO(f.read())))
    assert len(lines) == 3 and {r[1] for r in lines[1:]} == {member.account.uin}
