"""F6 cost analysis: spend after discounts from the daily rollup, grouped, by day or month."""

import csv
import datetime as dt
import io
import random
import re
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from billing import services as billing_services
from billing.finance import costs
from billing.models import BillLine, DailyCost
from billing.views.costs import CHART_TITLE
from organizations import services
from organizations.models import Department, Membership, TagSet
from tests.billing.helpers import fund, region, spec
from tests.factories import join, sub_user, update_and_accept

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
URL = "/billing/cost-analysis/"
EXPORT = "/billing/cost-analysis/export.csv"
SPECS = ("S5.SMALL2", "S5.MEDIUM4", "PREMIUM-100", "SSD-200", "BASIC-2C4G")
REGIONS = ("ap-guangzhou", "ap-shanghai", "ap-beijing")


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


NOW = at(2026, 3, 20, 10, 0)
MARCH = {"start": "2026-03-01", "end": "2026-03-20", "granularity": "day"}


def get(client, url=URL, **params):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, params)
    assert response.status_code == 200
    return response


def table(response) -> dict[str, list[Decimal]]:
    """label → [cells per period…, total, list cost, discount, voucher, cash] as shown."""
    return {row[0]: list(row[1:]) for row in [*response.context["body"], response.context["foot"]]}


def legend_of(response) -> list[str]:
    """The chart's legend as shown."""
    legend = re.search(
        r'data-testid="cost-chart-legend"[^>]*>(.*?)</ul>', response.content.decode()
    )
    return re.findall(r"</svg> ([^<]*)</li>", legend.group(1))


def chart_of(response) -> str:
    """The chart's markup as shown (the SVG: bars, titles, text alternative)."""
    return re.search(r'<svg role="img".*?</svg>', response.content.decode(), re.S).group(0)


def totals_of(response) -> dict[str, Decimal]:
    return {label: cells[-5] for label, cells in table(response).items()}


def spend(when, user, code="S5.SMALL2", region_code="ap-guangzhou", months=1):
    with time_machine.travel(when, tick=False):
        return billing_services.order_buy(
            owner=user.account,
            acting_user=user,
            spec=spec(code),
            region=region(region_code),
            months=months,
        )


def joined(org, admin, when, **kw):
    with time_machine.travel(when, tick=False):
        return join(org, admin, **kw)


def line_spend(**filters):
    s = BillLine.objects.filter(**filters).aggregate(s=Sum(F("voucher_amount") + F("cash_amount")))
    return s["s"] or Decimal("0.00")


@pytest.fixture
def funded(catalog, org, admin):
    with time_machine.travel(at(2026, 2, 1, 9, 0), tick=False):
        fund(admin, "100000", admin)
    return admin


def test_f6_totals_equal_the_bill_lines_they_summarise(client, funded, org, admin):
    rng = random.Random(6)
    pob = [
        joined(org, admin, at(2026, 2, 1, 10), name=f"pob-{i}", payer=org.admin_account)
        for i in range(4)
    ]
    self_pay = joined(org, admin, at(2026, 2, 1, 10), name="self-8", permissions=[1, 2, 8])
    fund(self_pay, "20000", self_pay)
    not_granting = joined(org, admin, at(2026, 2, 1, 10), name="self-no-8")
    fund(not_granting, "20000", not_granting)
    for _ in range(25):
        who = rng.choice([admin, *pob, self_pay, not_granting])
        day = at(2026, 3, rng.randint(1, 20), rng.randint(0, 9), rng.randint(0, 59))
        spend(day, who, rng.choice(SPECS), rng.choice(REGIONS), months=rng.randint(1, 3))
    reached = {"payer": org.admin_account}
    client.force_login(admin)
    by_product = totals_of(get(client, group_by="product", **MARCH))
    by_member = totals_of(get(client, group_by="member", **MARCH))
    expected_total = line_spend(**reached) + line_spend(payer=self_pay.account)
    assert by_product["Total"] == by_member["Total"] == expected_total
    for name, code in (("Cloud Virtual Machine", "p_cvm"), ("Cloud Block Storage", "p_cbs")):
        assert by_product.get(name, Decimal("0.00")) == line_spend(
            payer=org.admin_account, product__code=code
        ) + line_spend(payer=self_pay.account, product__code=code)
    for user in [admin, *pob, self_pay]:
        label = f"{user.account.membership.name} ({user.account.uin})"
        assert by_member.get(label, Decimal("0.00")) == line_spend(owner=user.account)
    assert not any(not_granting.account.uin in label for label in by_member)
    # the cells add up to the row totals, and the columns to the totals row
    rows = table(get(client, group_by="region", **MARCH))
    for cells in rows.values():
        assert sum(cells[:-5]) == cells[-5] == cells[-2] + cells[-1]
    n = len(rows["Total"]) - 5
    for i in range(n):
        assert sum(c[i] for label, c in rows.items() if label != "Total") == rows["Total"][i]


