"""F14, F15 as people click them: a self-pay member that grants 10 ran on a temporary credit
from its admin; the credit lapsed (the periodic task), so the member is in arrears and its CVM
is suspended (B9). The admin opens its members' credit limits from Billing Center, raises the
member's permanent credit in the form (the bounds shown), and the member's CVM recovers at
once; the member sees its credit limit and where it comes from."""

import re
from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from billing import services
from billing.finance import credit
from billing.models import CreditAllocation, Resource, Wallet
from billing.models.choices import ResourceStatus
from billing.tasks import lapse_temporary_credit
from tests.billing.helpers import buy
from tests.browser.conftest import login
from tests.browser.test_billing_flows import open_page
from tests.browser.test_organization_flows import expect_toast, open_modal, submit_modal
from tests.factories import join


def resource_status(page, res):
    row = page.get_by_test_id("resources-table").locator(f"tr[data-instance='{res.instance_id}']")
    return row.locator("td").nth(4)


def test_f14_admin_raises_a_members_credit_and_its_suspended_resource_recovers(
    page, new_page, live_server, catalog, org, admin, password, shot
):
    services.wallet_set_credit_limit(
        account=org.admin_account, limit=Decimal("1000.00"), acting_user=None
    )
    member = join(org, admin, name="credit-member", permissions=[1, 2, 10])
    # Three hours ago the member bought a CVM on a temporary credit of 200 from its admin,
    # which ended an hour later; the periodic task lapsed it.
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False):
        credit.credit_allocate(
            admin_account=org.admin_account,
            member_account=member.account,
            amount="0",
            temporary_amount="200",
            temporary_until=start + timedelta(hours=1),
            acting_user=admin,
        )
        res = Resource.objects.get(pk=buy(member, "S5.MEDIUM4").resource_id)  # 150 on credit
    with time_machine.travel(start + timedelta(hours=1, minutes=1), tick=False):
        assert lapse_temporary_credit.call() == 1
    assert Wallet.objects.get(account=member.account).in_arrears
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.SUSPENDED

    # --- the member sees its CVM suspended
    login(page, live_server, member.username, password)
    open_page(page, "Products")
    expect(resource_status(page, res)).to_contain_text("Suspended")
    shot(page, "01-member-suspended")

    # --- the admin finds its members' credit from Billing Center and raises it
    admin_page = new_page()
    login(admin_page, live_server, admin.username, password)
    open_page(admin_page, "Billing Center")
    admin_page.get_by_test_id("credit-link").click()
    expect(admin_page.get_by_role("heading", name="Credit limits", exact=True)).to_be_visible()
    expect(admin_page.get_by_test_id("credit-unallocated")).to_have_text("1,000.00 CNY")
    row = admin_page.locator(f"[data-testid=credit-row][data-uin='{member.account.uin}']")
    expect(row.get_by_test_id("credit-arrears")).to_be_visible()
    expect(row.get_by_test_id("credit-available")).to_contain_text("−150.00 CNY")
    history = admin_page.get_by_test_id("credit-history")
    expect(history.get_by_test_id("credit-change").first).to_contain_text("Temporary credit lapsed")
    shot(admin_page, "02-admin-credit-page")

    modal = open_modal(
        admin_page, row.get_by_test_id("set-credit"), "Set the credit of credit-member"
    )
    expect(modal.get_by_test_id("credit-min")).to_have_text("0.00 CNY")
    expect(modal.get_by_test_id("credit-max")).to_have_text("1,000.00 CNY")
    modal.get_by_label("Permanent credit").fill("2000")  # more than its unallocated credit
    submit_modal(admin_page, modal, "Save", status=422)
    expect(modal.get_by_test_id("field-error-amount")).to_contain_text("unallocated credit")
    modal.get_by_label("Permanent credit").fill("200")
    shot(admin_page, "03-admin-credit-form")
    submit_modal(admin_page, modal, "Save", status=204)
    expect(modal).to_be_hidden()
    expect_toast(admin_page, "Credit of credit-member saved.")
    row = admin_page.locator(f"[data-testid=credit-row][data-uin='{member.account.uin}']")
    expect(row.get_by_test_id("credit-limit")).to_have_text("200.00 CNY")
    expect(row.get_by_test_id("credit-available")).to_have_text("50.00 CNY")
    expect(row.get_by_test_id("credit-arrears")).to_have_count(0)
    expect(admin_page.get_by_test_id("credit-unallocated")).to_have_text("800.00 CNY")
    expect(history.get_by_test_id("credit-change").first).to_contain_text("Allocated by the admin")
    shot(admin_page, "04-admin-credit-raised")
    assert CreditAllocation.objects.get(member=member.account).amount == Decimal("200.00")

    # --- B9 at once: the member's CVM is running again, and it sees where its credit is from
    page.reload()
    expect(resource_status(page, res)).to_contain_text("Running")
    open_page(page, "Billing Center")
    expect(page.get_by_test_id("balance-credit")).to_have_text("200.00 CNY")
    expect(page.get_by_test_id("credit-source")).to_contain_text(
        "Of which 200.00 CNY allocated by the organization's admin account"
    )
    expect(page.get_by_test_id("arrears")).to_have_count(0)
    shot(page, "05-member-billing-center")
    open_page(page, "Message center")
    messages = page.get_by_test_id("open-message")
    expect(messages.filter(has_text=f"{res.instance_id} recovered")).to_have_count(1)
    expect(
        messages.filter(has_text=re.compile(r"credit limit is now 200\.00 CNY")).first
    ).to_be_visible()
    shot(page, "06-member-messages")
