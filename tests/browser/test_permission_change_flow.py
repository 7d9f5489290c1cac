"""F17 as people click it: the admin grants itself cost analysis (8) on an invited member's
edit form; the change awaits the member's consent (members page: Unconfirmed, the old
permissions in force); the member signs in, sees the change on its Overview and accepts it;
the admin's members page then shows Confirmed and the member's page the new permission."""

from playwright.sync_api import expect

from organizations.models import Membership, PermissionChange
from tests.browser.conftest import login
from tests.browser.test_organization_flows import expect_toast, open_modal, submit_modal
from tests.factories import join


def member_row(page, name):
    return page.get_by_test_id("members-table").locator("tbody tr").filter(has_text=name)


def test_f17_admin_changes_an_invited_members_permissions_and_the_member_accepts(
    page, new_page, live_server, org, admin, password, shot
):
    member = join(org, admin, name="consenting", allow_quit=True)

    # --- the admin asks for permission 8 on the member's edit form
    login(page, live_server, admin.username, password)
    page.goto(f"{live_server.url}/members/{member.account.uin}/")
    modal = open_modal(
        page, page.get_by_role("link", name="Edit", exact=True), "Edit member consenting"
    )
    modal.get_by_label("8 · Cost analysis").check()
    submit_modal(page, modal, "Save", status=204)
    expect_toast(page, "awaits the member's consent", close=True)
    pending = page.get_by_test_id("pending-change")
    expect(pending).to_be_visible()
    expect(pending.get_by_test_id("change-permissions")).to_contain_text("8 · Cost analysis")
    expect(page.get_by_test_id("permission-status")).to_have_text("Unconfirmed")
    shot(page, "01-admin-sees-pending")
    assert Membership.objects.get(account=member.account).permissions == [1, 2]  # old in force

    page.goto(f"{live_server.url}/members/")
    expect(member_row(page, "consenting").get_by_test_id("permission-status")).to_have_text(
        "Unconfirmed"
    )
    shot(page, "01b-members-unconfirmed")

    # --- the member signs in and accepts on its Overview
    other = new_page()
    login(other, live_server, member.username, password)
    card = other.get_by_test_id("member-pending-change")
    expect(card).to_be_visible()
    expect(card).to_contain_text("8 · Cost analysis")
    shot(other, "02-member-overview")
    card.get_by_test_id("accept-permission-change").click()
    expect(other.get_by_test_id("member-pending-change")).to_have_count(0)
    expect(other.get_by_text("You accepted the permission change")).to_be_visible()
    expect(other.get_by_test_id("change-status").first).to_have_text("Accepted")
    shot(other, "03-member-accepted")

    # --- the change applies: Confirmed, and permission 8 is in force
    page.reload()
    expect(member_row(page, "consenting").get_by_test_id("permission-status")).to_have_text(
        "Confirmed"
    )
    page.goto(f"{live_server.url}/members/{member.account.uin}/")
    expect(page.locator(".perm-badges")).to_contain_text("8 · Cost analysis")
    expect(page.get_by_test_id("permission-status")).to_have_text("Confirmed")
    shot(page, "04-admin-sees-confirmed")
    assert Membership.objects.get(account=member.account).permissions == [1, 2, 8]
    assert PermissionChange.objects.get(account=member.account).status == "accepted"