def test_f6_group_by_department_uses_current_department_and_subtree(client, funded, org, admin):
    root = Department.objects.get(organization=org, parent=None)
    with time_machine.travel(at(2026, 2, 1, 9), tick=False):
        a = services.department_create(organization=org, parent=root, name="A", acting_user=admin)
        a1 = services.department_create(organization=org, parent=a, name="A1", acting_user=admin)
        b = services.department_create(organization=org, parent=root, name="B", acting_user=admin)
    pob = org.admin_account
    in_a = joined(org, admin, at(2026, 2, 1, 10), name="in-a", payer=pob, department=a)
    in_a1 = joined(org, admin, at(2026, 2, 1, 10), name="in-a1", payer=pob, department=a1)
    mover = joined(org, admin, at(2026, 2, 1, 10), name="mover", payer=pob, department=a)
    leaver = joined(org, admin, at(2026, 2, 1, 10), name="leaver", payer=pob, department=b)
    spend(at(2026, 3, 2, 10), in_a, "S5.SMALL2")  # 65
    spend(at(2026, 3, 2, 10), in_a1, "S5.MEDIUM4")  # 150
    spend(at(2026, 3, 3, 10), mover, "PREMIUM-100")  # 35, spent in A
    spend(at(2026, 3, 3, 10), leaver, "SSD-200")  # 160
    with time_machine.travel(at(2026, 3, 5, 10), tick=False):
        services.members_move(
            organization=org, uins=[mover.account.uin], department=b, acting_user=admin
        )
        m = leaver.account.membership
        update_and_accept(  # O7: self-pay first, then it may be removed
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="",
            permissions=[1, 2],
            payer=None,
            allow_quit=False,
        )
        services.member_remove(membership=Membership.objects.get(pk=m.pk), acting_user=admin)
    client.force_login(admin)
    got = totals_of(get(client, group_by="department", **MARCH))
    assert got == {
        "A": Decimal("65.00"),
        "A1": Decimal("150.00"),
        "B": Decimal("35.00"),  # the mover's department now
        "Former members": Decimal("160.00"),
        "Total": Decimal("410.00"),
    }
    # department filter: A's subtree (A and A1), not the mover who is in B now
    got = totals_of(get(client, group_by="member", department=[a.pk], **MARCH))
    assert set(got) == {
        f"in-a ({in_a.account.uin})",
        f"in-a1 ({in_a1.account.uin})",
        "Total",
    }
    assert got["Total"] == Decimal("215.00")


def _tag(user, **tags):
    Membership.objects.filter(account=user.account).update(
        tag_set=TagSet.objects.for_pairs(tags.items())
    )


