"""The organization flows as a person clicks them: departments (O3), invitations (O5), moving
members (O8), and who may open the admin pages (A1). Every step asserts what the user sees."""

import re

import pytest
from playwright.sync_api import expect

from organizations import services
from organizations.models import Department, Invitation, Membership
from tests.browser.conftest import login
from tests.factories import join

MEMBER_NAME = "Olivia-Ops"
DEPARTMENT = "Finance"


# ---------------------------------------------------------------- helpers (what a person does)


def open_members(page):
    page.locator("nav.sidebar").get_by_role("link", name="Member account management").click()
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.get_by_role("heading", name="Member account management")).to_be_visible()


def open_modal(page, opener):
    """Click something that loads a form into the shared modal; return the modal once shown."""
    opener.click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_test_id("modal-form")).to_be_visible()
    return modal


def choose(select, name):
    """Pick an option by the department name it shows (labels are indented by depth)."""
    option = select.locator("option").filter(has_text=re.compile(rf"^\W*{re.escape(name)}$"))
    expect(option).to_have_count(1)
    select.select_option(value=option.get_attribute("value"))


def submit_modal(page, modal, button, *, status):
    """Submit the modal form and check the status the server answered with."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.resource_type in ("xhr", "fetch")
    ) as response:
        modal.get_by_role("button", name=button, exact=True).click()
    assert response.value.status == status, response.value.status
    return response.value


def member_rows(page):
    return page.get_by_test_id("members-table").locator("tbody tr")


def search_members(page, text):
    """Type into the filter bar's search box; htmx swaps the list after ~300 ms."""
    with page.expect_response(lambda r: "/members/" in r.url and "q=" in r.url) as response:
        page.locator("#filter-form input[name=q]").fill(text)
    assert response.value.status == 200


def row_of(page, name):
    return member_rows(page).filter(has=page.get_by_role("link", name=name, exact=True))


def expect_toast(page, text):
    expect(page.locator("#toasts .toast").filter(has_text=text)).to_be_visible()


# ---------------------------------------------------------------- the flow


def test_o3_o5_o8_admin_adds_department_invites_member_and_moves_it(
    page, new_page, live_server, org, admin, outsider, password, shot
):
    # --- O3: the admin adds a department through the Departments card.
    login(page, live_server, admin.username, password)
    open_members(page)
    tree = page.get_by_test_id("dept-tree")
    expect(tree.locator("[data-dept=Root]")).to_be_visible()
    expect(tree.locator(f"[data-dept={DEPARTMENT}]")).to_have_count(0)

    modal = open_modal(page, page.get_by_test_id("add-department"))
    expect(modal.get_by_role("heading", name="Add department")).to_be_visible()
    modal.locator("input[name=name]").fill(DEPARTMENT)
    choose(modal.locator("select[name=parent]"), "Root")
    shot(page, "01-add-department-form")
    submit_modal(page, modal, "Add", status=204)

    expect(modal).to_be_hidden()
    expect(tree.locator(f"[data-dept={DEPARTMENT}]")).to_be_visible()
    expect_toast(page, f"Department {DEPARTMENT} added.")
    shot(page, "02-department-in-tree")

    # --- O5: the admin invites the outsider's account by its UIN.
    modal = open_modal(page, page.get_by_test_id("invite-member"))
    expect(modal.get_by_role("heading", name="Invite member")).to_be_visible()
    modal.locator("input[name=uin]").fill(outsider.account.uin)
    modal.locator("input[name=name]").fill(MEMBER_NAME)
    choose(modal.locator("select[name=department]"), DEPARTMENT)
    expect(modal.get_by_label("Self-pay")).to_be_checked()
    shot(page, "03-invite-form")
    submit_modal(page, modal, "Send invitation", status=204)

    expect(modal).to_be_hidden()
    expect_toast(page, f"Invitation sent to {outsider.account.uin}")
    shot(page, "04-invitation-sent-toast")

    # --- O5: the outsider, at another computer, accepts it.
    guest = new_page()
    login(guest, live_server, outsider.username, password)
    guest.locator("nav.sidebar").get_by_role("link", name="Invitations").click()
    expect(guest).to_have_url(re.compile(r"/invitations/"))
    received = guest.get_by_test_id("invitations-table")
    invitation_row = received.locator("tbody tr").filter(has_text=MEMBER_NAME)
    expect(invitation_row.get_by_test_id("invitation-status")).to_have_text("Pending")
    shot(guest, "05-outsider-received-invitation")

    modal = open_modal(guest, invitation_row.get_by_test_id("accept-invitation"))
    expect(modal.get_by_role("heading", name="Accept invitation")).to_be_visible()
    expect(modal).to_contain_text("Self-pay: your account keeps paying for itself.")
    shot(guest, "06-accept-confirmation")
    submit_modal(guest, modal, "Accept and join", status=204)

    expect(modal).to_be_hidden()
    expect_toast(guest, "You joined the organization")
    expect(invitation_row.get_by_test_id("invitation-status")).to_have_text("Accepted")
    expect(invitation_row.get_by_test_id("accept-invitation")).to_have_count(0)

    guest.locator("nav.sidebar").get_by_role("link", name="Overview").click()
    expect(guest.get_by_test_id("member-org")).to_contain_text(org.display_name)
    expect(guest.get_by_test_id("member-org")).to_contain_text(admin.account.uin)
    shot(guest, "07-member-overview")

    # --- O8: the admin finds the new member by name and moves it to the new department.
    page.reload()
    expect(member_rows(page)).to_have_count(2)  # the admin account and the new member
    list_url = page.url
    search_members(page, MEMBER_NAME)
    expect(page).to_have_url(re.compile(rf"[?&]q={MEMBER_NAME}(&|$)"))
    expect(member_rows(page)).to_have_count(1)
    row = row_of(page, MEMBER_NAME)
    expect(row).to_contain_text(outsider.account.uin)
    shot(page, "08-search-result")

    bulk_move = page.get_by_test_id("bulk-move")
    expect(bulk_move).to_be_disabled()
    row.locator("input[name=uins]").check()
    expect(bulk_move).to_be_enabled()
    modal = open_modal(page, bulk_move)
    expect(modal.get_by_role("heading", name="Move 1 selected members")).to_be_visible()
    expect(modal).to_contain_text(outsider.account.uin)
    choose(modal.locator("select[name=department]"), DEPARTMENT)
    shot(page, "09-move-form")
    submit_modal(page, modal, "Move", status=204)

    expect(modal).to_be_hidden()
    expect_toast(page, f"Moved 1 member(s) to {DEPARTMENT}.")
    row = row_of(page, MEMBER_NAME)
    expect(row.locator("td").nth(4)).to_have_text(DEPARTMENT)
    expect(page).to_have_url(re.compile(rf"q={MEMBER_NAME}"))  # the search is kept
    expect(member_rows(page)).to_have_count(1)
    shot(page, "10-member-moved")
    assert Membership.objects.get(account=outsider.account).department.name == DEPARTMENT

    # --- The back button restores the list from before the search.
    page.go_back()
    expect(page).to_have_url(list_url)
    expect(page.get_by_role("heading", name="Member account management")).to_be_visible()
    expect(page.locator("#filter-form input[name=q]")).to_have_value("")
    expect(member_rows(page)).to_have_count(2)
    shot(page, "11-back-to-full-list")
