"""F8 alerts fire once (per threshold and period, across workers), F9 forecast, F10 order
blocks. Spend is made by the real services (buy, settle) under a moved clock (console time,
UTC+8). The budgets themselves and their pages (F7) are in test_finance_budgets.py."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from billing.finance import budgets as sel
from billing.finance.budget_services import budget_delete, budget_update, budgets_evaluate
from billing.models import BudgetAlert, BudgetBlock, DailyCost, Order
from billing.services import order_renew, payg, settlement
from organizations.models import AuditRecord, User
from tco_console.errors import DomainError
from tests.billing.budget_helpers import PCT, at, budget_messages, create, fields, travel
from tests.billing.helpers import D, buy, region, spec

pytestmark = pytest.mark.django_db


# --- F8 ------------------------------------------------------------------------------------


def test_f8_alert_once_per_threshold_per_period_across_a_month(world):
    admin, pob = world["admin"], world["pob"]
    with travel(2026, 3, 1, 8, 0):
        budget = create(world)  # 1000 CNY a month; 50/80/100 % of actual spend
    steps = [  # (day, spec bought, alerts so far)
        (2, "S5.LARGE8", 0),  # 300: 30 %
        (5, "S5.LARGE8", 1),  # 600: 60 % → 50 %
        (10, "S5.MEDIUM4", 1),  # 750
        (15, "S5.MEDIUM4", 2),  # 900: 90 % → 80 %
        (20, "S5.MEDIUM4", 3),  # 1050: 105 % → 100 %
        (25, "S5.SMALL2", 3),  # 1115
    ]
    for day, code, expected in steps:
        with travel(2026, 3, day, 10, 0):
            buy(pob, code)
            budgets_evaluate()
            budgets_evaluate()  # a second tick raises nothing again
        assert BudgetAlert.objects.filter(budget=budget).count() == expected, day
        assert budget_messages(admin.account).count() == expected
    with travel(2026, 3, 31, 23, 59):
        assert budgets_evaluate() == 0
    fired = BudgetAlert.objects.filter(period_start=dt.date(2026, 3, 1))
    assert sorted(a.threshold.value for a in fired) == [D("50"), D("80"), D("100")]
    # a new period re-arms every threshold
    with travel(2026, 4, 1, 9, 0):
        assert budgets_evaluate() == 0  # nothing spent in April yet
        buy(pob, "S5.LARGE8")
        buy(pob, "S5.LARGE8")
        assert budgets_evaluate() == 1
    april = BudgetAlert.objects.get(period_start=dt.date(2026, 4, 1))
    assert april.threshold.value == D("50") and april.spend == D("600.00")


def test_f8_spend_in_the_last_minute_of_a_period_still_alerts_that_period(world):
    with travel(2026, 3, 1, 8, 0):
        budget = create(world, amount=D("100"))
    with travel(2026, 3, 31, 23, 59, 30):
        buy(world["pob"], "S5.MEDIUM4")  # 150 %, a tick too late for March's last minute
    with travel(2026, 4, 1, 0, 0, 20):
        assert budgets_evaluate() == 3
        assert budgets_evaluate() == 0
    assert set(
        BudgetAlert.objects.filter(budget=budget).values_list("period_start", flat=True)
    ) == {dt.date(2026, 3, 1)}


def test_f8_thresholds_crossed_together_one_message(world):
    granting = world["granting"]
    with travel(2026, 3, 1, 8, 0):
        budget = create(
            world,
            amount=D("100"),
            scope="members",
            members=[granting.account],
            notify_member_owners=True,
        )
    with travel(2026, 3, 3, 10, 0):
        buy(granting, "S5.MEDIUM4")  # 150: 150 %
        assert budgets_evaluate() == 3
    for account in (world["admin"].account, granting.account):
        (message,) = budget_messages(account)
        assert "3 threshold(s)" in message.title
        assert message.link == f"/billing/budgets/{budget.pk}/"
        assert message.link == reverse("billing:budget_detail", args=[budget.pk])
    assert not budget_messages(world["pob"].account).exists()


def test_f8_the_message_links_to_the_budget_page(world, client):
    with travel(2026, 3, 1, 8, 0):
        budget = create(world, amount=D("100"))
    with travel(2026, 3, 3, 10, 0):
        buy(world["pob"], "S5.MEDIUM4")
        budgets_evaluate()
    message = budget_messages(world["admin"].account).get()
    client.force_login(world["admin"])
    page = client.get(reverse("billing:message", args=[message.pk]))
    assert f'href="/billing/budgets/{budget.pk}/"' in page.content.decode()


def test_f8_editing_a_threshold_rearms_it(world):
    admin = world["admin"]
    with travel(2026, 3, 1, 8, 0):
        budget = create(world)
    with travel(2026, 3, 5, 10, 0):
        buy(world["pob"], "S5.LARGE8")
        buy(world["pob"], "S5.LARGE8")  # 600: 60 %
        assert budgets_evaluate() == 1
        # re-saving the same values re-arms nothing
        budget_update(budget=budget, acting_user=admin, **fields())
        assert budgets_evaluate() == 0
        edited = [dict(PCT[0], value=D("40")), PCT[1], PCT[2]]
        budget_update(budget=budget, acting_user=admin, **fields(thresholds=edited))
        assert budget.thresholds.get(position=1).version == 2
        assert budgets_evaluate() == 1
        assert budgets_evaluate() == 0
    assert budget_messages(admin.account).count() == 2
    record = AuditRecord.objects.filter(action="budget.update").latest("pk")
    assert record.changes["thresholds"][1].startswith("1: actual percentage 40")


def test_f8_a_forecast_threshold_fires_on_the_run_rate(world):
    with travel(2026, 4, 1, 8, 0):
        create(
            world,
            start=dt.date(2026, 4, 1),
            amount=D("3000"),
            thresholds=[{"basis": "forecast", "kind": "absolute", "value": D("5000")}],
        )
    for day in (1, 2, 3):
        with travel(2026, 4, day, 10, 0):
            buy(world["pob"], "S5.MEDIUM4" if day != 2 else "S5.LARGE8")
            assert budgets_evaluate() == 0  # fewer than 3 whole days: no forecast
    with travel(2026, 4, 4, 0, 30):
        assert budgets_evaluate() == 1  # 600 / 3 × 30 = 6000 ≥ 5000


def test_f8_alerts_once_each_across_a_month_of_pay_as_you_go_settlement(world):
    """A month of hourly usage settled day by day, evaluated every "tick" in between: 50, 80
    and 100 % each fire exactly once, on the day the settled spend crosses them; April
    re-arms them."""
    pob = world["pob"]
    with travel(2026, 3, 1, 0, 0):
        payg.resource_activate(
            owner=pob.account, acting_user=pob, spec=spec("S5.MEDIUM4"), region=region()
        )
    with travel(2026, 3, 2, 0, 30):
        settlement.settle_due(until=at(2026, 3, 2))
    per_day = DailyCost.objects.get().cash_amount  # one day of usage, settled on March 2
    with travel(2026, 3, 2, 0, 31):
        budget = create(world, amount=per_day * 20)  # 50 % after 10 days, 100 % after 20
    fired_on = {}
    for day in range(3, 32):
        with travel(2026, 3, day, 0, 30):
            settlement.settle_due(until=at(2026, 3, day))
            budgets_evaluate()
            budgets_evaluate()  # the next tick: nothing again
        for alert in BudgetAlert.objects.filter(budget=budget):
            fired_on.setdefault(alert.threshold.value, day)
    assert fired_on == {D("50"): 11, D("80"): 17, D("100"): 21}  # days of usage settled + 1
    assert BudgetAlert.objects.filter(budget=budget).count() == 3
    assert budget_messages(world["admin"].account).count() == 3  # crossed one at a time
    with travel(2026, 4, 11, 0, 30):
        settlement.settle_due(until=at(2026, 4, 11))  # March 31 and ten April days
        budgets_evaluate()
    april = BudgetAlert.objects.filter(budget=budget, period_start=dt.date(2026, 4, 1))
    assert [a.threshold.value for a in april] == [D("50")]


def test_f8_an_alert_reads_in_the_readers_language(world, client):
    """Issue 17: the alert is written by the worker (in English) and kept as msgid and
    parameters; the admin, who reads Chinese, gets the notice and the budget page in Chinese,
    its threshold's basis included."""
    admin = world["admin"]
    User.objects.filter(pk=admin.pk).update(language="zh-hans")
    with travel(2026, 3, 1, 8, 0):
        budget = create(world, amount=D("100"))
    with travel(2026, 3, 3, 10, 0):
        buy(world["pob"], "S5.MEDIUM4")
        with translation.override("en"):
            budgets_evaluate()
    alert = BudgetAlert.objects.filter(budget=budget).order_by("threshold__value").first()
    assert alert.message.startswith("Actual spend 150.00 CNY reached the threshold Actual spend")
    chinese = "实际费用 150.00 元，已达到阈值“实际费用 ≥ 50%”（50.00 元）"
    notice = budget_messages(admin.account).get()
    assert notice.body.startswith(alert.message)  # kept in English, read in the reader's
    client.force_login(admin)
    with translation.override("en"):  # the page activates Chinese; the next test starts in English
        page = client.get(reverse("billing:budget_detail", args=[budget.pk])).content.decode()
        opened = client.get(reverse("billing:message", args=[notice.pk])).content.decode()
    assert chinese in page and "reached the threshold" not in page
    assert chinese in opened and "reached the threshold" not in opened
    assert "2026-03-01" in opened and "Period from" not in opened  # every line in Chinese


