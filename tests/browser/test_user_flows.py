"""Users & permissions as people use them (A1): the owner edits a sub-user's groups and
products, the sub-user reads them on its own page, the owner deactivates it (it can no
longer sign in) and reactivates it."""

import re

from playwright.sync_api import expect

from organizations.services import sub_users as user_services
from tests.billing.helpers import product
from tests.browser.conftest import login
from tests.browser.test_billing_flows import open_modal, open_page, submit_modal

DEV_PASSWORD = "Dev-pass-2026"


def sign_in_fails(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_be_visible()


def test_a1_owner_edits_deactivates_and_reactivates_a_sub_user(
    page, live_server, catalog, member, password, shot
):
    dev = user_services.sub_user_create(
        account=member.account,
        acting_user=member,
        username="dev",
        password=DEV_PASSWORD,
        groups=["Read-only"],
        products=[product("p_cvm")],
    )
    login(page, live_server, member.username, password)
    open_page(page, "Users & permissions")
    row = page.get_by_test_id("users-table").locator("tr", has_text="dev")
    modal = open_modal(page, row.get_by_test_id("user-edit"), "Edit sub-user dev")
    expect(modal.locator("input[name=username]")).to_have_count(0)  # fixed once created
    modal.locator("input[name=display_name]").fill("Dev team")
    modal.get_by_label("Resource manager: buy, activate and manage its products").check()
    modal.get_by_label("Cloud Block Storage").check()
    shot(page, "edit")
    submit_modal(page, modal, "Save", status=204)
    expect(row).to_contain_text("Dev team")
    expect(row).to_contain_text("Resource manager")
    expect(row).to_contain_text("Cloud Block Storage")

    page.context.clear_cookies()
    login(page, live_server, "dev", DEV_PASSWORD)
    open_page(page, "Users & permissions")
    mine = page.get_by_test_id("my-permissions")
    expect(mine).to_contain_text("Resource manager")
    expect(page.get_by_test_id("my-products")).to_contain_text("Cloud Block Storage")
    expect(page.get_by_test_id("user-create")).to_have_count(0)
    shot(page, "own-permissions")

    page.context.clear_cookies()
    login(page, live_server, member.username, password)
    open_page(page, "Users & permissions")
    row = page.get_by_test_id("users-table").locator("tr", has_text="dev")
    modal = open_modal(page, row.get_by_test_id("user-deactivate"), "Deactivate dev")
    submit_modal(page, modal, "Deactivate", status=204)
    expect(row).to_contain_text("Deactivated")
    shot(page, "deactivated")
    sign_in_fails(page, live_server, "dev", DEV_PASSWORD)

    login(page, live_server, member.username, password)
    open_page(page, "Users & permissions")
    row = page.get_by_test_id("users-table").locator("tr", has_text="dev")
    modal = open_modal(page, row.get_by_test_id("user-reactivate"), "Reactivate dev")
    submit_modal(page, modal, "Reactivate", status=204)
    expect(row).to_contain_text("Active")
    page.context.clear_cookies()
    login(page, live_server, "dev", DEV_PASSWORD)
    dev.refresh_from_db()
    assert dev.is_active and dev.first_name == "Dev team"