def test_f6_group_by_tag_key_follows_tags_at_time_of_spend(client, funded, org, admin):
    pob = org.admin_account
    tagged = joined(org, admin, at(2026, 2, 1, 10), name="tagged", payer=pob)
    plain = joined(org, admin, at(2026, 2, 1, 10), name="plain", payer=pob)
    other_key = joined(org, admin, at(2026, 2, 1, 10), name="other-key", payer=pob)
    _tag(tagged, team="data", env="prod")
    _tag(other_key, env="dev")
    spend(at(2026, 3, 2, 10), tagged, "S5.SMALL2")  # 65 under data
    spend(at(2026, 3, 2, 10), other_key, "S5.SMALL2")  # 65 untagged (no team)
    spend(at(2026, 3, 2, 10), plain, "PREMIUM-100")  # 35 untagged
    _tag(tagged, team="web")
    spend(at(2026, 3, 4, 10), tagged, "S5.MEDIUM4")  # 150 under web
    client.force_login(admin)
    response = get(client, group_by="tag:team", **MARCH)
    assert totals_of(response) == {
        "web": Decimal("150.00"),
        "data": Decimal("65.00"),
        "Untagged": Decimal("100.00"),
        "Total": Decimal("315.00"),
    }
    rows = table(response)
    assert rows["data"][1] == Decimal("65.00") and rows["web"][3] == Decimal("150.00")
    # the group choices offer the keys the members carry now
    assert 'value="tag:team"' in response.content.decode()
    # tag filter key=value: the spend while the member carried it
    got = totals_of(get(client, group_by="member", tag="team=data", **MARCH))
    assert got == {f"tagged ({tagged.account.uin})": Decimal("65.00"), "Total": Decimal("65.00")}


def test_f6_top_10_and_others(client, funded, org, admin):
    members = [
        joined(org, admin, at(2026, 2, 1, 10), name=f"m{i:02d}", payer=org.admin_account)
        for i in range(13)
    ]
    # m00..m12 spend 65 × (i + 1) over one or more purchases: a strict ranking
    for i, user in enumerate(members):
        for k in range(i + 1):
            spend(at(2026, 3, 1 + k % 5, 10), user, "S5.SMALL2")
    client.force_login(admin)
    response = get(client, group_by="member", **MARCH)
    rows = list(table(response).items())
    labels = [label for label, _ in rows]
    assert labels[:10] == [f"m{i:02d} ({members[i].account.uin})" for i in range(12, 2, -1)]
    assert labels[10:] == ["Others", "Total"]
    others = rows[10][1]
    assert others[-5] == Decimal("65.00") * (1 + 2 + 3)
    assert sum(others[:-5]) == others[-5]
    assert rows[11][1][-5] == Decimal("65.00") * sum(range(1, 14))
    legend = legend_of(response)
    assert legend[-1] == "Others"
    assert len(legend) == 11
    html = response.content.decode()
    assert 'data-testid="cost-chart"' in html and "<desc" in html
    # few groups: no Others row
    assert "Others" not in totals_of(get(client, group_by="product", **MARCH))


def test_f6_member_sees_only_its_own(client, funded, org, admin):
    pob = joined(org, admin, at(2026, 2, 1, 10), name="pob-own", payer=org.admin_account)
    sibling = joined(org, admin, at(2026, 2, 1, 10), name="sibling-x", payer=org.admin_account)
    spend(at(2026, 3, 2, 10), pob, "S5.SMALL2")
    spend(at(2026, 3, 2, 10), sibling, "S5.MEDIUM4")
    spend(at(2026, 3, 2, 10), admin, "S5.LARGE8")
    client.force_login(pob)
    response = get(client, group_by="member", **MARCH)
    assert totals_of(response) == {
        f"pob-own ({pob.account.uin})": Decimal("65.00"),
        "Total": Decimal("65.00"),
    }
    html = response.content.decode()
    assert "sibling-x" not in html and sibling.account.uin not in html
    assert 'name="department"' not in html  # no organization filters for a member
    # a filter naming another account cannot widen the reach (a member has no such filter)
    got = totals_of(get(client, group_by="product", member=sibling.account.uin, **MARCH))
    assert got == {"Cloud Virtual Machine": Decimal("65.00"), "Total": Decimal("65.00")}
    # a resource-manager sub-user of the member sees the same
    client.force_login(sub_user(pob.account, services.RESOURCE_MANAGER_GROUP))
    assert totals_of(get(client, group_by="product", **MARCH))["Total"] == Decimal("65.00")


