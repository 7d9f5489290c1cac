"""F6 cost analysis as a person uses it: the admin opens it from the sidebar, reads spend by
member in a stacked chart and a table, regroups by product (an htmx swap that updates the
URL), and the CSV link carries the same query; then by department and by a tag key (F11), and
the downloaded CSV has the table's rows."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from organizations.models import Membership
from organizations.services import department_create, member_tags_set
from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.browser.test_organization_flows import root_of
from tests.factories import join

SHOTS = Path("/work/shots")


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


def _as_csv(row):
    """A table row as the CSV writes it: the label, then each cell's raw value."""
    label = row.locator("th").inner_text().strip()
    return [label, *(td.get_attribute("data-value") for td in row.locator("td").all())]


def test_f6_admin_groups_by_department_then_by_a_tag_key_and_exports(
    page, live_server, catalog, org, admin, password, shot
):
    root = root_of(org)
    web = department_create(organization=org, parent=root, name="Web", acting_user=admin)
    data = department_create(organization=org, parent=root, name="Data", acting_user=admin)
    frontend = join(org, admin, name="frontend", payer=org.admin_account, department=web)
    warehouse = join(org, admin, name="warehouse", payer=org.admin_account, department=data)
    plain = join(org, admin, name="plain", payer=org.admin_account)  # in Root, no tags
    for user, team in ((frontend, "web"), (warehouse, "data")):
        member_tags_set(
            membership=Membership.objects.get(account=user.account),
            pairs=[["team", team], ["env", "prod"]],
            acting_user=admin,
        )
    fund(admin, "2000.00", admin)
    buy(frontend, "S5.MEDIUM4")  # 150, bill lines carry team=web (F11)
    buy(warehouse, "PREMIUM-100")  # 35, team=data
    buy(plain, "S5.SMALL2")  # 65, untagged

    login(page, live_server, admin.username, password)
    page.get_by_role("navigation", name="Console navigation").get_by_role(
        "link", name="Cost analysis"
    ).click()
    expect(page.get_by_role("heading", name="Cost analysis", exact=True)).to_be_visible()
    table = page.get_by_test_id("cost-table")
    expect(page.get_by_test_id("cost-total")).to_contain_text("250.00")

    # by department: one row per department with spend
    page.get_by_test_id("group-by").select_option("department")
    expect(page).to_have_url(re.compile(r"group_by=department"))
    rows = table.get_by_test_id("cost-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Web")).to_contain_text("150.00")
    expect(rows.filter(has_text="Data")).to_contain_text("35.00")
    expect(rows.filter(has_text="Root")).to_contain_text("65.00")
    expect(page.get_by_test_id("cost-total")).to_contain_text("250.00")

    # by the tag key: the values the members had when they spent, and "Untagged"
    group_by = page.get_by_test_id("group-by")
    expect(group_by.locator("option[value='tag:team']")).to_have_count(1)
    group_by.select_option("tag:team")
    expect(page).to_have_url(re.compile(r"group_by=tag%3Ateam"))
    expect(rows).to_have_count(3)
    expect(table.locator("thead th").first).to_have_text("Tag: team")
    labels = [r.locator("th").inner_text().strip() for r in rows.all()]
    assert sorted(labels) == ["Untagged", "data", "web"]
    expect(rows.filter(has_text="web")).to_contain_text("150.00")
    expect(rows.filter(has_text="Untagged")).to_contain_text("65.00")
    expect(page.get_by_test_id("cost-chart")).to_be_visible()
    shot(page, "by-tag")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cost-analysis-by-tag.png"), full_page=True)

    # the CSV is exactly the table: same header, same group rows, same totals
    export = page.get_by_test_id("export-csv")
    expect(export).to_have_attribute("href", re.compile(r"export\.csv\?.*group_by=tag%3Ateam"))
    with page.expect_download() as download:
        export.click()
    assert download.value.suggested_filename.startswith("cost-analysis-tag-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *body = list(csv.reader(io.StringIO(text)))
    shown = [th.inner_text().strip() for th in table.locator("thead th").all()]
    assert header == shown
    totals = body.pop()
    assert body == [_as_csv(r) for r in rows.all()]
    assert sorted(r[0] for r in body) == ["Untagged", "data", "web"]
    assert totals == _as_csv(table.get_by_test_id("cost-totals"))
    assert Decimal(totals[header.index("Total")]) == Decimal("250.00")
