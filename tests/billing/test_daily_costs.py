"""F5 the daily cost rollup, F11 tags copied onto bill lines, F2 whole-day windows."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum

from billing.finance.reach import day_q, in_windows, whole_days
from billing.management.commands.check_books import summary_problems
from billing.models import BillLine, DailyCost
from billing.services import order_unsubscribe, payg, settlement
from billing.services.bills import rebuild_daily_costs
from organizations.models import Membership, TagSet
from tests.billing.helpers import buy, fund, region, spec

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
AMOUNTS = ("list_cost", "discount", "voucher_amount", "cash_amount")


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


def _rows():
    return sorted(DailyCost.objects.values_list(*DailyCost.KEY, *AMOUNTS, "line_count"), key=str)


def _tag(user, **tags):
    Membership.objects.filter(account=user.account).update(
        tag_set=TagSet.objects.for_pairs(tags.items())
    )


@pytest.fixture
def spend(catalog, org, admin, member, pob_member):
    """Two days of spend: purchases by a self-pay and a pay-on-behalf member, hourly usage
    settled across midnight (console time), and an unsubscribe refund."""
    with time_machine.travel(at(2026, 3, 1, 23, 10), tick=False):
        fund(admin, "5000", admin)
        fund(member, "3000", member)
        cvm = payg.resource_activate(
            owner=member.account, acting_user=member, spec=spec("S5.MEDIUM4"), region=region()
        )
        sub = buy(member, "S5.SMALL2", months=2).resource
        buy(pob_member, "S5.MEDIUM4")
    with time_machine.travel(at(2026, 3, 2, 1, 5), tick=False):
        settlement.settle_due(until=at(2026, 3, 2, 1, 0))
        order_unsubscribe(resource=sub, acting_user=member)
    return cvm


def test_f5_daily_costs_equal_the_lines_after_payments_settlement_and_refunds(spend):
    days = set(DailyCost.objects.values_list("day", flat=True))
    assert days == {dt.date(2026, 3, 1), dt.date(2026, 3, 2)}  # console days, UTC+8
    for f in AMOUNTS:
        assert (
            DailyCost.objects.aggregate(s=Sum(f))["s"] == BillLine.objects.aggregate(s=Sum(f))["s"]
        )
    assert DailyCost.objects.aggregate(n=Sum("line_count"))["n"] == BillLine.objects.count()
    assert list(summary_problems()) == []


def test_f5_rebuilding_from_the_lines_gives_the_same_rows(spend):
    before = _rows()
    with transaction.atomic():
        rebuild_daily_costs()
    assert _rows() == before


def test_f5_check_books_finds_a_daily_cost_that_disagrees(spend):
    row = DailyCost.objects.order_by("pk").first()
    DailyCost.objects.filter(pk=row.pk).update(cash_amount=row.cash_amount + Decimal("0.01"))
    assert any("daily cost" in p for p in summary_problems())


def test_f11_lines_copy_the_owner_tags_when_written(catalog, org, admin, member):
    fund(member, "3000", member)
    _tag(member, team="data", env="prod")
    first = buy(member, "S5.SMALL2")
    _tag(member, team="web")
    second = buy(member, "S5.SMALL2")
    _tag(member)
    third = buy(member, "S5.SMALL2")
    tags = {
        o.pk: (lambda t: t and t.as_dict())(BillLine.objects.get(order=o).tag_set)
        for o in (first, second, third)
    }
    assert tags == {
        first.pk: {"env": "prod", "team": "data"},
        second.pk: {"team": "web"},
        third.pk: None,
    }
    # spend keeps the tags it had: three daily rows for one owner, product and day
    assert DailyCost.objects.filter(owner=member.account).count() == 3
    assert list(summary_problems()) == []


def test_f11_tag_sets_are_canonical_and_shared():
    a = TagSet.objects.for_pairs([("b", "2"), ("a", "1")])
    b = TagSet.objects.for_pairs({"a": "1", "b": "2"}.items())
    assert a.pk == b.pk and a.tags == [["a", "1"], ["b", "2"]]
    assert TagSet.objects.for_pairs([]) is None


@pytest.mark.parametrize(
    ("start", "end", "window"),
    [
        (at(2026, 3, 1, 12, 30), None, (dt.date(2026, 3, 2), None)),
        (at(2026, 3, 1, 0, 0), None, (dt.date(2026, 3, 1), None)),
        (
            at(2026, 3, 1, 12, 30),
            at(2026, 3, 10, 9, 0),
            (dt.date(2026, 3, 2), dt.date(2026, 3, 9)),
        ),
        (at(2026, 3, 1, 12, 30), at(2026, 3, 2, 9, 0), None),  # no whole day inside
        # UTC midnight is 08:00 in console time: not a whole console day
        (dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC), None, (dt.date(2026, 3, 2), None)),
    ],
)
def test_f2_whole_console_days_of_a_membership_period(start, end, window):
    assert whole_days(start, end) == window


def test_f2_day_filters_keep_only_the_windows_days(spend):
    windows = ((dt.date(2026, 3, 2), None),)
    assert in_windows(dt.date(2026, 3, 2), windows) and not in_windows(dt.date(2026, 3, 1), windows)
    days = set(DailyCost.objects.filter(day_q(windows)).values_list("day", flat=True))
    assert days == {dt.date(2026, 3, 2)}
    assert not DailyCost.objects.filter(day_q(())).exists()
