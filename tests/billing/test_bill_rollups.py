"""B11 rollups and the pages that read them: department subtrees with drill-down, totals that
follow members when they move (O8) or leave, Billing Center's self-paid bills by month,
product and resource with CSV, and the B13 transaction details CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from billing import bill_selectors
from billing.management.commands.check_books import summary_problems
from billing.models import BillLine, Entry, PobDepartmentMonth
from organizations import services as org_services
from tests.billing.helpers import buy, fund
from tests.factories import join, update_and_accept

pytestmark = pytest.mark.django_db
URL = "/pay-on-behalf/bills/"


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def tree(catalog, org, admin):
    """Root → Eng → Data, and Root → Sales; a pay-on-behalf member in each, plus one in Root."""
    root = org.departments.get(depth=0)
    eng = org_services.department_create(
        organization=org, parent=root, name="Eng", acting_user=admin
    )
    data = org_services.department_create(
        organization=org, parent=eng, name="Data", acting_user=admin
    )
    sales = org_services.department_create(
        organization=org, parent=root, name="Sales", acting_user=admin
    )
    payer = org.admin_account
    people = {
        "eng": join(org, admin, name="eng-1", payer=payer, department=eng),
        "data": join(org, admin, name="data-1", payer=payer, department=data),
        "sales": join(org, admin, name="sales-1", payer=payer, department=sales),
        "top": join(org, admin, name="root-1", payer=payer),
    }
    fund(admin, "20000.00", admin)
    buy(people["eng"], "S5.MEDIUM4")
    buy(people["data"], "S5.SMALL2", months=3)
    buy(people["data"], "S5.SMALL2")
    buy(people["sales"], "S5.SMALL2")
    buy(people["top"], "S5.SMALL2")
    return {"d_root": root, "d_eng": eng, "d_data": data, "d_sales": sales, **people}


def _cash(admin, *users):
    return BillLine.objects.filter(
        payer=admin.account, owner__in=[u.account for u in users]
    ).aggregate(s=Sum("cash_amount"))["s"]


def test_b11_department_subtree_totals_equal_their_members_lines(tree, admin):
    month = timezone.localdate().replace(day=1)
    rows = bill_selectors.by_department(user=admin, month=month, department=tree["d_root"])
    by_name = {r.department.name: r for r in rows}
    assert set(by_name) == {"Eng", "Sales", "Root"}
    assert by_name["Root"].direct
    assert by_name["Eng"]["cash_amount"] == _cash(admin, tree["eng"], tree["data"])
    assert by_name["Sales"]["cash_amount"] == _cash(admin, tree["sales"])
    assert by_name["Eng"]["line_count"] == 3
    assert bill_selectors.total(rows)["cash_amount"] == _cash(
        admin, tree["eng"], tree["data"], tree["sales"], tree["top"]
    )
    # drill down: Eng → its own members and Data
    rows = bill_selectors.by_department(user=admin, month=month, department=tree["d_eng"])
    assert {(r.department.name, r.direct) for r in rows} == {("Eng", True), ("Data", False)}
    assert [r["cash_amount"] for r in rows if not r.direct] == [_cash(admin, tree["data"])]


def test_b11_drill_down_from_trend_to_department_to_member_lines(client, tree, admin):
    client.force_login(admin)
    month = f"{timezone.localdate():%Y-%m}"
    html = client.get(URL, {"tab": "trend"}).content.decode()
    assert f"?tab=departments&amp;month={month}" in html
    html = client.get(URL, {"tab": "departments", "month": month}).content.decode()
    assert f"department={tree['d_eng'].pk}" in html and "Sales" in html
    html = client.get(
        URL, {"tab": "departments", "month": month, "department": tree["d_eng"].pk}
    ).content.decode()
    assert 'data-testid="department-path"' in html and "Data" in html
    uin = tree["eng"].account.uin
    assert f"member={uin}" in html  # Eng's own member links to its line items
    html = client.get(
        URL, {"tab": "details", "member": uin, "since": month, "until": month}
    ).content.decode()
    assert html.count("data-bill-line=") == 1
    rows = _csv(client.get(f"{URL}export.csv", {"department": tree["d_eng"].pk}))
    assert {r[1] for r in rows[1:]} == {tree["eng"].account.uin, tree["data"].account.uin}


def test_b11_department_of_another_organization_is_404_and_matches_nothing(
    client, tree, admin, other_org
):
    foreign = other_org[0].departments.get(depth=0)
    client.force_login(admin)
    assert client.get(URL, {"tab": "departments", "department": foreign.pk}).status_code == 404
    assert _csv(client.get(f"{URL}export.csv", {"department": foreign.pk}))[1:] == []


def test_o8_totals_follow_a_moved_member_and_a_deleted_department_leaves_nothing(tree, admin, org):
    month = timezone.localdate().replace(day=1)
    org_services.members_move(
        organization=org,
        uins=[tree["data"].account.uin],
        department=tree["d_sales"],
        acting_user=admin,
    )
    rows = bill_selectors.by_department(user=admin, month=month, department=tree["d_root"])
    by_name = {r.department.name: r["cash_amount"] for r in rows}
    assert by_name["Sales"] == _cash(admin, tree["sales"], tree["data"])
    assert by_name["Eng"] == _cash(admin, tree["eng"])
    assert list(summary_problems()) == []
    org_services.department_delete(department=tree["d_data"], acting_user=admin)
    assert not PobDepartmentMonth.objects.filter(department_id=tree["d_data"].pk).exists()
    assert list(summary_problems()) == []


def test_b11_totals_of_a_member_that_left_become_former_members(tree, admin, org):
    member = tree["sales"]
    update_and_accept(
        membership=member.account.membership,
        acting_user=admin,
        name="sales-1",
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )
    org_services.member_remove(membership=member.account.membership, acting_user=admin)
    month = timezone.localdate().replace(day=1)
    rows = bill_selectors.by_department(user=admin, month=month, department=tree["d_root"])
    former = [r for r in rows if r.department is None]
    assert [r["cash_amount"] for r in former] == [_cash(admin, member)]
    assert "Sales" not in {r.department.name for r in rows if r.department}
    assert list(summary_problems()) == []


# ------------------------------------------------------------------ Billing Center bills


def test_b11_billing_center_bills_are_only_self_paid(client, catalog, org, admin, member):
    fund(member, "3000.00", member)
    fund(admin, "3000.00", admin)
    buy(member, "S5.SMALL2")
    buy(member, "S5.MEDIUM4", months=2)
    pob = join(org, admin, name="pob-x", payer=org.admin_account)
    buy(pob, "S5.SMALL2")  # the admin pays: never in the admin's self-paid bills
    mine = BillLine.objects.filter(payer=member.account, owner=member.account)
    month = f"{timezone.localdate():%Y-%m}"
    client.force_login(member)
    for view in ("month", "product", "resource"):
        html = client.get("/billing/", {"tab": "bills", "view": view}).content.decode()
        want = mine.aggregate(s=Sum("cash_amount"))["s"]
        assert f'data-total="cash_amount">{want:,.2f} CNY<' in html, view
    html = client.get("/billing/", {"tab": "bills", "view": "resource"}).content.decode()
    assert html.count('data-testid="summary-row"') == 2
    rows = _csv(client.get("/billing/bills/export.csv", {"month": month}))
    assert len(rows) - 1 == mine.count()
    assert sum(Decimal(r[11]) for r in rows[1:]) == want
    client.force_login(admin)
    html = client.get("/billing/", {"tab": "bills", "view": "product"}).content.decode()
    assert "Nothing billed in this month." in html or "No bill months" in html
    assert _csv(client.get("/billing/bills/export.csv", {"month": month}))[1:] == []


# ------------------------------------------------------------------ B13 CSV


def test_b13_transactions_csv_is_the_filtered_rows(client, tree, admin):
    client.force_login(admin)
    rows = _csv(client.get("/billing/transactions/export.csv"))
    entries = Entry.objects.restrict(admin, "view")
    assert len(rows) - 1 == entries.count()
    assert sum(Decimal(r[2]) for r in rows[1:]) == entries.aggregate(s=Sum("amount"))["s"]
    expenses = _csv(client.get("/billing/transactions/export.csv", {"direction": "out"}))
    assert len(expenses) - 1 == entries.filter(amount__lt=0).count()
    members = _csv(client.get("/billing/transactions/export.csv", {"paid_for": "members"}))
    assert {r[6] for r in members[1:]} == {
        u.account.uin for u in (tree["eng"], tree["data"], tree["sales"], tree["top"])
    }
    html = client.get("/billing/", {"tab": "transactions", "paid_for": "members"}).content
    assert html.decode().count("<tr") - 1 == len(members) - 1


def test_overview_charts_for_the_payer(client, tree, admin):
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert 'data-testid="overview-spend"' in html
    assert 'data-testid="member-split"' in html and 'data-testid="department-split"' in html
    assert "Eng" in html.split('data-testid="department-split"')[1]