def test_f6_self_pay_member_needs_8_and_f2_windows(client, funded, org, admin):
    self_pay = joined(org, admin, at(2026, 3, 5, 12, 0), name="selfpay", permissions=[1, 2])
    fund(self_pay, "5000", self_pay)
    spend(at(2026, 3, 5, 15), self_pay, "S5.SMALL2")  # the join day: not a whole day
    spend(at(2026, 3, 7, 10), self_pay, "S5.MEDIUM4")  # inside its window
    client.force_login(admin)
    assert totals_of(get(client, group_by="member", **MARCH)) == {"Total": Decimal("0.00")}
    Membership.objects.filter(account=self_pay.account).update(permissions=[1, 2, 8])
    got = totals_of(get(client, group_by="member", **MARCH))
    assert got == {
        f"selfpay ({self_pay.account.uin})": Decimal("150.00"),
        "Total": Decimal("150.00"),
    }
    # the member itself sees both of its purchases
    client.force_login(self_pay)
    assert totals_of(get(client, group_by="member", **MARCH))["Total"] == Decimal("215.00")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "before its start"),
        ({"start": "2026-01-01", "end": "2026-02-15"}, "at most 31 days"),
        ({"start": "2025-08-01", "end": "2025-08-10"}, "last 180 days"),
        ({"start": "2026-03-10", "end": "2026-03-25"}, "last 180 days"),  # the future
        ({"granularity": "month", "start": "2025-01", "end": "2026-03"}, "last 12 months"),
        ({"start": "2026-02-30", "end": "x"}, "YYYY-MM-DD"),
        ({"group_by": "nonsense"}, "Choose a grouping"),
        ({"group_by": "x" * 10_000}, "at most"),
        ({"member": "1" * 10_000}, "at most"),
        ({"tag": "=" * 10_000}, "at most"),
        ({"preset": "forever"}, "Select a valid choice"),
        ({"product": "p_nothing"}, "Select a valid choice"),
        ({"department": "9" * 30}, "Select a valid choice"),
        ({"member": "123, abc"}, "12 digits"),
    ],
)
def test_f6_range_limits_and_bad_input(client, funded, org, admin, params, message):
    client.force_login(admin)
    response = get(client, **params)
    html = response.content.decode()
    assert 'data-testid="cost-problems"' in html and message in html
    analysis = response.context["analysis"]
    if "start" in params or "granularity" in params:  # the default range instead
        assert (analysis.query.granularity, analysis.query.start, analysis.query.end) == (
            "day",
            dt.date(2026, 2, 19),
            dt.date(2026, 3, 20),
        )
    assert get(client, EXPORT, **params).status_code == 200


