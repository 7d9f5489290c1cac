"""F3 Billing Center's account selector: the admin's users switch to a self-pay member with
`?account=<UIN>` and read its bills and transaction details (1) and its balance (2) on its F2
days only; a pay-on-behalf member points to the admin's own bills; anything else is a 404
(F1), read on every request."""

import csv
import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from billing.models import BillLine, Entry
from billing.models.ledger import CUSTOMER_BOOKS
from billing.tables.bills import pob_bills_url
from organizations import services as org_services
from organizations.models import Membership
from tco_console.planning import queries_added
from tests.billing.helpers import buy, fund
from tests.factories import UserFactory, join, make_org, sub_user

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
BILLING = "/billing/"
EXPORT = "/billing/bills/export.csv"
TX_EXPORT = "/billing/transactions/export.csv"


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


@contextmanager
def on(*args):
    with time_machine.travel(at(*args), tick=False):
        yield


def _csv(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _cash(lines) -> Decimal:
    return lines.aggregate(s=Sum("cash_amount"))["s"] or Decimal("0.00")


def _grant(user, *perms):
    """Change a member's permissions as a revocation would (1 and 2 are mandatory in forms)."""
    Membership.objects.filter(account=user.account).update(permissions=list(perms))


@pytest.fixture
def world(catalog):
    """An organization whose self-pay member joined on 2026-03-01 10:00 (its data starts on
    03-02) and spent on 03-05 and 03-06; a pay-on-behalf member; tests run on 2026-03-20."""
    with on(2026, 3, 1, 10):
        org, admin = make_org()
        member = join(org, admin, name="self-pay", allow_quit=True)
        pob = join(org, admin, name="pob-one", payer=org.admin_account)
        fund(member, "1000", member)
        fund(admin, "1000", admin)
    with on(2026, 3, 5, 12):
        buy(member, "S5.SMALL2")
        buy(pob, "S5.SMALL2")
    with on(2026, 3, 6, 12):
        buy(member, "S5.MEDIUM4")
    with on(2026, 3, 20, 12):
        yield {"org": org, "admin": admin, "member": member, "pob": pob}


def _view(client, member, **params):
    return client.get(BILLING, {"account": member.account.uin, **params})


# ------------------------------------------------------------------ F1 reach


def test_f1_self_pay_member_bills_visible_with_1_and_gone_when_revoked(client, world):
    admin, member = world["admin"], world["member"]
    mine = BillLine.objects.filter(payer=member.account, owner=member.account)
    want = f'data-total="cash_amount">{_cash(mine):,.2f} CNY<'
    client.force_login(admin)
    html = client.get(BILLING).content.decode()
    assert 'data-testid="account-selector"' in html and member.account.uin in html
    html = _view(client, member).content.decode()
    assert 'data-testid="member-view"' in html and "Data available from 2026-03-02" in html
    assert 'data-tab="bills"' in html and 'data-tab="transactions"' in html
    assert 'data-tab="orders"' not in html and 'data-testid="top-up"' not in html
    assert want in html  # by month (the daily rollup)
    for view in ("product", "resource"):
        html = _view(client, member, tab="bills", view=view, month="2026-03").content.decode()
        assert want in html, view
        assert f"account={member.account.uin}" in html  # every link keeps the choice
    html = _view(client, member, tab="bills", view="resource").content.decode()
    assert html.count('data-testid="summary-row"') == 2
    rows = _csv(client.get(EXPORT, {"account": member.account.uin, "month": "2026-03"}))
    assert len(rows) - 1 == mine.count() == 2
    html = _view(client, member, tab="transactions").content.decode()
    orders = {line.order.order_no for line in mine.select_related("order")}
    assert all(no in html for no in orders)
    assert len(_csv(client.get(TX_EXPORT, {"account": member.account.uin}))) > 1

    _grant(member, 2)  # revoked 1: the next request no longer shows bills
    html = _view(client, member, tab="bills").content.decode()
    assert 'data-tab="bills"' not in html and want not in html
    assert 'data-testid="balance-cash"' in html
    html = _view(client, member, tab="transactions").content.decode()
    assert not any(no in html for no in orders)
    assert client.get(EXPORT, {"account": member.account.uin}).status_code == 404
    assert client.get(TX_EXPORT, {"account": member.account.uin}).status_code == 404
    _grant(member, 4)  # neither 1 nor 2: gone from the selector, its URL a 404
    assert _view(client, member).status_code == 404
    assert member.account.uin not in client.get(BILLING).content.decode()


def test_f1_balance_card_needs_2(client, world):
    admin, member = world["admin"], world["member"]
    client.force_login(admin)
    _grant(member, 1)
    html = _view(client, member).content.decode()
    assert 'data-testid="balance-cash"' not in html and 'data-tab="bills"' in html
    _grant(member, 1, 2)
    html = _view(client, member).content.decode()
    cash = member.account.wallet.cash
    assert f'data-testid="balance-cash">{cash:,.2f} CNY<' in html
    assert f"{admin.account.wallet.cash:,.2f} CNY<" not in html.split('id="balance-cards"')[1][:900]
    _grant(member, 2)
    html = _view(client, member).content.decode()
    assert 'data-testid="balance-available"' in html
    assert 'data-tab="bills"' not in html and 'data-testid="data-from"' not in html
    # the card refreshes on its own, still the member's
    partial = client.get(
        BILLING,
        {"account": member.account.uin},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="balance-cards",
    ).content.decode()
    assert f"{cash:,.2f} CNY" in partial and "<table" not in partial
    assert f'hx-get="/billing/?account={member.account.uin}"' in partial


def test_f1_other_org_member_and_non_granting_are_404(client, world):
    org, admin, member, pob = world["org"], world["admin"], world["member"], world["pob"]
    org2, admin2 = make_org()
    stranger = join(org2, admin2, name="elsewhere")
    quiet = join(org, admin, name="quiet")
    _grant(quiet, 4, 8)  # grants neither 1 nor 2
    sibling = join(org, admin, name="sibling")
    client.force_login(admin)
    html = client.get(BILLING).content.decode()
    assert quiet.account.uin not in html and stranger.account.uin not in html
    for uin in (stranger.account.uin, quiet.account.uin, "999999999999", "not-a-uin", "1" * 40):
        for url in (BILLING, EXPORT, TX_EXPORT):
            assert client.get(url, {"account": uin}).status_code == 404, (uin, url)
    for url in (EXPORT, TX_EXPORT):  # a pay-on-behalf member is no self-pay export
        assert client.get(url, {"account": pob.account.uin}).status_code == 404
    # a member's users reach only their own account; another organization's admin its own
    for user in (sibling, sub_user(sibling.account, org_services.READ_ONLY_GROUP), admin2):
        client.force_login(user)
        html = client.get(BILLING).content.decode()
        assert member.account.uin not in html
        assert ('data-testid="account-selector"' in html) == (user == admin2)
        for url in (BILLING, EXPORT, TX_EXPORT):
            assert client.get(url, {"account": member.account.uin}).status_code == 404
        assert client.get(BILLING, {"account": admin.account.uin}).status_code == 404
    # a read-only sub-user of the admin sees it
    client.force_login(sub_user(admin.account, org_services.READ_ONLY_GROUP))
    assert 'data-testid="account-selector"' in client.get(BILLING).content.decode()
    assert 'data-testid="member-view"' in _view(client, member).content.decode()
    assert _csv(client.get(EXPORT, {"account": member.account.uin, "month": "2026-03"}))


# ------------------------------------------------------------------ F2 windows


def test_f2_no_data_from_outside_membership_periods(client, catalog):
    """Spend before joining, on the join day, on the leaving day, while away and on the day
    of rejoining is never shown; the whole days in between are."""
    with on(2026, 3, 1, 8):
        org, admin = make_org()
        user = UserFactory(account__entity=org.admin_account.entity)
        fund(user, "5000", user)
        outside = [buy(user, "S5.SMALL2")]  # before joining
    with on(2026, 3, 1, 10):
        join(org, admin, user=user, name="comes-and-goes", allow_quit=True)
    with on(2026, 3, 1, 15):
        outside.append(buy(user, "S5.SMALL2"))  # the join day
    inside = []
    for day in (2, 3):
        with on(2026, 3, day, 12):
            inside.append(buy(user, "S5.MEDIUM4"))
    with on(2026, 3, 4, 9):
        outside.append(buy(user, "S5.SMALL2"))  # the leaving day
    with on(2026, 3, 4, 10):
        org_services.member_remove(membership=user.account.membership, acting_user=admin)
    with on(2026, 3, 5, 12):
        outside.append(buy(user, "S5.SMALL2"))  # while away
    with on(2026, 3, 6, 10):
        join(org, admin, user=user, name="comes-and-goes", allow_quit=True)
    with on(2026, 3, 6, 15):
        outside.append(buy(user, "S5.SMALL2"))  # the day of rejoining
    with on(2026, 3, 7, 12):
        inside.append(buy(user, "S5.LARGE8"))
    with on(2026, 3, 20, 12):
        client.force_login(admin)
        uin = user.account.uin
        shown = BillLine.objects.filter(order__in=inside)
        want = f'data-total="cash_amount">{_cash(shown):,.2f} CNY<'
        assert _cash(shown) < _cash(BillLine.objects.filter(owner=user.account))
        html = client.get(BILLING, {"account": uin}).content.decode()
        assert "Data available from 2026-03-02" in html and want in html
        assert "2026-03-02 – 2026-03-03" in html and "2026-03-07 – now" in html
        for view in ("month", "product", "resource"):  # month: the monthly rollup less
            # the daily rows of the days outside (the join day, the leaving day, away, …)
            html = client.get(BILLING, {"account": uin, "tab": "bills", "view": view}).content
            assert want in html.decode(), view
            assert f'data-total="line_count">{len(inside)}<' in html.decode(), view
        rows = _csv(client.get(EXPORT, {"account": uin, "month": "2026-03"}))
        instances = {o.resource.instance_id for o in inside}
        assert {r[4] for r in rows[1:]} == instances and len(rows) - 1 == len(inside)
        html = client.get(BILLING, {"account": uin, "tab": "transactions"}).content.decode()
        assert all(o.order_no in html for o in inside)
        assert not any(o.order_no in html for o in outside)
        partial = client.get(  # the filter bar's htmx swap keeps the member and its days
            BILLING,
            {"account": uin, "tab": "transactions", "direction": "out"},
            HTTP_HX_REQUEST="true",
        ).content.decode()
        assert "<html" not in partial and f'name="account" value="{uin}"' in partial
        assert all(o.order_no in partial for o in inside)
        assert not any(o.order_no in partial for o in outside)
        rows = _csv(client.get(TX_EXPORT, {"account": uin}))
        assert {r[4] for r in rows[1:]} == {o.order_no for o in inside}
        entries = Entry.objects.filter(account=user.account, book__in=CUSTOMER_BOOKS)
        assert len(rows) - 1 == entries.filter(order__in=inside).count() < entries.count()


# ------------------------------------------------------------------ F3 selector


def test_f3_pay_on_behalf_member_points_to_pob_bills(client, world):
    admin, pob = world["admin"], world["pob"]
    client.force_login(admin)
    html = client.get(BILLING).content.decode()
    assert f"({pob.account.uin}) · pay-on-behalf" in html
    response = client.get(BILLING, {"account": pob.account.uin, "tab": "bills"})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="pob-notice"' in html
    link = pob_bills_url("details", member=pob.account.uin).replace("&", "&amp;")
    assert f'href="{link}"' in html
    assert 'data-tab="bills"' not in html and 'data-testid="balance-cash"' not in html
    details = client.get(link.replace("&amp;", "&")).content.decode()
    assert details.count("data-bill-line=") == 1


def test_f3_selector_names_each_member_marks_the_one_shown_and_escapes_names(client, world):
    """The options: "name (UIN)", " · pay-on-behalf" for a member the admin pays for, the
    member on show selected, and a member's name shown as text, never as markup."""
    admin, member, pob = world["admin"], world["member"], world["pob"]
    Membership.objects.filter(account=member.account).update(name="<b>Self & co</b>")
    client.force_login(admin)
    html = client.get(BILLING).content.decode()
    uin = member.account.uin
    assert f'<option value="{uin}">&lt;b&gt;Self &amp; co&lt;/b&gt; ({uin})</option>' in html
    assert "<b>Self" not in html
    assert (
        f'<option value="{pob.account.uin}">pob-one ({pob.account.uin}) · pay-on-behalf</option>'
        in html
    )
    shown = _view(client, member).content.decode()
    assert f'<option value="{uin}" selected>&lt;b&gt;Self' in shown
    assert f'<option value="{pob.account.uin}" selected>' not in shown


def test_f3_member_view_csv_equals_member_own_csv(client, catalog):
    with on(2026, 2, 10, 15):
        org, admin = make_org()
        member = join(org, admin, name="whole-month", allow_quit=True)
        fund(member, "5000", member)
    for day, code in ((1, "S5.SMALL2"), (9, "S5.MEDIUM4"), (31, "S5.LARGE8")):
        with on(2026, 3, day, 0, 30):
            buy(member, code)
    with on(2026, 4, 1, 0, 10):
        buy(member, "S5.SMALL2")  # April: not in the March file
    with on(2026, 4, 3, 12):
        client.force_login(member)
        own = _csv(client.get(EXPORT, {"month": "2026-03"}))
        client.force_login(admin)
        viewed = _csv(client.get(EXPORT, {"account": member.account.uin, "month": "2026-03"}))
    assert len(own) == 4 and viewed == own


# ------------------------------------------------------------------ bounded queries

# Pinned maxima of a member's view (after a warming request): session, user, console
# membership, 2 × permissions, the member (F1), its periods (F2), its wallet (2), the
# selector's members, the unread-messages badge, and the page's own reads: the months (the
# monthly rollup, and the daily rows of the days outside the F2 windows to take off them), the
# rollup's months and totals, the resource page's count and rows, the transactions page's
# rows (no COUNT; its joins planned as written on PostgreSQL, tco_console/planning.py:
# `queries_added`).
MEMBER_PAGES = {
    "bills-month": ({"tab": "bills", "view": "month"}, 12),
    "bills-product": ({"tab": "bills", "view": "product"}, 12),
    "bills-resource": ({"tab": "bills", "view": "resource"}, 14),
    "transactions": ({"tab": "transactions"}, 11 + queries_added()),
}


def _count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BILLING, params).status_code == 200
    return len(ctx.captured_queries)


