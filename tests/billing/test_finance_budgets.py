"""F7 budgets: validation, who may be in scope, the spend a budget counts, planned amounts
and periods, and the budget pages (create, list, detail, edit, delete; who reads and writes).
The alerts, forecasts and order blocks (F8, F9, F10) are in test_finance_budget_alerts.py."""

import datetime as dt

import pytest
from django.urls import reverse

from billing.finance import budgets as sel
from billing.finance.budget_services import budget_delete, budgets_evaluate
from billing.models import Budget
from organizations.models import AuditRecord, Department
from tco_console.errors import DomainError
from tests.billing.budget_helpers import PCT, create, travel
from tests.billing.helpers import D, buy
from tests.factories import join, make_org, sub_user

pytestmark = pytest.mark.django_db


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
