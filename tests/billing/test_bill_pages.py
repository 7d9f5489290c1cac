"""Pay-on-behalf bill management (SPEC B11, §5): visibility, totals equal to the lines, the
CSV export of exactly the filtered rows, and pinned query counts."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import bill_selectors
from billing.models import BillLine
from tco_console.planning import queries_added
from tests.billing.helpers import buy, fund

pytestmark = pytest.mark.django_db
URL = "/pay-on-behalf/bills/"
EXPORT = "/pay-on-behalf/bills/export.csv"
TABS = ["members", "products", "departments", "trend", "details"]
AMOUNTS = ("cash_amount", "voucher_amount", "discount", "list_cost")


@pytest.fixture
def bills(catalog, org, admin, pob_member, member):
    """The admin pays for pob_member (and for a second pob member); member pays itself."""
    from tests.factories import join

    other = join(org, admin, name="member-pob-two", payer=org.admin_account)
    fund(admin, "5000.00", admin)
    fund(member, "1000.00", member)
    buy(pob_member, "S5.MEDIUM4")
    buy(pob_member, "S5.SMALL2", months=2)
    buy(other, "S5.MEDIUM4")
    buy(member, "S5.SMALL2")  # self-paid: never a pay-on-behalf item
    buy(admin, "S5.SMALL2")  # the admin's own: self-paid too
    return {"other": other}


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "bill_month"
    return rows[1:]


def _line_sums(qs):
    sums = qs.aggregate(**{f: Sum(f) for f in AMOUNTS})
    return {f: sums[f] or Decimal("0.00") for f in AMOUNTS} | {"line_count": qs.count()}


# ------------------------------------------------------------------ B11 visibility


def test_b11_payer_sees_all_members_items_and_never_self_paid(
    client, bills, admin, pob_member, member
):
    other = bills["other"]
    client.force_login(admin)
    rows = csv_rows(client.get(EXPORT))
    owners = {r[1] for r in rows}
    assert owners == {pob_member.account.uin, other.account.uin}
    assert {r[2] for r in rows} == {admin.account.uin}
    assert (
        len(rows)
        == BillLine.objects.filter(payer=admin.account).exclude(owner=admin.account).count()
        == 3
    )
    html = client.get(URL).content.decode()
    assert pob_member.account.uin in html and other.account.uin in html
    assert member.account.uin not in html
    html = client.get(URL, {"tab": "details"}).content.decode()
    assert pob_member.account.uin in html and member.account.uin not in html


def test_b11_member_sees_only_its_own_items(client, bills, admin, pob_member):
    other = bills["other"]
    client.force_login(pob_member)
    rows = csv_rows(client.get(EXPORT))
    assert len(rows) == 2
    assert {r[1] for r in rows} == {pob_member.account.uin}
    for tab in TABS:
        html = client.get(URL, {"tab": tab}).content.decode()
        assert other.account.uin not in html, tab


def test_b11_self_paying_member_has_empty_states(client, bills, member):
    client.force_login(member)
    assert csv_rows(client.get(EXPORT)) == []
    for tab in TABS:
        response = client.get(URL, {"tab": tab})
        assert response.status_code == 200, tab
        assert member.account.uin not in response.content.decode().split("page-tabs")[1]


def test_account_without_items_sees_empty_states(client, catalog, admin):
    client.force_login(admin)
    for tab in TABS:
        assert client.get(URL, {"tab": tab}).status_code == 200
    assert "No pay-on-behalf bill items" in client.get(URL).content.decode()
    assert csv_rows(client.get(EXPORT)) == []


def test_sidebar_entry_follows_the_orders_entry(client, bills, admin, member):
    from tests.billing.page_helpers import sidebar

    client.force_login(admin)
    labels = sidebar(client.get(URL).content.decode())
    i = labels.index("Pay-on-behalf order management")
    assert labels[i + 1] == "Pay-on-behalf bill management"
    client.force_login(member)
    assert "Pay-on-behalf bill management" not in sidebar(client.get("/").content.decode())


# ------------------------------------------------------------------ totals


def test_b11_summary_totals_equal_the_lines(bills, admin, pob_member):
    for user, payer_side in ((admin, True), (pob_member, False)):
        if payer_side:
            lines = BillLine.objects.filter(payer=user.account).exclude(owner=user.account)
        else:
            lines = BillLine.objects.filter(owner=user.account).exclude(payer=user.account)
        rows = bill_selectors.by_product_rows(user=user, payer_side=payer_side)
        month = bill_selectors.months(rows)[0]
        want = _line_sums(lines.filter(bill_month=month))
        members = list(bill_selectors.by_member(user=user, payer_side=payer_side, month=month))
        products = bill_selectors.by_product(rows, month)
        assert bill_selectors.total(members) == want
        assert bill_selectors.total(products) == want
        assert bill_selectors.month_total(rows, month) == want
        for row in members:
            assert row.line_count and _line_sums(
                lines.filter(bill_month=month, owner_id=row.owner_id)
            ) == {f: getattr(row, f) for f in (*AMOUNTS, "line_count")}
        trend = bill_selectors.trend(rows, until=timezone.localdate())
        assert len(trend) == 6
        assert bill_selectors.total(trend) == _line_sums(
            lines.filter(bill_month__gte=trend[0]["bill_month"])
        )


def test_pages_show_the_totals(client, bills, admin):
    client.force_login(admin)
    lines = BillLine.objects.filter(payer=admin.account).exclude(owner=admin.account)
    want = _line_sums(lines)
    from billing.templatetags.billing_tags import format_cny

    for tab in ("members", "products", "trend"):
        html = client.get(URL, {"tab": tab}).content.decode()
        assert f'data-total="cash_amount">{format_cny(want["cash_amount"])}<' in html, tab
        assert f'data-total="line_count">{want["line_count"]}<' in html, tab


def _last_month_purchase(user, admin):
    """A pay-on-behalf purchase dated in the previous month (its lines and rollups too)."""
    import time_machine

    prev = bill_selectors.add_months(timezone.localdate().replace(day=1), -1)
    with time_machine.travel(timezone.make_aware(datetime(prev.year, prev.month, 12, 10))):
        buy(user, "S5.SMALL2")
    return prev


def test_trend_growth_and_chart(client, bills, admin):
    month = timezone.localdate().replace(day=1)
    prev = _last_month_purchase(bills["other"], admin)
    rows = bill_selectors.trend(
        bill_selectors.by_product_rows(user=admin, payer_side=True), until=month
    )
    assert [r["bill_month"] for r in rows][-2:] == [prev, month]
    assert rows[-3]["growth"] is None and rows[-2]["growth"] is None
    expected = (rows[-1]["cash_amount"] - rows[-2]["cash_amount"]) * 100 / rows[-2]["cash_amount"]
    assert rows[-1]["growth"] == expected.quantize(Decimal("0.1"))
    client.force_login(admin)
    html = client.get(URL, {"tab": "trend"}).content.decode()
    assert 'role="img"' in html and 'data-testid="trend-chart"' in html
    assert html.count('data-testid="trend-row"') == 6
    # each month drills into the department view of that month
    assert f'href="/pay-on-behalf/bills/?tab=departments&amp;month={prev:%Y-%m}"' in html
    assert bill_selectors.growth(Decimal("0"), Decimal("0")) is None


def test_month_picker_chooses_the_month(client, bills, admin):
    prev = _last_month_purchase(bills["other"], admin)
    client.force_login(admin)
    html = client.get(URL).content.decode()
    this_month = html.split("month-picker")[1]
    html = client.get(URL, {"month": f"{prev:%Y-%m}"}).content.decode()
    last_month = html.split("month-picker")[1]
    assert bills["other"].account.uin in this_month and bills["other"].account.uin in last_month
    lines = BillLine.objects.filter(payer=admin.account, bill_month=prev)
    assert f'data-total="line_count">{lines.count()}<' in last_month


# ------------------------------------------------------------------ CSV


def test_csv_is_exactly_the_filtered_rows(client, bills, admin, pob_member):
    client.force_login(admin)
    uin = pob_member.account.uin
    rows = csv_rows(client.get(EXPORT, {"q": uin, "tab": "details", "page": "2"}))
    lines = BillLine.objects.filter(payer=admin.account, owner=pob_member.account)
    assert len(rows) == lines.count() == 2
    assert {r[1] for r in rows} == {uin}
    assert sum(Decimal(r[11]) for r in rows) == lines.aggregate(s=Sum("cash_amount"))["s"]
    assert sum(Decimal(r[8]) for r in rows) == lines.aggregate(s=Sum("list_cost"))["s"]
    assert len(rows[0]) == 13
    newest = lines.order_by("-created_at", "-pk").first()
    assert rows[0][11] == str(newest.cash_amount)
    # the details table lists the same rows
    html = client.get(URL, {"tab": "details", "q": uin}).content.decode()
    assert html.count("data-bill-line=") == 2
    month = timezone.localdate()
    assert len(csv_rows(client.get(EXPORT, {"since": f"{month:%Y-%m}"}))) == 3
    assert csv_rows(client.get(EXPORT, {"until": "2000-01"})) == []
    assert csv_rows(client.get(EXPORT, {"transaction_type": "renew"})) == []
    assert len(csv_rows(client.get(EXPORT, {"billing_mode": "subscription"}))) == 3


# ------------------------------------------------------------------ bounded queries

# Pinned counts per full page (after a warm-up request): session, user, console context,
# permissions, sidebar and unread badge, then the tab's own queries: the month list and one
# summary query (by member, by product), one trend query, or the filter's product choices (one
# plain query: no count, no server-side cursor), a count and a page of lines (details), that
# page's joins planned as written on PostgreSQL (tco_console/planning.py: `queries_added`).
PINNED = {
    ("members", "admin"): 10,
    ("members", "pob_member"): 11,
    ("products", "admin"): 8,
    ("products", "pob_member"): 8,
    ("departments", "admin"): 13,
    ("departments", "pob_member"): 11,  # no department tab: the member's first tab
    ("trend", "admin"): 7,
    ("trend", "pob_member"): 7,
    ("details", "admin"): 8 + queries_added(),
    ("details", "pob_member"): 8 + queries_added(),
}


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["admin", "pob_member"])
@pytest.mark.parametrize("tab", TABS)
def test_query_counts_are_pinned_and_constant(client, bills, request, org, admin, role, tab):
    from tests.factories import join

    user = request.getfixturevalue(role)
    url = f"{URL}?tab={tab}"
    client.force_login(user)
    client.get(url)
    small = _count(client, url)
    pob = request.getfixturevalue("pob_member")
    fund(admin, "2000.00", admin)
    for i in range(5):
        extra = join(org, admin, name=f"grow-{i}", payer=org.admin_account)
        buy(extra, "S5.SMALL2")
        buy(pob, "S5.SMALL2")
    large = _count(client, url)
    assert small == large == PINNED[tab, role]


@pytest.mark.postgres
def test_issue16_only_a_list_chosen_by_its_own_columns_is_planned_as_written(
    client, bills, admin, pob_member
):
    """A page of details not filtered through a join is read with its joins planned as
    written (one SET LOCAL around it); filtered by a member's UIN (a joined table) it is left
    to PostgreSQL's planner, which may start from that table. Either way the rows are those
    the filter asks for."""
    client.force_login(admin)

    def read(params):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(URL, {"tab": "details", **params}).content.decode()
        planned = [q["sql"] for q in ctx.captured_queries if "join_collapse_limit" in q["sql"]]
        return html, planned

    html, planned = read({})
    assert planned == [
        "SET LOCAL join_collapse_limit = 1",
        "SET LOCAL join_collapse_limit TO DEFAULT",
    ]
    paid = BillLine.objects.filter(payer=admin.account).exclude(owner=admin.account).count()
    assert paid and html.count("data-bill-line=") == min(25, paid)
    html, planned = read({"member": pob_member.account.uin})
    assert planned == []
    mine = BillLine.objects.filter(owner=pob_member.account).count()
    assert mine and html.count("data-bill-line=") == min(25, mine)
