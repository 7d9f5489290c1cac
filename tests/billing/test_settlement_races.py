"""B8 idempotency under real concurrency (PostgreSQL) and failure: a cycle is charged once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import services
from billing.models import Journal, Resource, UsageSettlement, Wallet
from billing.services import payg, settlement
from tests.billing.helpers import D, buy, fund, region, spec
from tests.concurrency import run_concurrently
from tests.factories import join, make_org


def _hourly_resource(owner_user, payer_user, hours_back=6):
    fund(payer_user, "500", payer_user)
    res = payg.resource_activate(
        owner=owner_user.account, acting_user=owner_user, spec=spec("S5.MEDIUM4"), region=region()
    )
    start = payg.cycle_bounds("hourly", timezone.now() - timedelta(hours=hours_back))[0]
    Resource.objects.filter(pk=res.pk).update(period_start=start, settled_until=start)
    return Resource.objects.get(pk=res.pk), start


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_b8_two_threads_settling_the_same_cycle_charge_once(catalog):
    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    res, start = _hourly_resource(member, admin)
    end = start + timedelta(hours=1)
    results = run_concurrently(
        *[
            lambda: settlement.settle_cycle(resource_id=res.pk, cycle_start=start, cycle_end=end)
            for _ in range(6)
        ]
    )
    assert all(e is None for _r, e in results), results
    assert sum(1 for r, _e in results if r is not None) == 1
    assert UsageSettlement.objects.filter(resource=res).count() == 1
    assert Journal.objects.filter(kind="settlement").count() == 1
    call_command("check_books")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_b8_two_workers_settling_everything_charge_each_cycle_once(catalog):
    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    res, _start = _hourly_resource(member, admin, hours_back=30)
    now = timezone.now()
    results = run_concurrently(
        lambda: settlement.settle_due(until=now), lambda: settlement.settle_due(until=now)
    )
    assert all(e is None for _r, e in results), results
    settled = UsageSettlement.objects.filter(resource=res)
    assert settled.count() == len({s.cycle_start for s in settled}) >= 29
    assert sum(r for r, _e in results) == settled.count()
    call_command("check_books")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_b8_settlement_concurrent_with_top_up_and_purchase_keeps_the_books(catalog):
    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    _res, _start = _hourly_resource(member, admin, hours_back=20)
    now = timezone.now()
    run = run_concurrently(
        lambda: settlement.settle_due(until=now),
        lambda: services.wallet_top_up(account=admin.account, amount=D("100"), acting_user=admin),
        lambda: buy(member, "S5.SMALL2"),
        lambda: services.wallet_top_up(account=admin.account, amount=D("0.01"), acting_user=admin),
        lambda: buy(member, "S5.SMALL2", idempotency_key="second"),
    )
    assert all(e is None for _r, e in run), run
    call_command("check_books")


@pytest.mark.django_db
def test_b8_a_settlement_failing_halfway_leaves_nothing_and_a_rerun_completes_once(
    catalog, org, admin, pob_member, monkeypatch
):
    res, start = _hourly_resource(pob_member, admin)
    end = start + timedelta(hours=1)
    before = {w.account_id: w.cash for w in Wallet.objects.all()}

    def fail(*args, **kwargs):
        raise RuntimeError("injected: the bill store fell over after the journal was posted")

    monkeypatch.setattr(settlement, "record_bill_lines", fail)
    with pytest.raises(RuntimeError, match="injected"):
        settlement.settle_cycle(resource_id=res.pk, cycle_start=start, cycle_end=end)
    assert not UsageSettlement.objects.filter(resource=res).exists()
    assert not Journal.objects.filter(kind="settlement").exists()
    assert {w.account_id: w.cash for w in Wallet.objects.all()} == before
    assert Resource.objects.get(pk=res.pk).settled_until == start
    monkeypatch.undo()
    assert settlement.settle_cycle(resource_id=res.pk, cycle_start=start, cycle_end=end) is not None
    assert settlement.settle_cycle(resource_id=res.pk, cycle_start=start, cycle_end=end) is None
    assert Journal.objects.filter(kind="settlement").count() == 1
    done = UsageSettlement.objects.get(resource=res)  # charged to whoever paid at the cycle's end
    assert Wallet.objects.get(account=done.payer).cash == before[done.payer_id] - done.cash_amount
    call_command("check_books")


@pytest.mark.django_db(transaction=True)
def test_b8_the_settlement_task_runs_on_a_db_worker(catalog):
    from billing.tasks import settle_usage

    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    res, _start = _hourly_resource(member, admin, hours_back=3)
    settle_usage.enqueue()
    settle_usage.enqueue()  # enqueued twice: still once per cycle
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    cycles = UsageSettlement.objects.filter(resource=res)
    assert cycles.count() == len({c.cycle_start for c in cycles}) >= 2
    call_command("check_books")
