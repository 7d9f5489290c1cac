"""F12 as a person clicks it: the admin transfers 500.00 to a self-pay member that grants 3,
takes back 200.00 it has not spent, and both sides see the movements in their transaction
details (labelled with the other party) and their message centers."""

from playwright.sync_api import expect

from billing.models import FundTransfer, Wallet
from tests.billing.helpers import D, fund
from tests.browser.conftest import login
from tests.browser.test_organization_flows import expect_toast, open_modal, submit_modal
from tests.factories import join


def test_f12_admin_transfers_500_takes_back_200_and_both_sides_see_it(
    page, live_server, catalog, org, admin, password, shot
):
    member = join(org, admin, name="selfpay-team", permissions=[1, 2, 3])
    fund(admin, "1000.00", admin)
    uin = member.account.uin

    login(page, live_server, admin.username, password)
    page.get_by_role("navigation", name="Console navigation").get_by_role(
        "link", name="Fund transfer"
    ).click()
    expect(page.get_by_test_id("transferable")).to_have_text("1,000.00 CNY")
    shot(page, "transfer-overview")
    page.get_by_test_id("transfer-members").get_by_role("link", name="selfpay-team").click()
    expect(page.get_by_role("heading", name="selfpay-team")).to_be_visible()

    modal = open_modal(page, page.get_by_test_id("transfer-in"), "Transfer funds to selfpay-team")
    modal.get_by_label("Amount (CNY)").fill("500.00")
    submit_modal(page, modal, "Transfer", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Transferred 500.00 CNY to selfpay-team.")
    expect(page.get_by_test_id("member-cash")).to_have_text("500.00 CNY")
    expect(page.get_by_test_id("member-transferred")).to_have_text("500.00 CNY")
    record = page.get_by_test_id("transfer-record").first
    expect(record.get_by_test_id("revocable")).to_have_text("500.00 CNY")

    title = "Take back funds from selfpay-team"
    modal = open_modal(page, record.get_by_test_id("take-back"), title)
    modal.get_by_label("Amount (CNY)").fill("200.00")
    submit_modal(page, modal, "Take back", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, "Took back 200.00 CNY from selfpay-team.")
    expect(page.get_by_test_id("member-cash")).to_have_text("300.00 CNY")
    expect(page.get_by_test_id("transfer-record").first.get_by_test_id("revocable")).to_have_text(
        "300.00 CNY"
    )
    expect(page.get_by_test_id("transferable")).to_have_text("700.00 CNY")
    shot(page, "admin-member-transfers")
    assert Wallet.objects.get(account=admin.account).cash == D("700.00")
    assert FundTransfer.objects.get().taken_back == D("200.00")

    page.goto(f"{live_server.url}/billing/?tab=transactions")
    memos = page.get_by_test_id("transfer-memo")
    expect(memos).to_have_count(2)
    expect(memos.first).to_contain_text(f"to {org.admin_account.name}")  # the take-back
    expect(memos.last).to_contain_text(f"to selfpay-team ({uin})")

    # --- the member's side
    page.context.clear_cookies()
    login(page, live_server, member.username, password)
    page.goto(f"{live_server.url}/billing/")
    expect(page.get_by_test_id("balance-cash")).to_have_text("300.00 CNY")
    expect(page.get_by_test_id("balance-transferred")).to_contain_text("300.00 CNY")
    page.goto(f"{live_server.url}/billing/?tab=transactions")
    expect(page.get_by_test_id("transfer-memo")).to_have_count(2)
    shot(page, "member-transactions")
    page.goto(f"{live_server.url}/messages/")
    expect(page.get_by_text("500.00 CNY transferred to you by")).to_be_visible()
    expect(page.get_by_text("took back 200.00 CNY it had transferred to you")).to_be_visible()