# --- F8 under real concurrency (PostgreSQL) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_f8_two_workers_raise_each_alert_once(world):
    from tests.concurrency import run_concurrently

    with travel(2026, 3, 1, 8, 0):
        budgets = [create(world, name=f"B{i}", amount=D("100")) for i in range(5)]
    with travel(2026, 3, 3, 10, 0):
        buy(world["pob"], "S5.MEDIUM4")  # 150: every threshold of every budget
        results = run_concurrently(*[budgets_evaluate for _ in range(4)])
        assert all(e is None for _r, e in results), results
        assert sum(r for r, _e in results) == 15
        assert budgets_evaluate() == 0
    assert BudgetAlert.objects.count() == 15
    for budget in budgets:  # one message per budget, never two
        assert (
            budget_messages(world["admin"].account).filter(title__contains=budget.name).count() == 1
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_f8_the_unique_constraint_is_the_last_word(world):
    from django.db import IntegrityError, transaction

    with travel(2026, 3, 1, 8, 0):
        budget = create(world, amount=D("100"))
    with travel(2026, 3, 3, 10, 0):
        buy(world["pob"], "S5.MEDIUM4")
        budgets_evaluate()
    alert = BudgetAlert.objects.filter(budget=budget).first()
    alert.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        alert.save(force_insert=True)


# --- F9 ------------------------------------------------------------------------------------


def test_f9_forecast_worked_example(world):
    """April has 30 days. 150 on the 1st, 300 on the 2nd, 150 on the 3rd, 65 on the 4th.
    On the 3rd only 2 whole days have elapsed: not enough data. On the 4th at 10:00, 3 whole
    days: (150 + 300 + 150) ÷ 3 × 30 = 6000.00; today's 65 counts in the actual (665.00)
    but in neither term of the forecast."""
    with travel(2026, 4, 1, 8, 0):
        budget = create(world, start=dt.date(2026, 4, 1), amount=D("3000"), thresholds=[])
    for day, code in ((1, "S5.MEDIUM4"), (2, "S5.LARGE8"), (3, "S5.MEDIUM4")):
        with travel(2026, 4, day, 10, 0):
            buy(world["pob"], code)
    with travel(2026, 4, 3, 10, 0):
        f = sel.figures(budget)
        assert (f.days_elapsed, f.forecast, f.actual) == (2, None, D("600.00"))
    with travel(2026, 4, 4, 10, 0):
        buy(world["pob"], "S5.SMALL2")
        f = sel.figures(budget)
    assert f.period.days == 30 and f.days_elapsed == 3
    assert f.actual == D("665.00")
    assert f.forecast == D("6000.00")
    assert f.forecast_percent == D("200.00") and f.percent == D("22.17")
    assert sel.forecast(D("100"), 7, 31) == D("442.86")


def test_f9_forecast_is_never_below_the_spend_so_far(world):
    """Nothing spent on April 1–3, then 815 on the 4th: the run-rate of the whole days is 0,
    the forecast is the 815 already spent."""
    with travel(2026, 4, 1, 8, 0):
        budget = create(world, start=dt.date(2026, 4, 1), amount=D("3000"), thresholds=[])
    with travel(2026, 4, 4, 10, 0):
        buy(world["pob"], "S5.LARGE8")
        buy(world["pob"], "S5.LARGE8")
        buy(world["pob"], "S5.MEDIUM4")
        buy(world["pob"], "S5.SMALL2")
        f = sel.figures(budget)
    assert f.actual == D("815.00") and f.forecast == D("815.00")


# --- F10 -----------------------------------------------------------------------------------


def test_f10_block_refuses_subscription_orders_and_lifts(world):
    admin, granting, pob = world["admin"], world["granting"], world["pob"]
    with travel(2026, 3, 1, 8, 0):
        budget = create(
            world,
            name="Cap",
            amount=D("100"),
            scope="members",
            members=[granting.account, pob.account, world["org"].admin_account],
            block_orders=True,
        )
    members = [granting.account, pob.account]

    def edit(*, block_orders):  # the admin account out of the scope, the action on or off
        budget_update(
            budget=budget,
            acting_user=admin,
            **fields(
                name="Cap",
                amount=D("100"),
                scope="members",
                members=members,
                block_orders=block_orders,
            ),
        )

    with travel(2026, 3, 3, 10, 0):
        resource = buy(granting, "S5.MEDIUM4").resource  # 150 > 100
        budgets_evaluate()
        assert set(BudgetBlock.objects.values_list("account_id", flat=True)) == {
            granting.account.pk,
            pob.account.pk,
        }
        orders = Order.objects.count()
        with pytest.raises(DomainError, match="Cap") as e:
            buy(granting, "S5.SMALL2")
        assert "refuses new subscription orders" in e.value.message
        with pytest.raises(DomainError, match="Cap"):
            order_renew(resource=resource, acting_user=granting, months=1)
        assert Order.objects.count() == orders  # nothing half-saved
        notice = budget_messages(granting.account).latest("pk")
        assert "Cap" in notice.title and "until 2026-04-01" in notice.body
        assert (
            AuditRecord.objects.filter(
                action="order.refused_by_budget", target_account=granting.account
            ).count()
            == 2
        )
        buy(admin, "S5.SMALL2")  # the admin account is never blocked
        # the action removed: the block lifts at once (audited)
        edit(block_orders=False)
        assert not BudgetBlock.objects.exists()
        assert AuditRecord.objects.filter(action="budget.block_orders").exists()
        buy(granting, "S5.SMALL2")
        edit(block_orders=True)  # over already: the edit puts the blocks back
        assert BudgetBlock.objects.count() == 2
    # the period ends: the block lapses by itself
    with travel(2026, 4, 1, 0, 0, 1):
        buy(granting, "S5.SMALL2")
        budgets_evaluate()  # 65 in April: under 100
        assert not BudgetBlock.objects.exists()
    with travel(2026, 4, 2, 10, 0):
        buy(pob, "S5.MEDIUM4")
        budgets_evaluate()
        assert BudgetBlock.objects.filter(period_start=dt.date(2026, 4, 1)).count() == 2
        budget_delete(budget=budget, acting_user=admin)  # deleting lifts it
        assert not BudgetBlock.objects.exists()
        buy(pob, "S5.SMALL2")


def test_f10_the_buy_form_shows_the_refusal_and_the_sidebar_offers_budgets(world, client):
    from tests.billing.page_helpers import post_buy, sidebar

    granting = world["granting"]
    with travel(2026, 3, 1, 8, 0):
        create(
            world,
            name="Cap",
            amount=D("100"),
            scope="members",
            members=[granting.account],
            block_orders=True,
        )
    with travel(2026, 3, 3, 10, 0):
        buy(granting, "S5.MEDIUM4")
        budgets_evaluate()
        client.force_login(granting)
        orders = Order.objects.count()
        response = post_buy(client, "S5.SMALL2")
        assert response.status_code == 422
        assert "Cap" in response.content.decode()
        assert Order.objects.count() == orders
        assert "Budgets" not in sidebar(client.get("/").content.decode())
        client.force_login(world["admin"])
        assert "Budgets" in sidebar(client.get("/").content.decode())
