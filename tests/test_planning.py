"""Issue 16: `joins_as_written` sets PostgreSQL's join planning for its block alone."""

import pytest
from django.db import connection, transaction

from billing.models import BillLine
from tco_console.planning import joins_as_written, plain_list

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


def test_issue16_the_setting_lasts_as_long_as_the_block():
    default = limit()
    assert default != "1"
    with joins_as_written():
        assert limit() == "1"
    assert limit() == default  # an enclosing transaction (the test's) does not keep it
    with pytest.raises(ZeroDivisionError), joins_as_written():
        assert limit() == "1"
        1 / 0  # noqa: B018
    assert limit() == default  # a block that fails is rolled back with its setting


def test_issue16_a_failed_query_inside_leaves_the_connection_usable():
    with transaction.atomic():
        with pytest.raises(Exception), joins_as_written(), connection.cursor() as cursor:  # noqa: B017
            cursor.execute("SELECT 1/0")
        assert limit() != "1"  # the savepoint rolled back: the transaction goes on


def test_issue16_plain_lists_filter_on_their_own_table_only():
    mine = BillLine.objects.filter(payer_id=1, bill_month__gte="2026-01-01").select_related(
        "owner__membership", "product"
    )
    assert plain_list(mine.order_by("-created_at"))
    assert not plain_list(mine.filter(owner__uin="100000000001"))
    assert not plain_list(mine.filter(owner__membership__department__path__startswith="1/"))
    assert not plain_list(["not", "a", "queryset"])
