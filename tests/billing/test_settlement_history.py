"""B8/B9: a cycle's usage depends only on what the resource did during it (its status history),
so settlement charges the same lines whatever order, split or moment it runs in."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import BillLine, Resource, ResourceStatusChange, UsageSettlement, Wallet
from billing.models.choices import ResourceStatus, SuspendReason
from billing.services import payg, settlement
from tests.billing.helpers import D, buy, fund, region, spec
from tests.factories import UserFactory, join, make_org

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2031, 3, 1, 10, 0, tzinfo=CST)


def _activate(user, code="S5.MEDIUM4", owner=None):
    owner = owner or user
    return payg.resource_activate(
        owner=owner.account, acting_user=owner, spec=spec(code), region=region()
    )


def _quantities(res):
    return [
        s.quantity
        for s in UsageSettlement.objects.filter(resource=res).order_by("cycle_start", "pk")
    ]


def test_b8_b9_payer_tipped_into_arrears_mid_run_is_charged_in_full_for_every_ended_cycle(
    catalog, org, admin, pob_member
):
    with time_machine.travel(T0, tick=False):
        fund(admin, "1.00", admin)
        first, second = _activate(pob_member), _activate(pob_member)
    with time_machine.travel(T0 + timedelta(hours=10, minutes=5), tick=False):
        assert settlement.settle_due() == 20
    # The 4th cycle of the first resource tips the payer into arrears (1.00 − 4 × 0.28 < 0);
    # both resources ran all ten hours, so all twenty cycles are charged in full.
    assert _quantities(first) == _quantities(second) == [D("1.0000")] * 10
    lines = BillLine.objects.filter(transaction_type="settlement", payer=admin.account)
    assert lines.aggregate(s=Sum("cash_amount"))["s"] == D("5.60")
    assert Wallet.objects.get(account=admin.account).cash == D("-4.60")
    for res in (first, second):  # B9: suspended from the moment settlement found the arrears
        res.refresh_from_db()
        assert (res.status, res.suspended_reason) == (
            ResourceStatus.SUSPENDED,
            SuspendReason.ARREARS,
        )
        assert ResourceStatusChange.objects.get(resource=res).at == T0 + timedelta(
            hours=10, minutes=5
        )
    call_command("check_books")


def test_b8_settle_until_over_history_charges_a_suspended_resource_for_the_time_it_ran(
    catalog, org, admin
):
    with time_machine.travel(T0, tick=False):
        fund(admin, "5.00", admin)
        cvm = _activate(admin)
    with time_machine.travel(T0 + timedelta(hours=5, minutes=30), tick=False):
        services.wallet_set_credit_limit(account=admin.account, limit=D("1000"), acting_user=admin)
        buy(admin, "S5.2XLARGE16", idempotency_key="deep")  # 600.00, 595.00 on credit
        services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=admin)
        assert Resource.objects.get(pk=cvm.pk).status == ResourceStatus.SUSPENDED
    with time_machine.travel(T0 + timedelta(hours=8), tick=False):
        fund(admin, "1000", admin)  # out of arrears: it recovers at 18:00
        assert Resource.objects.get(pk=cvm.pk).status == ResourceStatus.ACTIVE
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        services.wallet_set_credit_limit(account=admin.account, limit=D("5000"), acting_user=admin)
        buy(admin, "HA-8C16G", months=3, idempotency_key="deeper")
        services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=admin)
        assert Resource.objects.get(pk=cvm.pk).status == ResourceStatus.SUSPENDED  # now
        before = Wallet.objects.get(account=admin.account).cash
        until = (T0 + timedelta(hours=10)).isoformat()
        call_command("settle", "--until", until)
    # 10:00–15:00 ran; 15:00–16:00 ran half an hour; suspended 15:30–18:00; ran 18:00–20:00.
    assert _quantities(cvm) == [D("1.0000")] * 5 + [D("0.5000"), D(0), D(0), D(1), D(1)]
    charged = UsageSettlement.objects.filter(resource=cvm).aggregate(s=Sum("cash_amount"))["s"]
    assert charged == D("1.40") + D("0.14") + D("0.56")
    assert Wallet.objects.get(account=admin.account).cash == before - D("2.10")
    call_command("check_books")


def test_b8_terminated_resource_history_still_meters_up_to_its_end(catalog, member):
    with time_machine.travel(T0, tick=False):
        fund(member, "10", member)
        cvm = _activate(member)
    with time_machine.travel(T0 + timedelta(hours=2, minutes=15), tick=False):
        payg.resource_terminate(resource=cvm, acting_user=member)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        settlement.settle_due()
    assert _quantities(cvm) == [D("1.0000"), D("1.0000"), D("0.2500")]
    assert ResourceStatusChange.objects.get(resource=cvm).status == ResourceStatus.TERMINATED


# ------------------------------------------------------------------ reproducibility


def _world(seeds):
    """A payer with 6.00 CNY paying for a member's hourly CVM and daily COS and its own CVM."""
    org, admin = make_org()
    member = UserFactory(account__entity=org.admin_account.entity)
    join(org, admin, user=member, name="m", payer=org.admin_account)
    fund(admin, "6.00", admin)
    resources = [
        _activate(member),
        _activate(member, "COS-STANDARD"),
        _activate(admin),
    ]
    for res, seed in zip(resources, seeds, strict=True):
        Resource.objects.filter(pk=res.pk).update(meter_seed=seed)
    return admin, [Resource.objects.get(pk=r.pk) for r in resources]


def _lines(payer, resources):
    """What a user sees of a world's settlement: per resource (by role) and cycle, who paid
    what for how much usage."""
    role = {r.pk: i for i, r in enumerate(resources)}
    return sorted(
        (
            role[s.resource_id],
            s.cycle_start,
            s.quantity,
            s.list_cost,
            s.cash_amount,
            s.payer_id == payer.pk,
        )
        for s in UsageSettlement.objects.filter(resource__in=resources)
    )


@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seeds=st.lists(st.integers(0, 2**31 - 1), min_size=3, max_size=3),
    splits=st.lists(st.integers(1, 13), max_size=3),
    orders=st.lists(st.permutations([0, 1, 2]), min_size=4, max_size=4),
)
def test_b8_settling_in_one_run_or_several_in_any_order_gives_the_same_lines(
    catalog, seeds, splits, orders
):
    end = T0 + timedelta(hours=14)  # midnight: 14 hourly cycles and the first daily one
    with time_machine.travel(T0, tick=False):
        piecewise_payer, piecewise = _world(seeds)
        one_run_payer, one_run = _world(seeds)
    with time_machine.travel(end + timedelta(minutes=1), tick=False):
        runs = [T0 + timedelta(hours=h) for h in sorted(set(splits))] + [end]
        for until, order in zip(runs, orders, strict=False):
            for i in order:
                settlement.settle_resource(Resource.objects.get(pk=piecewise[i].pk), until=until)
        call_command("settle", "--until", end.isoformat())  # the other world, in one run
    assert _lines(piecewise_payer, piecewise) == _lines(one_run_payer, one_run)
    assert Wallet.objects.get(account=piecewise_payer.account).cash == (
        Wallet.objects.get(account=one_run_payer.account).cash
    )
    assert Wallet.objects.get(account=one_run_payer.account).in_arrears
    call_command("check_books")
