"""Pay-as-you-go as a person clicks it (SPEC §5, B7–B9): a member in pay-on-behalf mode
activates a resource and its payer carries the freeze; settled usage shows in the payer's
transaction details, labelled with the member; the payer falls into arrears and the member's
resource is suspended, on the member's Products page and in the payer's Resources tab; a
top-up brings it back. The Message center and its badge follow along. Screenshots land in
/tmp/browser-shots/."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from billing import services
from billing.models import Message, Resource, UsageSettlement, Wallet
from billing.models.choices import BillingMode, ResourceStatus
from billing.services.settlement import settle_due
from tests.billing.helpers import spec
from tests.browser.conftest import login
from tests.browser.test_billing_flows import (
    close_toasts,
    expect_toast,
    open_modal,
    open_page,
    open_transactions,
    sidebar,
    submit_modal,
)


def settle_at(moment):
    """Settle what has ended by `moment`, with the clock moved there (cycles never settle early)."""
    import time_machine

    with time_machine.travel(moment, tick=False):
        return settle_due()


def open_resource_tab(page, label):
    page.get_by_test_id("resource-tabs").get_by_role("link", name=label).click()
    expect(page.get_by_test_id("resource-tabs").get_by_role("link", name=label)).to_have_class(
        re.compile(r"\bactive\b")
    )


def payg_row(page, res):
    return page.get_by_test_id("payg-table").locator(f"tr[data-instance='{res.instance_id}']")


def paid_row(page, res):
    return page.get_by_test_id("paid-resources-table").locator(
        f"tr[data-instance='{res.instance_id}']"
    )


def open_paid_resources(page):
    open_page(page, "Pay-on-behalf order management")
    page.get_by_test_id("resources-tab").click()
    expect(page).to_have_url(re.compile(r"[?&]tab=resources"))
    return page.get_by_test_id("paid-resources-table")


def unread(page):
    return page.get_by_test_id("message-badge")


def unread_count(user) -> str:
    return str(Message.objects.filter(account=user.account, read_at__isnull=True).count())


def test_b7_b9_pay_as_you_go_freeze_settle_arrears_and_recover(
    page, new_page, live_server, catalog, org, admin, pob_member, password, shot
):
    payer = org.admin_account
    payer_text = f"Pay on behalf by {payer.name} ({payer.uin})"
    # The payer has no cash, only credit an operator granted (A3).
    services.wallet_set_credit_limit(account=payer, limit=Decimal("100.00"), acting_user=None)

    # --- 1. The member activates a pay-as-you-go CVM; the freeze lands on its payer.
    login(page, live_server, pob_member.username, password)
    open_page(page, "Products")
    row = page.get_by_test_id("catalog").locator("tr[data-spec='S5.MEDIUM4']")
    modal = open_modal(
        page, row.get_by_test_id("activate-spec"), "Activate a pay-as-you-go resource"
    )
    expect(modal.locator("select[name=spec]")).to_have_value(str(spec("S5.MEDIUM4").pk))
    expect(modal.get_by_test_id("freeze-amount")).to_have_text("0.28 CNY")
    expect(modal.get_by_test_id("payment-method")).to_have_text(payer_text)
    # Another spec: the freeze is asked again and swapped in place.
    modal.locator("select[name=spec]").select_option(str(spec("S5.LARGE8").pk))
    expect(modal.get_by_test_id("freeze-amount")).to_have_text("0.55 CNY")
    modal.locator("select[name=spec]").select_option(str(spec("S5.MEDIUM4").pk))
    expect(modal.get_by_test_id("freeze-amount")).to_have_text("0.28 CNY")
    shot(page, "01-member-activate-modal")
    submit_modal(page, modal, "Activate", status=204)
    res = Resource.objects.get(billing_mode=BillingMode.PAYG)
    expect_toast(page, f"{res.instance_id} is running")
    assert res.frozen_by == payer and Wallet.objects.get(account=payer).frozen == Decimal("0.28")

    open_resource_tab(page, "Pay-as-you-go")
    line = payg_row(page, res)
    expect(line.get_by_test_id("status")).to_have_text("Running")
    expect(line.get_by_test_id("frozen")).to_have_text("0.28 CNY")
    expect(line.get_by_test_id("frozen-on")).to_have_text(f"on {payer.name} ({payer.uin})")
    shot(page, "02-member-payg-running")

    # --- 2. Usage is settled (the settlement task); the payer pays it, labelled with the member.
    assert settle_at(timezone.now() + timedelta(hours=2)) >= 2
    settled = UsageSettlement.objects.filter(resource=res, payer=payer)
    assert settled.count() >= 2 and Wallet.objects.get(account=payer).cash < 0

    admin_page = new_page()
    login(admin_page, live_server, admin.username, password)
    table = open_transactions(admin_page)
    settlement = table.locator("tr", has_text="Usage settlement").first
    expect(settlement).to_contain_text(res.instance_id)
    expect(settlement.get_by_test_id("for-member")).to_have_text("for member member-pob")
    freeze = table.locator("tr", has_text="Freeze").first
    expect(freeze.get_by_test_id("frozen-after")).to_have_text("frozen after")
    expect(freeze.get_by_test_id("amount")).to_have_text("+0.28 CNY")
    shot(admin_page, "03-payer-transactions-settlement")

    page.reload()
    res.refresh_from_db()
    settled_until = timezone.localtime(res.settled_until).strftime("%Y-%m-%d %H:%M")
    expect(payg_row(page, res)).to_contain_text(settled_until)
    open_page(page, "Message center")
    messages = page.get_by_test_id("messages-table")
    expect(messages).to_contain_text("invites you to its organization")
    shot(page, "04-member-message-center")

    # --- 3. An operator lowers the payer's credit limit: it is in arrears; everything it pays
    # for is suspended, the member's resource included (B9).
    services.wallet_set_credit_limit(account=payer, limit=Decimal("0.00"), acting_user=None)
    res.refresh_from_db()
    assert res.status == ResourceStatus.SUSPENDED
    notice = Message.objects.get(account=pob_member.account, resource=res)

    open_page(page, "Products")
    open_resource_tab(page, "Pay-as-you-go")
    line = payg_row(page, res)
    expect(line.get_by_test_id("status")).to_have_text("Suspended")
    expect(line.get_by_test_id("status-reason")).to_have_text("Paying account in arrears")
    expect(unread(page).get_by_test_id("unread-count")).to_have_text(unread_count(pob_member))
    shot(page, "05-member-payg-suspended")

    open_paid_resources(admin_page)
    line = paid_row(admin_page, res)
    expect(line).to_contain_text("member-pob")
    expect(line).to_contain_text(pob_member.account.uin)
    expect(line.get_by_test_id("status")).to_have_text("Suspended")
    expect(line.get_by_test_id("status-reason")).to_have_text("Paying account in arrears")
    admin_page.get_by_label("Status").select_option("suspended")
    expect(admin_page).to_have_url(re.compile(r"status=suspended"))
    expect(paid_row(admin_page, res)).to_be_visible()
    shot(admin_page, "06-payer-resources-suspended")

    # The member reads the notice: its body, a link to the resource, and Mark read.
    open_page(page, "Message center")
    message_row = page.get_by_test_id("messages-table").locator(f"tr[data-message='{notice.pk}']")
    expect(message_row.get_by_test_id("read-state")).to_have_text("Unread")
    modal = open_modal(page, message_row.get_by_test_id("open-message"), notice.title)
    expect(modal.get_by_test_id("message-body")).to_have_text(notice.body)
    expect(modal.get_by_test_id("message-link")).to_have_text(f"Resource {res.instance_id}")
    shot(page, "07-member-message-open")
    before = unread_count(pob_member)
    submit_modal(page, modal, "Mark read", status=204)
    expect(message_row.get_by_test_id("read-state")).to_have_text("Read")  # the row, in place
    after = unread_count(pob_member)
    assert int(after) == int(before) - 1
    expect(unread(page).get_by_test_id("unread-count")).to_have_text(after)  # the badge, too
    shot(page, "08-member-message-read")

    # --- 4. The payer tops up in Billing Center: out of arrears, the resource recovers.
    open_page(admin_page, "Billing Center")
    expect(admin_page.get_by_test_id("arrears")).to_be_visible()
    modal = open_modal(admin_page, admin_page.get_by_test_id("top-up"), "Top up")
    modal.locator("input[name=amount]").fill("50")
    submit_modal(admin_page, modal, "Pay and top up", status=204)
    expect_toast(admin_page, "Topped up 50.00 CNY.")
    expect(admin_page.get_by_test_id("arrears")).to_have_count(0)
    shot(admin_page, "09-payer-topped-up")
    res.refresh_from_db()
    assert res.status == ResourceStatus.ACTIVE and res.suspended_reason == ""

    open_paid_resources(admin_page)
    expect(paid_row(admin_page, res).get_by_test_id("status")).to_have_text("Running")
    shot(admin_page, "10-payer-resources-running")

    open_page(page, "Products")
    open_resource_tab(page, "Pay-as-you-go")
    expect(payg_row(page, res).get_by_test_id("status")).to_have_text("Running")
    assert Message.objects.filter(account=pob_member.account, title__endswith="recovered").exists()
    expect(unread(page).get_by_test_id("unread-count")).to_have_text(unread_count(pob_member))
    shot(page, "11-member-payg-recovered")

    # The member marks everything read, then terminates the resource: the freeze is released.
    open_page(page, "Message center")
    expect(page.get_by_test_id("messages-table")).to_contain_text(f"{res.instance_id} recovered")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_test_id("mark-all-read").click()
    assert response.value.status == 204
    expect(unread(page).get_by_test_id("unread-count")).to_have_count(0)
    expect(page.get_by_test_id("messages-table").get_by_text("Unread", exact=True)).to_have_count(0)
    close_toasts(page)

    open_page(page, "Products")
    open_resource_tab(page, "Pay-as-you-go")
    modal = open_modal(
        page, payg_row(page, res).get_by_test_id("terminate"), f"Terminate {res.instance_id}"
    )
    expect(modal.get_by_test_id("resource-frozen")).to_contain_text("0.28 CNY")
    shot(page, "12-member-terminate-confirm")
    submit_modal(page, modal, "Terminate", status=204)
    expect_toast(page, f"{res.instance_id} is terminated")
    expect(payg_row(page, res).get_by_test_id("status")).to_have_text("Terminated")
    expect(payg_row(page, res).get_by_test_id("frozen")).to_have_text("Released")
    shot(page, "13-member-terminated")
    assert Wallet.objects.get(account=payer).frozen == Decimal("0.00")
    expect(sidebar(page).get_by_role("link", name="Message center")).to_be_visible()


def test_b8_a_resource_pack_is_bought_and_listed(
    page, live_server, catalog, member, password, shot
):
    services.wallet_top_up(account=member.account, amount=Decimal("500"), acting_user=None)
    login(page, live_server, member.username, password)
    open_page(page, "Products")
    row = page.get_by_test_id("catalog").locator("tr[data-spec='CDN-PACK-1TB']")
    expect(row.get_by_test_id("pack-label")).to_have_text("Resource pack")
    modal = open_modal(page, row.get_by_test_id("buy-spec"), "Buy a resource pack")
    modal.locator("input[name=months]").fill("3")
    shot(page, "01-buy-pack-modal")
    submit_modal(page, modal, "Place order", status=204)
    expect_toast(page, "is to be paid: 540.00 CNY")  # 3 × 180.00: more than its balance
    close_toasts(page)
    modal = open_modal(page, row.get_by_test_id("buy-spec"), "Buy a resource pack")
    modal.locator("input[name=months]").fill("2")
    submit_modal(page, modal, "Place order", status=204)
    expect_toast(page, "is paid: 360.00 CNY")
    open_resource_tab(page, "Resource packs")
    packs = page.get_by_test_id("packs-table")
    expect(packs).to_contain_text("Traffic pack · 1 TB a month")
    expect(packs.get_by_test_id("pack-remaining")).to_have_text("2")
    expect(packs).to_contain_text("Usable")
    shot(page, "02-packs-table")
