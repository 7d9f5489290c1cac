"""`seed_scale` and `bench --quick` work end to end (issue 5), at a size CI can afford: the
dataset balances and its rollups equal its lines, and the bench prints its summary line."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from billing import scale
from billing.management.commands.check_books import problems, summary_problems
from billing.models import BillLine, PobMemberMonth
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
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert "Bills · by department" in text and "Billing Center · bills by resource" in text
    last = text.strip().splitlines()[-1]
    assert re.fullmatch(r"bench: growth \d+\.\d\d sql \d+\.\d\d queries \d+", last), last
    assert int(last.rsplit(" ", 1)[1]) <= 20