def test_f6_presets_and_limits_accept_the_edges(client, funded, org, admin):
    on = dt.date(2026, 3, 20)
    assert costs.preset_range("7d", on) == ("day", dt.date(2026, 3, 14), on)
    assert costs.preset_range("mtd", on) == ("day", dt.date(2026, 3, 1), on)
    assert costs.preset_range("12m", on) == ("month", dt.date(2025, 4, 1), on)
    assert costs.preset_range("ytd", on) == ("month", dt.date(2026, 1, 1), on)
    first = on - dt.timedelta(days=179)
    assert costs.range_problem("day", first, first + dt.timedelta(days=30), on) is None
    assert costs.range_problem("month", dt.date(2025, 4, 1), dt.date(2026, 3, 1), on) is None
    client.force_login(admin)
    response = get(client, preset="6m")
    assert response.context["analysis"].periods[0] == dt.date(2025, 10, 1)
    assert len(response.context["analysis"].periods) == 6
    assert 'data-testid="cost-problems"' not in response.content.decode()
    # htmx: only the region, with the form reflecting the range
    with time_machine.travel(NOW, tick=False):
        partial = client.get(URL, {"preset": "7d"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="cost-analysis">')
    assert 'value="2026-03-14"' in body and "<html" not in body


def test_f6_csv_is_exactly_the_table(client, funded, org, admin):
    members = [
        joined(org, admin, at(2026, 2, 1, 10), name=f"c{i:02d}", payer=org.admin_account)
        for i in range(12)
    ]
    for i, user in enumerate(members):
        spend(at(2026, 3, 1 + i, 10), user, SPECS[i % len(SPECS)], REGIONS[i % 3])
    client.force_login(admin)
    for params in (
        {"group_by": "member", **MARCH},
        {"group_by": "product", "granularity": "month", "start": "2026-01", "end": "2026-03"},
    ):
        page = get(client, **params)
        export = get(client, EXPORT, **params)
        rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        shown = [page.context["header"], *page.context["body"], page.context["foot"]]
        assert rows == [[str(c) for c in row] for row in shown]
        # and the page's own HTML shows the same figures, cell by cell
        html = page.content.decode()
        values = re.findall(r'data-value="([^"]+)"', html[html.index('data-testid="cost-table"') :])
        assert values == [c for row in rows[1:] for c in row[1:]]
    assert rows[0][:4] == ["Product", "2026-01", "2026-02", "2026-03"]


def _count(client, **params) -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("group_by", ["member", "department", "product", "tag:team"])
def test_f6_query_count_does_not_grow_with_data(
    client, funded, org, admin, group_by, django_assert_max_num_queries
):
    first = joined(org, admin, at(2026, 2, 1, 10), name="q-first", payer=org.admin_account)
    self_pay = joined(org, admin, at(2026, 2, 1, 10), name="q-self", permissions=[1, 2, 8])
    fund(self_pay, "5000", self_pay)
    _tag(first, team="a")
    spend(at(2026, 3, 2, 10), first)
    client.force_login(admin)
    params = {"group_by": group_by, **MARCH}
    small = _count(client, **params)
    for i in range(14):
        user = joined(org, admin, at(2026, 2, 1, 10), name=f"q{i:02d}", payer=org.admin_account)
        _tag(user, team=f"t{i % 4}")
        spend(at(2026, 3, 1 + i, 10), user, SPECS[i % len(SPECS)], REGIONS[i % 3])
    spend(at(2026, 3, 9, 10), self_pay)
    assert DailyCost.objects.count() > 15
    assert _count(client, **params) == small
    with django_assert_max_num_queries(
        15
    ):  # 4 auth, 1 tag keys, 2 reach, 2 data, 1 labels or structure, 1 badge, 3 choices
        get(client, **params)


def test_f6_cached_analysis_is_never_stale(client, funded, org, admin, costs_cache):
    """Issue 16: a cached analysis is served only while nothing it read changed: a new line
    of the admin or of a granting self-pay member (their cost versions), a permission
    granted or revoked (the reach), a member's new name (labels are read live)."""
    pob = joined(org, admin, at(2026, 2, 1, 10), name="pob", payer=org.admin_account)
    self_pay = joined(org, admin, at(2026, 2, 1, 10), name="self", permissions=[1, 2, 8])
    fund(self_pay, "20000", self_pay)
    spend(at(2026, 3, 2, 10), pob, "S5.SMALL2")
    client.force_login(admin)
    first = totals_of(get(client, group_by="member", **MARCH))
    assert first["Total"] == line_spend(payer=org.admin_account) > 0
    assert len(costs_cache._cache) == 1  # cached
    with CaptureQueriesContext(connection) as warm:
        assert totals_of(get(client, group_by="member", **MARCH)) == first
    assert not any("billing_dailycost" in q["sql"] for q in warm.captured_queries)

    spend(at(2026, 3, 3, 10), pob, "S5.MEDIUM4")  # the admin pays: its version rises
    second = totals_of(get(client, group_by="member", **MARCH))
    assert second["Total"] == line_spend(payer=org.admin_account) > first["Total"]

    spend(at(2026, 3, 4, 10), self_pay, "S5.SMALL2")  # a granting self-pay member's own line
    third = totals_of(get(client, group_by="member", **MARCH))
    assert third["Total"] == second["Total"] + line_spend(payer=self_pay.account)

    Membership.objects.filter(account=self_pay.account).update(permissions=[1, 2])  # revoke 8
    assert totals_of(get(client, group_by="member", **MARCH))["Total"] == second["Total"]

    Membership.objects.filter(account=pob.account).update(name="renamed")
    labels = totals_of(get(client, group_by="member", **MARCH))
    assert f"renamed ({pob.account.uin})" in labels


def test_f6_cached_chart_is_the_one_its_figures_draw(client, funded, org, admin, costs_cache):
    """Issue 16: the chart is drawn once for the figures it shows (the "charts" cache), and
    a cached one is never shown for other figures, another name or another language."""
    pob = joined(org, admin, at(2026, 2, 1, 10), name="pob", payer=org.admin_account)
    spend(at(2026, 3, 2, 10), pob, "S5.SMALL2")
    client.force_login(admin)
    first = chart_of(get(client, group_by="member", **MARCH))
    assert len(caches["charts"]._cache) == 1
    assert chart_of(get(client, group_by="member", **MARCH)) == first  # from the cache
    assert "2026-03-02 · pob" in first

    spend(at(2026, 3, 3, 10), pob, "S5.MEDIUM4")  # new figures: a new chart
    second = chart_of(get(client, group_by="member", **MARCH))
    assert second != first and "2026-03-03 · pob" in second
    assert len(caches["charts"]._cache) == 2

    Membership.objects.filter(account=pob.account).update(name="renamed")  # a new label
    renamed = chart_of(get(client, group_by="member", **MARCH))
    assert "2026-03-03 · renamed" in renamed and "· pob" not in renamed

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = chart_of(get(client, group_by="member", **MARCH))
    with translation.override("zh-hans"):
        title_zh = str(CHART_TITLE)
    with translation.override("en"):
        title_en = str(CHART_TITLE)
    assert title_zh != title_en
    assert title_zh in chinese and title_en not in chinese
    assert title_en in renamed and "2026-03-03 · renamed" in chinese  # the same figures


def test_f6_cached_department_groupings_follow_todays_departments(
    client, funded, org, admin, costs_cache
):
    """Issue 16: groups and filters by department are cached too, under the organization's
    structure fingerprint: a member moved, a department moved under another parent, a member
    removed, and an operator's edit in the Django admin (no service runs) each show at once."""
    root = Department.objects.get(organization=org, parent=None)
    with time_machine.travel(at(2026, 2, 1, 9), tick=False):
        a = services.department_create(organization=org, parent=root, name="A", acting_user=admin)
        b = services.department_create(organization=org, parent=root, name="B", acting_user=admin)
    pob = org.admin_account
    one = joined(org, admin, at(2026, 2, 1, 10), name="one", payer=pob, department=a)
    two = joined(org, admin, at(2026, 2, 1, 10), name="two", payer=pob, department=b)
    spend(at(2026, 3, 2, 10), one, "S5.SMALL2")  # 65
    spend(at(2026, 3, 2, 10), two, "S5.MEDIUM4")  # 150
    client.force_login(admin)
    by_department = {"group_by": "department", **MARCH}
    assert totals_of(get(client, **by_department)) == {
        "A": Decimal("65.00"),
        "B": Decimal("150.00"),
        "Total": Decimal("215.00"),
    }
    in_a = {"group_by": "member", "department": [a.pk], **MARCH}
    assert set(totals_of(get(client, **in_a))) == {f"one ({one.account.uin})", "Total"}
    assert len(costs_cache._cache) == 2
    with CaptureQueriesContext(connection) as warm:
        get(client, **by_department)
    assert not any("billing_dailycost" in q["sql"] for q in warm.captured_queries)

    services.members_move(organization=org, uins=[two.account.uin], department=a, acting_user=admin)
    assert totals_of(get(client, **by_department)) == {
        "A": Decimal("215.00"),
        "Total": Decimal("215.00"),
    }
    assert totals_of(get(client, **in_a))["Total"] == Decimal("215.00")

    services.department_move(department=b, new_parent=a, acting_user=admin)
    services.members_move(organization=org, uins=[two.account.uin], department=b, acting_user=admin)
    assert totals_of(get(client, **in_a))["Total"] == Decimal("215.00")  # B is in A's subtree now
    Department.objects.filter(pk=b.pk).update(parent=root, path=f"{root.path}{b.pk}/")  # operator
    assert totals_of(get(client, **in_a))["Total"] == Decimal("65.00")
    assert totals_of(get(client, **by_department)) == {
        "A": Decimal("65.00"),
        "B": Decimal("150.00"),
        "Total": Decimal("215.00"),
    }
