"""F7 budgets (validation, who may be in scope), F8 alerts fire once, F9 forecast, F10 order
blocks, and the budget pages. Spend is made by the real services (buy, settle) under a moved
clock (console time, UTC+8)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from billing.finance import budgets as sel
from billing.finance.budget_services import (
    budget_create,
    budget_delete,
    budget_update,
    budgets_evaluate,
)
from billing.models import Budget, BudgetAlert, BudgetBlock, DailyCost, Message, Order
from billing.models.choices import MessageCategory
from billing.services import order_renew, payg, settlement
from organizations.models import AuditRecord, Department, User
from tco_console.errors import DomainError
from tests.billing.helpers import buy, fund, region, spec
from tests.factories import join, make_org, sub_user

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
D = Decimal


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


def travel(*args):
    return time_machine.travel(at(*args), tick=False)


PCT = [
    {"basis": "actual", "kind": "percentage", "value": D("50")},
    {"basis": "actual", "kind": "percentage", "value": D("80")},
    {"basis": "actual", "kind": "percentage", "value": D("100")},
]


def fields(**kw):
    base = {
        "name": "Cloud spend",
        "period": "month",
        "start": dt.date(2026, 3, 1),
        "end": None,
        "plan_type": "fixed",
        "amount": D("1000"),
        "planned_amounts": [],
        "scope": "organization",
        "departments": [],
        "members": [],
        "products": [],
        "thresholds": PCT,
        "notify_member_owners": False,
        "block_orders": False,
    }
    base.update(kw)
    return base


@pytest.fixture
def world(catalog):
    """An organization made on 2026-02-15: a pay-on-behalf member, a self-pay member that
    grants 9 and one that does not; everyone funded."""
    with travel(2026, 2, 15, 9, 0):
        org, admin = make_org()
        pob = join(org, admin, name="pob", payer=org.admin_account)
        granting = join(org, admin, name="granting", permissions=[1, 2, 9])
        plain = join(org, admin, name="plain", permissions=[1, 2])
        fund(admin, "100000", admin)
        for user in (granting, plain):
            fund(user, "100000", user)
    return {"org": org, "admin": admin, "pob": pob, "granting": granting, "plain": plain}


def create(world, **kw):
    return budget_create(organization=world["org"], acting_user=world["admin"], **fields(**kw))


def budget_messages(account):
    return Message.objects.filter(account=account, category=MessageCategory.BUDGET)


# --- F7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"amount": D("0")}, "amount", "more than 0"),
        ({"amount": D("-5")}, "amount", "more than 0"),
        ({"amount": D("1000000000000.01")}, "amount", "at most"),
        ({"amount": D("1.001")}, "amount", "fractions of a cent"),
        ({"amount": None}, "amount", "Enter the amount"),
        ({"name": "x" * 61}, "name", "1 to 60"),
        ({"name": "  "}, "name", "1 to 60"),
        ({"start": dt.date(2026, 3, 1), "period": "quarter"}, "start", "January, April"),
        ({"end": dt.date(2026, 2, 1)}, "end", "before the first"),
        ({"plan_type": "planned", "planned_amounts": ["10"]}, "end", "open-ended"),
        (
            {"plan_type": "planned", "end": dt.date(2027, 12, 1), "planned_amounts": ["5"] * 13},
            "planned_amounts",
            "At most 12",
        ),
        (
            {"plan_type": "planned", "end": dt.date(2026, 4, 1), "planned_amounts": ["5"] * 3},
            "planned_amounts",
            "more amounts than periods",
        ),
        (
            {"plan_type": "planned", "end": dt.date(2026, 4, 1), "planned_amounts": ["5", "0"]},
            "planned_amounts",
            "more than 0",
        ),
        ({"thresholds": [*PCT, PCT[0]]}, "thresholds", "at most 3"),
        (
            {"thresholds": [{"basis": "actual", "kind": "percentage", "value": D("1001")}]},
            "thresholds",
            "1000",
        ),
        (
            {"thresholds": [{"basis": "actual", "kind": "absolute", "value": D("-1")}]},
            "thresholds",
            "more than 0",
        ),
        ({"scope": "departments"}, "departments", "at least one"),
        ({"scope": "members"}, "members", "at least one"),
    ],
)
def test_f7_validation(world, bad, field, words):
    with pytest.raises(DomainError) as e:
        create(world, **bad)
    assert e.value.field == field
    assert words in e.value.message
    assert not Budget.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="budget.").exists()


def test_f7_names_are_unique_among_live_budgets_and_other_orgs_departments_refused(world):
    budget = create(world)
    with pytest.raises(DomainError, match="already has this name"):
        create(world)
    budget_delete(budget=budget, acting_user=world["admin"])
    create(world)  # the name is free again
    org2, _admin2 = make_org()
    foreign = Department.objects.get(organization=org2, parent=None)
    with pytest.raises(DomainError, match="of your organization") as e:
        create(world, name="Depts", scope="departments", departments=[foreign])
    assert e.value.field == "departments"


def test_f7_members_in_scope_need_9(world, other_org):
    admin, org = world["admin"], world["org"]
    for user in (world["plain"], other_org[2]):
        with pytest.raises(DomainError, match="grant budget management") as e:
            create(world, scope="members", members=[user.account])
        assert e.value.field == "members"
    budget = create(
        world,
        scope="members",
        members=[org.admin_account, world["pob"].account, world["granting"].account],
    )
    assert {a.pk for a in sel.members_in_scope(budget)} == {
        world["pob"].account.pk,
        world["granting"].account.pk,
    }  # the admin account receives alerts as the admin, and is never blocked (F10)
    choices = {m.account_id for m in sel.member_choices(org)}
    assert world["plain"].account.pk not in choices and admin.account.pk in choices


def test_f7_spend_is_the_reach_for_9_narrowed_to_the_scope(world):
    """F1/F2: the admin's own and pay-on-behalf rows, and self-pay members granting 9 now;
    a self-pay member without 9 is never counted."""
    budget = create(world, thresholds=[])
    with travel(2026, 3, 2, 10, 0):
        buy(world["pob"], "S5.LARGE8")  # 300, paid by the admin
        buy(world["granting"], "S5.MEDIUM4")  # 150, self-paid, grants 9
        buy(world["plain"], "S5.SMALL2")  # 65, self-paid, does not grant 9
        assert sel.figures(budget).actual == D("450.00")
        only = create(
            world, name="Only granting", scope="members", members=[world["granting"].account]
        )
        assert sel.figures(only).actual == D("150.00")


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


def test_f7_planned_amounts_and_periods(world):
    budget = Budget(
        start=dt.date(2026, 1, 1),
        end=dt.date(2027, 10, 1),
        period="quarter",
        plan_type="planned",
        planned_amounts=["10", "20"],
    )
    assert sel.period_count(budget) == 8
    q3 = sel.period_at(budget, dt.date(2026, 8, 15))
    assert (q3.index, q3.start, q3.days) == (2, dt.date(2026, 7, 1), 92)
    assert q3.end == dt.date(2026, 10, 1)
    assert sel.period_amount(budget, 0) == D("10")
    assert sel.period_amount(budget, 5) == D("20")  # fewer amounts than periods: the last
    budget.planned_amounts = [str(n) for n in range(1, 13)]
    budget.end = None
    assert sel.period_amount(budget, 40) == D("12")  # n > 12 uses the 12th
    assert sel.period_at(budget, dt.date(2025, 12, 31)) is None


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
        budget_update(
            budget=budget,
            acting_user=admin,
            **fields(
                name="Cap",
                amount=D("100"),
                scope="members",
                members=[granting.account, pob.account],
                block_orders=False,
            ),
        )
        assert not BudgetBlock.objects.exists()
        assert AuditRecord.objects.filter(action="budget.block_orders").exists()
        buy(granting, "S5.SMALL2")
        budget_update(
            budget=budget,
            acting_user=admin,
            **fields(
                name="Cap",
                amount=D("100"),
                scope="members",
                members=[granting.account, pob.account],
                block_orders=True,
            ),
        )  # over already: the edit puts the blocks back
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


# --- pages ---------------------------------------------------------------------------------


def _post_data(**kw):
    data = {
        "name": "Web budget",
        "period": "month",
        "start": "2026-03",
        "end": "",
        "plan_type": "fixed",
        "amount": "500",
        "planned_amounts": "",
        "scope": "organization",
        "t-TOTAL_FORMS": "3",
        "t-INITIAL_FORMS": "0",
        "t-0-basis": "actual",
        "t-0-kind": "percentage",
        "t-0-value": "80",
        "t-1-basis": "forecast",
        "t-1-kind": "absolute",
        "t-1-value": "900",
        "t-2-basis": "actual",
        "t-2-kind": "percentage",
        "t-2-value": "",
    }
    data.update(kw)
    return data


def test_f7_pages_create_list_detail_edit_delete(world, client, django_assert_max_num_queries):
    admin = world["admin"]
    client.force_login(admin)
    with travel(2026, 3, 10, 10, 0):
        assert client.get(reverse("billing:budget_create")).status_code == 200
        bad = client.post(reverse("billing:budget_create"), _post_data(amount="-1"))
        assert bad.status_code == 422 and "more than 0" in bad.content.decode()
        assert not Budget.objects.exists()
        ok = client.post(reverse("billing:budget_create"), _post_data())
        assert ok.status_code == 302
        budget = Budget.objects.get()
        assert [(t.basis, t.kind, t.value) for t in budget.thresholds.all()] == [
            ("actual", "percentage", D("80")),
            ("forecast", "absolute", D("900")),
        ]
        buy(world["pob"], "S5.LARGE8")
        budgets_evaluate()
        for i in range(5):
            create(world, name=f"More {i}")
        budgets_evaluate()
        with django_assert_max_num_queries(7):
            page = client.get(reverse("billing:budgets"))
        body = page.content.decode()
        assert page.status_code == 200 and body.count('data-testid="budget-row"') == 6
        assert "300.00" in body and "60.00 %" in body
        detail = client.get(reverse("billing:budget_detail", args=[budget.pk]))
        assert detail.status_code == 200 and "Not enough data" not in detail.content.decode()
        edit = reverse("billing:budget_edit", args=[budget.pk])
        form = client.get(edit).content.decode()
        assert 'value="80.00"' in form and 'value="2026-03"' in form
        data = _post_data(name="Renamed", **{"t-INITIAL_FORMS": "3"})
        assert client.post(edit, data).status_code == 302
        budget.refresh_from_db()
        assert budget.name == "Renamed"
        assert client.post(reverse("billing:budget_delete", args=[budget.pk])).status_code == 302
        assert not Budget.objects.live().filter(pk=budget.pk).exists()
    deleted = AuditRecord.objects.get(action="budget.delete")
    assert deleted.changes["name"] == ["Renamed", ""]
    assert AuditRecord.objects.get(action="budget.update").changes["name"] == [
        "Web budget",
        "Renamed",
    ]


def test_f7_list_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    client.force_login(world["admin"])
    with travel(2026, 3, 10, 10, 0):
        for i in range(30):
            create(world, name=f"B{i}")
        budgets_evaluate()
        with django_assert_max_num_queries(7):  # session, user, membership, 2 perms, budgets, badge
            assert client.get(reverse("billing:budgets")).status_code == 200
        for i in range(12):  # the detail page: constant too, whatever the alerts and members
            join(world["org"], world["admin"], name=f"late-{i}", permissions=[1, 2, 9])
        budget = Budget.objects.get(name="B0")
        with django_assert_max_num_queries(15):  # issue 16: ≤ 15 on every page
            assert client.get(reverse("billing:budget_detail", args=[budget.pk])).status_code == 200


def test_f7_who_reads_and_writes(world, client, other_org):
    budget = create(world)
    readonly = sub_user(world["admin"].account, "Read-only")
    client.force_login(readonly)
    assert client.get(reverse("billing:budgets")).status_code == 200
    assert client.get(reverse("billing:budget_detail", args=[budget.pk])).status_code == 200
    assert client.get(reverse("billing:budget_create")).status_code == 403
    assert client.post(reverse("billing:budget_delete", args=[budget.pk])).status_code == 403
    client.force_login(world["granting"])
    assert client.get(reverse("billing:budgets")).status_code == 403
    assert client.get(reverse("billing:budget_detail", args=[budget.pk])).status_code == 404
    client.force_login(other_org[1])
    assert client.get(reverse("billing:budget_detail", args=[budget.pk])).status_code == 404
    assert client.post(reverse("billing:budget_delete", args=[budget.pk])).status_code == 404
    assert Budget.objects.live().filter(pk=budget.pk).exists()


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
