"""F7/F8 as a person clicks them: the admin builds a monthly budget of a department in the
budget form, a pay-on-behalf member of that department spends past 80 % (real purchases,
real "now"), the tick's evaluation runs (twice), and the admin sees the progress bar above
80 %, exactly one budget message, and the alert on the budget's page it links to."""

import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from billing.finance.budget_services import budgets_evaluate
from billing.models import Budget, BudgetAlert, Message
from billing.models.choices import MessageCategory
from organizations.services import department_create
from tests.billing.helpers import buy, fund
from tests.browser.conftest import login
from tests.browser.test_organization_flows import expect_toast, open_modal, root_of, submit_modal
from tests.factories import join

SHOTS = Path("/work/shots")


def test_f8_admin_builds_a_department_budget_watches_spend_cross_80_percent_and_sees_one_message(
    page, live_server, catalog, org, admin, password, shot
):
    ops = department_create(organization=org, parent=root_of(org), name="Ops", acting_user=admin)
    spender = join(org, admin, name="ops-pob", payer=org.admin_account, department=ops)
    join(org, admin, name="root-pob", payer=org.admin_account)  # outside the scope
    fund(admin, "2000.00", admin)

    # --- F7: the admin creates the budget in the form, clicking.
    login(page, live_server, admin.username, password)
    nav = page.get_by_role("navigation", name="Console navigation")
    nav.get_by_role("link", name="Budgets").click()
    expect(page.get_by_role("heading", name="Budgets", exact=True)).to_be_visible()
    modal = open_modal(page, page.get_by_test_id("create-budget"), "Create a budget")
    modal.get_by_label("Name").fill("Ops monthly")
    modal.get_by_label("Period", exact=True).select_option("month")
    modal.get_by_label("First period").fill(f"{timezone.localdate():%Y-%m}")
    modal.get_by_label("Fixed amount").check()
    modal.get_by_label("Amount per period (CNY)").fill("250")
    modal.get_by_label("Departments", exact=True).check()
    modal.locator("[data-field=departments]").get_by_label("Ops").check()
    row = modal.get_by_test_id("threshold-rows").locator("tbody tr").first
    row.get_by_label("Spend").select_option("actual")
    row.get_by_label("Type").select_option("percentage")
    row.get_by_label("Value").fill("80")
    submit_modal(page, modal, "Create", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Budget Ops monthly created.")
    budget = Budget.objects.get(name="Ops monthly")
    assert budget.scope == "departments"
    assert list(budget.departments.all()) == [ops]
    assert [(t.basis, t.kind, t.value) for t in budget.thresholds.all()] == [
        ("actual", "percentage", 80)
    ]
    rows = page.get_by_test_id("budgets-table").get_by_test_id("budget-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ops monthly")

    # --- F8: spend below the threshold raises nothing; crossing it raises one alert, once.
    buy(spender, "S5.SMALL2")  # 65 of 250: 26 %
    assert budgets_evaluate() == 0
    buy(spender, "S5.MEDIUM4")  # 215 of 250: 86 %
    assert budgets_evaluate() == 1
    assert budgets_evaluate() == 0  # the next tick: no second alert
    assert BudgetAlert.objects.filter(budget=budget).count() == 1

    page.reload()
    row = page.get_by_test_id("budgets-table").get_by_test_id("budget-row").first
    expect(row.get_by_test_id("budget-spent")).to_have_text("215.00 CNY")
    expect(row.get_by_test_id("budget-percent")).to_have_text("86.00 %")
    progress = row.locator("progress")
    expect(progress).to_be_visible()
    assert float(progress.get_attribute("value")) > 80
    shot(page, "budget-list")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "budget-list.png"), full_page=True)

    # --- the message center: exactly one budget message, linking to the budget's page.
    nav.get_by_role("link", name="Message center").click()
    expect(page.get_by_role("heading", name="Message center")).to_be_visible()
    messages = page.get_by_test_id("messages-table").locator("tbody tr")
    budget_rows = messages.filter(has_text="Budget Ops monthly")
    expect(budget_rows).to_have_count(1)
    (message,) = Message.objects.filter(account=org.admin_account, category=MessageCategory.BUDGET)
    modal = open_modal(page, budget_rows.get_by_test_id("open-message"), message.title)
    expect(modal.get_by_test_id("message-body")).to_contain_text("215.00 of 250.00 CNY spent")
    link = modal.get_by_test_id("message-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", f"/billing/budgets/{budget.pk}/")
    link.click()

    expect(page).to_have_url(re.compile(rf"/billing/budgets/{budget.pk}/$"))
    expect(page.get_by_test_id("budget-name")).to_have_text("Ops monthly")
    expect(page.get_by_test_id("budget-actual")).to_have_text("215.00 CNY")
    alerts = page.get_by_test_id("budget-alerts").locator("tbody tr")
    expect(alerts).to_have_count(1)
    expect(alerts.first).to_contain_text("reached the threshold")
    expect(alerts.first).to_contain_text("200.00 CNY")
    shot(page, "budget-page")
