"""`seed_scale` and `bench --quick` work end to end (issue 5), at a size CI can afford: the
dataset balances and its rollups equal its lines, and the bench prints its summary line."""

import gc
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from billing import scale
from billing.management.commands.check_books import problems, summary_problems
from billing.models import BillLine, BillSummary, PobMemberMonth, Product, Wallet
from organizations.models import Department, Membership

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the scale dataset is loaded with COPY"
    ),
]


@pytest.mark.django_db(transaction=True)  # COPY and index rebuilds commit as they go
def test_seed_scale_loads_a_balanced_dataset():
    out = io.StringIO()
    call_command(
        "seed_scale",
        "--reset",
        "--members=40",
        "--departments=125",
        "--line-items=3000",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Loaded 3,000 line items for 40 members in 125 departments" in out.getvalue()
    assert BillLine.objects.count() == 3000
    assert Membership.objects.count() == 41
    assert Department.objects.count() == 126
    assert Department.objects.order_by("-depth").first().depth == 3
    assert list(problems()) == [] and list(summary_problems()) == []
    assert PobMemberMonth.objects.exists()
    # pay-on-behalf and self-paid lines are both there
    assert BillLine.objects.filter(owner_id=scale_user_account("selfpay")).exists()


def scale_user_account(role):
    from organizations.models import User

    name = {"selfpay": scale.SELF_PAY_USERNAME, "member": scale.MEMBER_USERNAME}[role]
    return User.objects.get(username=name).account_id


@pytest.mark.django_db(transaction=True)  # it empties and reloads the database per size
def test_bench_quick_prints_its_summary_line():
    out = io.StringIO()
    call_command(
        "bench",
        "--in-place",
        "--sizes=200,2000",
        "--members=30",
        "--departments=12",
        "--repeat=2",
        "--settle-members=10",
        "--settle-hours=2",
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert "Bills · by department" in text and "Billing Center · bills by resource" in text
    last = text.strip().splitlines()[-1]
    pattern = (
        r"bench: growth \d+\.\d\d floor \d+\.\d\d sql \d+\.\d\d queries (\d+) "
        r"settle \d+ settle-floor \d+\.\d\d"
    )
    found = re.fullmatch(pattern, last)
    assert found, last
    assert int(found[1]) <= 20
    assert "Framework floor" in text and "settle bench:" in text
    # the small size in a database of its own (in place: the large one in the configured one),
    # so that both sizes' pages are timed in the same rounds
    assert re.search(r"bench database: \S+_bench_small\n", text)
    # each size's load written out before its pages are timed (or why it could not be)
    assert text.count("checkpoint after the load") + text.count("no checkpoint after") == 2


@pytest.fixture
def small_scale():
    """The scale dataset at the bench's small size (1,000 lines), with fewer members."""
    scale.reset()
    return scale.seed(members=200, departments=20, line_items=1000)


def page_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    table = response.context["table"]
    return list(table.paginated_rows), table.page


@pytest.mark.django_db(transaction=True)  # COPY FREEZE and index rebuilds commit as they go
def test_issue16_measured_members_pages_are_full_at_1000_lines(small_scale, client):
    """Issue 16: growth is measured on pages that are full at both sizes, so at 1,000 lines
    each measured member has a full page (25) of its current month's lines, and the self-pay
    member a full page of resources and every product in the current month."""
    month = f"{timezone.localdate():%Y-%m}"
    client.force_login(small_scale.member)
    rows, page = page_rows(client, f"/pay-on-behalf/bills/?tab=details&since={month}&until={month}")
    assert len(rows) == 25 and page.has_next()
    assert {r.record.bill_month for r in rows} == {timezone.localdate().replace(day=1)}

    client.force_login(small_scale.self_pay)
    rows, page = page_rows(client, "/billing/?tab=transactions")
    assert len(rows) >= 13  # a top-up and twelve monthly settlements
    rows, page = page_rows(client, f"/billing/?tab=bills&view=resource&month={month}")
    assert len(rows) == 25 and page.paginator.num_pages == 2  # its 30 resources
    rows, _page = page_rows(client, f"/billing/?tab=bills&view=product&month={month}")
    assert len(rows) == Product.objects.count() == 6

    current = timezone.localdate().replace(day=1)
    for user in (small_scale.member, small_scale.self_pay):
        assert BillLine.objects.filter(owner=user.account, bill_month=current).count() >= 25

    # the admin's bills by department: Root's own members are the admin and the measured
    # member alone, whose month's lines it lists at every size
    root = Department.objects.get(organization=small_scale.organization, depth=0)
    in_root = set(Membership.objects.filter(department=root).values_list("account", flat=True))
    assert in_root == {small_scale.admin.account_id, small_scale.member.account_id}
    client.force_login(small_scale.admin)
    rows, _page = page_rows(client, "/pay-on-behalf/bills/?tab=departments")
    assert [r.record.owner_id for r in rows] == [small_scale.member.account_id]


@pytest.mark.django_db(transaction=True)
def test_small_scale_dataset_balances_and_its_rollups_equal_its_lines(small_scale):
    """check_books holds on a loaded dataset: journals balance, every settlement's cash entry
    equals its lines, wallets equal their ledger (1,000,000.00 each), rollups equal lines."""
    out = io.StringIO()
    call_command("check_books", stdout=out, stderr=io.StringIO())
    assert "The books balance." in out.getvalue()
    assert list(summary_problems()) == []
    assert set(Wallet.objects.values_list("cash", flat=True)) == {Decimal("1000000.00")}
    assert BillLine.objects.count() == 1000
    summed = BillLine.objects.aggregate(n=Count("pk"), cash=Sum("cash_amount"))
    rolled = BillSummary.objects.aggregate(n=Sum("line_count"), cash=Sum("cash_amount"))
    assert summed == rolled


def test_issue16_every_member_has_lines_at_ten_million():
    """The admin's pages stay meaningful at 10 M lines: the smallest share of the skewed
    distribution still gives each member a line or more a month; the measured two own most."""
    shares = scale.owner_shares(10_000)
    assert abs(sum(shares) - 1) < 1e-9
    assert min(shares) * 10_000_000 >= 12
    assert shares[0] == shares[scale.SELF_PAY_EVERY - 1] == scale.MEASURED_SHARE
    assert scale.month_sizes(1000, 12)[-1] * scale.MEASURED_SHARE >= 25


@pytest.mark.django_db(transaction=True)
def test_issue16_bench_pages_time_every_page_for_its_user(small_scale):
    """What `bench` runs in a process of its own (billing.bench_pages), run here: every page
    of the bench answers its user, within the query limit, and each admin summary page has
    its SQL yardstick timed."""
    from billing import bench_pages
    from billing.management.commands.bench import Command

    spec = {
        "users": {
            "admin": small_scale.admin.username,
            "member": small_scale.member.username,
            "selfpay": small_scale.self_pay.username,
        },
        "fmt": {
            "selfpay_uin": small_scale.self_pay.account.uin,
            "budget": Command(stdout=io.StringIO())._budgets(small_scale),
        },
        "repeat": 1,
    }
    try:
        timed = bench_pages._main(spec)
    finally:
        gc.unfreeze()  # _main freezes what it loaded, as a worker does
    pages = [(bench_pages.FLOOR[0], bench_pages.FLOOR[1])] + [
        (label, role) for label, role, _url, _sql in bench_pages.PAGES
    ]
    assert [(r["label"], r["role"]) for r in timed] == pages
    assert all(0 < r["p50"] <= r["p95"] and r["queries"] <= 15 for r in timed)
    with_sql = {(label, role) for label, role, _url, sql in bench_pages.PAGES if sql}
    assert {(r["label"], r["role"]) for r in timed if r["sql_p50"] is not None} == with_sql


def test_bench_pages_reports_what_a_child_that_stopped_wrote():
    """A child that cannot start (here: a database that does not exist) stops the bench with
    the end of what it wrote to its standard error, read back from its file."""
    from billing import bench_pages

    setup = {
        "url": "postgresql://nobody@127.0.0.1:1/no_such_database",
        "users": {"admin": "a", "member": "m", "selfpay": "s"},
        "fmt": {"selfpay_uin": "0", "budget": 0},
    }
    with pytest.raises(RuntimeError, match=r"bench_pages stopped \(1\):\n(.|\n)*Error"):
        bench_pages.run({1000: setup}, repeat=1)