def _grow(member, n, start):
    for i in range(n):
        with on(2026, 3, start + i % 5, 12):
            buy(member, "S5.SMALL2")


@pytest.mark.parametrize("page", list(MEMBER_PAGES))
def test_f3_member_view_query_counts_are_pinned_and_constant(
    client, world, page, django_assert_max_num_queries
):
    admin, member = world["admin"], world["member"]
    params, pinned = MEMBER_PAGES[page]
    params = {"account": member.account.uin, **params}
    client.force_login(admin)
    client.get(BILLING, params)  # warm caches
    _grow(member, 2, 7)
    small = _count(client, params)
    _grow(member, 12, 10)
    large = _count(client, params)
    assert small == large
    with django_assert_max_num_queries(pinned):
        client.get(BILLING, params)


def test_f3_past_the_listed_members_the_selector_takes_a_typed_uin(
    client, catalog, org, admin, member, pob_member, monkeypatch
):
    """An organization of thousands: the selector lists a few and takes any member's UIN."""
    from billing.finance import member_view

    monkeypatch.setattr(member_view, "LISTED", 1)
    join(org, admin, name="second-self-pay")
    client.force_login(admin)
    html = client.get("/billing/").content.decode()
    assert 'data-testid="account-uin"' in html and "<datalist" in html
    # its suggestions: the first of each kind, by name alone
    options = html.split("<datalist", 1)[1].split("</datalist>", 1)[0]
    assert f'<option value="{member.account.uin}">member-one</option>' in options
    assert options.count("<option") == 2 and " · pay-on-behalf</option>" in options
    assert client.get("/billing/", {"account": member.account.uin}).status_code == 200
