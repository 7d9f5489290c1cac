"""F6 cost analysis as a person uses it: the admin opens it from the sidebar, reads spend by
member in a stacked chart and a table, regroups by product (an htmx swap that updates the
URL), and the CSV link carries the same query."""

import re

from playwright.sync_api import expect

from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.factories import join


def test_f6_admin_reads_spend_by_member_then_by_product(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    other = join(org, admin, name="member-pob-two", payer=org.admin_account)
    fund(admin, "2000.00", admin)
    buy(pob_member, "S5.MEDIUM4")
    buy(other, "PREMIUM-100")

    login(page, live_server, admin.username, password)
    nav = page.get_by_role("navigation", name="Console navigation")
    nav.get_by_role("link", name="Cost analysis").click()
    expect(page.get_by_role("heading", name="Cost analysis", exact=True)).to_be_visible()
    table = page.get_by_test_id("cost-table")
    expect(table.get_by_test_id("cost-row")).to_have_count(2)
    expect(page.get_by_test_id("cost-total")).to_contain_text("185.00")
    expect(page.get_by_test_id("cost-chart")).to_be_visible()
    shot(page, "by-member")

    page.get_by_test_id("group-by").select_option("product")
    expect(page).to_have_url(re.compile(r"group_by=product"))
    expect(table.get_by_test_id("cost-row")).to_have_count(2)
    expect(table).to_contain_text("Cloud Block Storage")
    export = page.get_by_test_id("export-csv")
    expect(export).to_have_attribute("href", re.compile(r"export\.csv\?.*group_by=product"))
    shot(page, "by-product")

    # editing a date makes the range a custom one (the preset is cleared before the swap)
    page.get_by_label("Granularity").select_option("month")
    expect(page).to_have_url(re.compile(r"preset=&granularity=month"))
    expect(page.get_by_label("Range")).to_have_value("")
    expect(page.get_by_test_id("cost-problems")).to_have_count(0)
    expect(page.get_by_test_id("cost-total")).to_contain_text("185.00")
