"""The organization flows as a person clicks them: departments (O3), invitations (O5), moving
members (O8), who may open the admin pages (A1), and lists that keep real links. Every step
asserts what the user sees; screenshots land in /tmp/browser-shots/."""

import re

from playwright.sync_api import expect

from organizations import services
from organizations.choices import InvitationStatus
from organizations.models import Department, Invitation, Membership
from tests.browser.conftest import login
from tests.factories import join

MEMBER_NAME = "Olivia-Ops"
DEPARTMENT = "Finance"

# ---------------------------------------------------------------- what a person does


def sidebar(page):
    return page.get_by_role("navigation", name="Console navigation")


def open_members(page):
    sidebar(page).get_by_role("link", name="Member account management").click()
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.get_by_role("heading", name="Member account management")).to_be_visible()


def open_invitations(page, tab):
    sidebar(page).get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    page.locator(".nav-tabs").get_by_role("link", name=tab).click()
    expect(page).to_have_url(re.compile(rf"[?&]tab={tab.lower()}"))
    return page.get_by_test_id("invitations-table")


def open_modal(page, opener, title):
    """Click something that loads a form into the shared modal; return the shown modal."""
    opener.click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(modal.get_by_test_id("modal-form")).to_be_visible()
    # The form must land *inside* the dialog box (hx-swap="innerHTML" on every opener): had it
    # replaced #modal-content, the dialog would be transparent and take no clicks.
    expect(page.locator("#modal-content [data-testid=modal-form]")).to_have_count(1)
    expect(modal.get_by_role("heading", name=title)).to_be_visible()
    return modal


def choose(select, name):
    """Pick an option by the name it shows (department labels are indented by depth)."""
    option = select.locator("option").filter(has_text=re.compile(rf"^\W*{re.escape(name)}$"))
    expect(option).to_have_count(1)
    select.select_option(value=option.get_attribute("value"))


def submit_modal(page, modal, button, *, status):
    """Click the modal's submit button; check the status of the htmx POST it makes."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.resource_type in ("xhr", "fetch")
    ) as response:
        modal.get_by_role("button", name=button, exact=True).click()
    assert response.value.status == status, f"{response.value.url}: {response.value.status}"


def member_rows(page):
    return page.get_by_test_id("members-table").locator("tbody tr")


def member_row(page, name):
    return member_rows(page).filter(has=page.get_by_role("link", name=name, exact=True))


def department_cell(row):
    return row.locator("td").nth(4)  # select, name, UIN, type, department, ...


def search_members(page, text):
    """Type into the filter bar's search box; htmx swaps the list in about 300 ms."""
    with page.expect_response(lambda r: "/members/?" in r.url and "q=" in r.url) as response:
        page.locator("#filter-form input[name=q]").fill(text)
    assert response.value.status == 200
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(text)}(&|$)"))


def expect_toast(page, text, *, close=False):
    """The confirmation toast shows `text`; `close` clicks its ×, as a person does when the
    toast covers the buttons at the top right ("Invite member", "Create member")."""
    toast = page.locator("#toasts .toast").filter(has_text=text)
    expect(toast).to_be_visible()
    if close:
        toast.get_by_role("button", name="Close").click()
        expect(toast).to_have_count(0)


def root_of(org):
    return Department.objects.get(organization=org, parent__isnull=True)


# ---------------------------------------------------------------- the flow


def test_o3_o5_o8_admin_adds_department_invites_member_and_moves_it(
    page, new_page, live_server, org, admin, outsider, password, shot
):
    # --- O3: the admin adds a department from the Departments card.
    login(page, live_server, admin.username, password)
    open_members(page)
    tree = page.get_by_test_id("dept-tree")
    expect(tree.locator("[data-dept=Root]")).to_be_visible()
    expect(tree.locator(f"[data-dept={DEPARTMENT}]")).to_have_count(0)
    shot(page, "01-members-page")

    modal = open_modal(page, page.get_by_test_id("add-department"), "Add department")
    modal.locator("input[name=name]").fill(DEPARTMENT)
    choose(modal.locator("select[name=parent]"), "Root")
    shot(page, "02-add-department-form")
    submit_modal(page, modal, "Add", status=204)

    expect(modal).to_be_hidden()
    expect(tree.locator(f"[data-dept={DEPARTMENT}]")).to_be_visible()
    expect_toast(page, f"Department {DEPARTMENT} added.", close=True)
    shot(page, "03-department-in-tree")

    # --- O5: the admin invites the outsider's account by its UIN (self-pay, into Root).
    modal = open_modal(page, page.get_by_test_id("invite-member"), "Invite member")
    modal.locator("input[name=uin]").fill(outsider.account.uin)
    modal.locator("input[name=name]").fill(MEMBER_NAME)
    choose(modal.locator("select[name=department]"), "Root")
    expect(modal.get_by_label("Self-pay")).to_be_checked()
    shot(page, "04-invite-form")
    submit_modal(page, modal, "Send invitation", status=204)

    expect(modal).to_be_hidden()
    expect_toast(page, f"Invitation sent to {outsider.account.uin}")
    shot(page, "05-invitation-sent")

    # --- O5: the outsider, in another browser, accepts it.
    guest = new_page()
    login(guest, live_server, outsider.username, password)
    received = open_invitations(guest, "Received")
    invitation = received.locator("tbody tr").filter(has_text=MEMBER_NAME)
    expect(invitation.get_by_test_id("invitation-status")).to_have_text("Pending")
    shot(guest, "06-outsider-invitations")

    modal = open_modal(guest, invitation.get_by_test_id("accept-invitation"), "Accept invitation")
    expect(modal).to_contain_text("Self-pay: your account keeps paying for itself.")
    shot(guest, "07-accept-confirmation")
    submit_modal(guest, modal, "Accept and join", status=204)

    # Joining changes who the user is: the console takes it to the Overview of its new org.
    expect(guest).to_have_url(re.compile(r"/$"))
    expect_toast(guest, "You joined the organization")
    expect(guest.get_by_test_id("account-chip")).to_be_visible()
    expect(guest.locator(".topbar")).to_contain_text("Member")
    expect(guest.get_by_test_id("member-org")).to_contain_text(org.display_name)
    expect(guest.get_by_test_id("member-org")).to_contain_text(admin.account.uin)
    shot(guest, "08-member-overview")
    invitation = (
        open_invitations(guest, "Received").locator("tbody tr").filter(has_text=MEMBER_NAME)
    )
    expect(invitation.get_by_test_id("invitation-status")).to_have_text("Accepted")
    expect(invitation.get_by_test_id("accept-invitation")).to_have_count(0)

    # --- O8: the admin finds the new member by name and moves it to the new department.
    open_members(page)
    expect(member_rows(page)).to_have_count(2)  # the admin account and the new member
    list_url = page.url
    search_members(page, MEMBER_NAME)
    expect(member_rows(page)).to_have_count(1)
    row = member_row(page, MEMBER_NAME)
    expect(row).to_contain_text(outsider.account.uin)
    expect(department_cell(row)).to_have_text("Root")
    shot(page, "09-search-result")

    bulk_move = page.get_by_test_id("bulk-move")
    expect(bulk_move).to_be_disabled()
    row.locator("input[name=uins]").check()
    expect(bulk_move).to_be_enabled()
    modal = open_modal(page, bulk_move, "Move 1 selected members")
    expect(modal).to_contain_text(outsider.account.uin)
    choose(modal.locator("select[name=department]"), DEPARTMENT)
    shot(page, "10-move-form")
    submit_modal(page, modal, "Move", status=204)

    expect(modal).to_be_hidden()
    expect_toast(page, f"Moved 1 member(s) to {DEPARTMENT}.")
    expect(department_cell(member_row(page, MEMBER_NAME))).to_have_text(DEPARTMENT)
    expect(member_rows(page)).to_have_count(1)  # the refreshed table keeps the search
    moved_into = page.get_by_test_id("dept-tree").locator(f"[data-dept={DEPARTMENT}]")
    expect(moved_into.locator(".count")).to_have_text("1")
    shot(page, "11-member-moved")
    assert Membership.objects.get(account=outsider.account).department.name == DEPARTMENT

    # --- The back button restores the list from before the search.
    page.go_back()
    expect(page).to_have_url(list_url)
    expect(page.locator("#filter-form input[name=q]")).to_have_value("")
    expect(member_rows(page)).to_have_count(2)
    shot(page, "12-back-to-full-list")


# ---------------------------------------------------------------- the same steps, one by one


def test_o5_admin_invites_an_outsider_by_uin(page, live_server, admin, outsider, password, shot):
    login(page, live_server, admin.username, password)
    open_members(page)
    modal = open_modal(page, page.get_by_test_id("invite-member"), "Invite member")
    modal.locator("input[name=uin]").fill(outsider.account.uin)
    modal.locator("input[name=name]").fill(MEMBER_NAME)
    choose(modal.locator("select[name=department]"), "Root")
    expect(modal.get_by_label("Self-pay")).to_be_checked()
    shot(page, "01-invite-form")
    submit_modal(page, modal, "Send invitation", status=204)

    expect(modal).to_be_hidden()
    pending = Invitation.objects.filter(invitee=outsider.account, status=InvitationStatus.PENDING)
    assert pending.count() == 1
    shot(page, "02-sent")
    expect_toast(page, f"Invitation sent to {outsider.account.uin}")

    sent = open_invitations(page, "Sent")
    row = sent.locator("tbody tr").filter(has_text=outsider.account.uin)
    expect(row).to_contain_text(MEMBER_NAME)
    expect(row.get_by_test_id("invitation-status")).to_have_text("Pending")
    shot(page, "03-sent-tab")


def test_o8_search_updates_the_table_in_place_and_back_restores_the_list(
    page, live_server, org, admin, password, shot
):
    join(org, admin, name=MEMBER_NAME)
    join(org, admin, name="Bruno-Dev")
    login(page, live_server, admin.username, password)
    open_members(page)
    expect(member_rows(page)).to_have_count(3)
    list_url = page.url
    heading = page.get_by_role("heading", name="Member account management")
    page.evaluate("window.samePage = true")  # survives an htmx swap, not a page load

    search_members(page, MEMBER_NAME)
    expect(member_rows(page)).to_have_count(1)
    expect(member_row(page, MEMBER_NAME)).to_be_visible()
    expect(heading).to_be_visible()
    assert page.evaluate("window.samePage === true"), "the search reloaded the whole page"
    shot(page, "01-search-result")

    page.go_back()
    expect(page).to_have_url(list_url)
    expect(heading).to_be_visible()
    expect(page.locator("#filter-form input[name=q]")).to_have_value("")
    expect(member_rows(page)).to_have_count(3)
    shot(page, "02-back")


def test_o9_payer_picker_shows_only_in_pay_on_behalf_mode(page, live_server, admin, password, shot):
    login(page, live_server, admin.username, password)
    open_members(page)
    modal = open_modal(page, page.get_by_test_id("invite-member"), "Invite member")
    payer = modal.locator("[data-field=payer]")
    allow_quit = modal.locator("input[name=allow_quit]")
    expect(modal.get_by_label("Self-pay")).to_be_checked()
    expect(payer).to_be_hidden()  # the modal form is synced when it loads
    shot(page, "01-self-pay-on-open")

    modal.get_by_label("Pay-on-behalf").check()
    expect(payer).to_be_visible()
    expect(allow_quit).to_be_disabled()  # O7: no "allow quit" in pay-on-behalf mode
    modal.get_by_label("Self-pay").check()
    expect(payer).to_be_hidden()
    expect(allow_quit).to_be_enabled()


# ---------------------------------------------------------------- O3 depth


def test_o3_sixth_level_department_is_refused_in_the_modal(
    page, live_server, org, admin, password, shot
):
    parent = root_of(org)
    for level in range(1, 6):
        parent = services.department_create(
            organization=org, parent=parent, name=f"Level-{level}", acting_user=admin
        )
    login(page, live_server, admin.username, password)
    open_members(page)
    tree = page.get_by_test_id("dept-tree")
    deepest = tree.locator("[data-dept=Level-5]")
    expect(deepest).to_be_visible()
    deepest.click()  # select it: "Add" then proposes it as the parent
    expect(page).to_have_url(re.compile(rf"[?&]department={parent.pk}(&|$)"))

    modal = open_modal(page, page.get_by_test_id("add-department"), "Add department")
    expect(modal.locator("select[name=parent]")).to_have_value(str(parent.pk))
    modal.locator("input[name=name]").fill("Level-6")
    submit_modal(page, modal, "Add", status=422)

    expect(modal).to_be_visible()
    error = modal.locator("[data-testid=form-error], [data-testid=field-error-parent]")
    expect(error).to_contain_text("at most 5 levels")
    expect(modal.locator("input[name=name]")).to_have_value("Level-6")  # input kept
    shot(page, "01-refused")
    expect(tree.locator("[data-dept=Level-6]")).to_have_count(0)
    assert not Department.objects.filter(organization=org, name="Level-6").exists()


# ---------------------------------------------------------------- A1


def test_a1_member_cannot_reach_admin_pages(page, live_server, member, password, shot):
    login(page, live_server, member.username, password)
    nav = sidebar(page)
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    expect(nav.get_by_role("link", name="Member account management")).to_have_count(0)
    expect(page.get_by_test_id("member-org")).to_be_visible()
    shot(page, "01-member-overview")

    response = page.goto(f"{live_server.url}/members/")
    assert response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("members-table")).to_have_count(0)
    shot(page, "02-forbidden")


# ---------------------------------------------------------------- lists keep real links


def test_members_table_sorts_and_pages_through_real_links(
    page, live_server, org, admin, password, settings, shot
):
    settings.TCO_INVITATIONS_PER_24H = 100  # O5 allows 20 a day; this list needs 27 members
    for n in range(1, 28):
        join(org, admin, name=f"bulk-{n:02}")
    login(page, live_server, admin.username, password)
    open_members(page)
    table = page.get_by_test_id("members-table")
    expect(table.get_by_test_id("row-count")).to_have_text("1–25 of 28")
    expect(member_rows(page)).to_have_count(25)

    header = table.locator("thead").get_by_role("link", name="Member name")
    assert header.get_attribute("href") == header.get_attribute("hx-get")
    header.click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-name(&|$)"))
    expect(member_rows(page).first).to_contain_text("bulk-27")
    sorted_th = table.locator("thead th").filter(has_text="Member name")
    expect(sorted_th).to_have_class(re.compile(r"\bdesc\b"))  # shown with a ▼
    shot(page, "01-sorted")

    pages = table.get_by_role("navigation", name="Pages")
    page_two = pages.get_by_role("link", name="2", exact=True)
    assert "sort=-name" in page_two.get_attribute("href")
    page_two.click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]sort=-name(&|$)"))
    expect(table.get_by_test_id("row-count")).to_have_text("26–28 of 28")
    expect(member_rows(page)).to_have_count(3)
    expect(member_rows(page).first).to_contain_text("bulk-02")
    shot(page, "02-page-two")

    page.reload()  # the pushed URL is a real page
    expect(table.get_by_test_id("row-count")).to_have_text("26–28 of 28")
    expect(member_rows(page).first).to_contain_text("bulk-02")


# ---------------------------------------------------------------- invalid input


def test_o5_inviting_an_unknown_uin_is_refused_next_to_the_field(
    page, live_server, org, admin, password, shot
):
    login(page, live_server, admin.username, password)
    open_members(page)
    modal = open_modal(page, page.get_by_test_id("invite-member"), "Invite member")
    modal.locator("input[name=uin]").fill("999999999999")
    modal.locator("input[name=name]").fill("Ghost")
    submit_modal(page, modal, "Send invitation", status=422)

    expect(modal).to_be_visible()
    field = modal.locator("[data-field=uin]")
    expect(field.get_by_test_id("field-error-uin")).to_contain_text(
        "No account with UIN 999999999999"
    )
    expect(field.locator("input[name=uin]")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(modal.locator("input[name=name]")).to_have_value("Ghost")  # input kept
    shot(page, "01-unknown-uin")

    modal.locator("input[name=uin]").fill("12345")
    submit_modal(page, modal, "Send invitation", status=422)
    expect(field.get_by_test_id("field-error-uin")).to_contain_text("A UIN is a 12-digit number.")
    shot(page, "02-malformed-uin")

    assert not Invitation.objects.filter(organization=org).exists()
    assert Membership.objects.filter(organization=org).count() == 1


# ---------------------------------------------------------------- cancel


def test_o5_admin_cancels_a_pending_invitation(
    page, live_server, org, admin, outsider, password, shot
):
    invitation = services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="Pending-Pat"
    )
    login(page, live_server, admin.username, password)
    sent = open_invitations(page, "Sent")
    row = sent.locator("tbody tr").filter(has_text="Pending-Pat")
    expect(row.get_by_test_id("invitation-status")).to_have_text("Pending")
    shot(page, "01-pending")

    modal = open_modal(
        page, row.get_by_role("link", name="Cancel", exact=True), "Cancel invitation"
    )
    expect(modal).to_contain_text(outsider.account.uin)
    submit_modal(page, modal, "Cancel invitation", status=204)

    expect(modal).to_be_hidden()
    expect_toast(page, f"The invitation to {outsider.account.uin} was cancelled.")
    expect(row.get_by_test_id("invitation-status")).to_have_text("Cancelled")
    expect(row.get_by_role("link", name="Cancel", exact=True)).to_have_count(0)
    shot(page, "02-cancelled")
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.CANCELLED


# ---------------------------------------------------------------- O3, issue 16: a large tree


def test_o3_a_large_tree_opens_branch_by_branch(
    page, live_server, org, admin, password, shot, monkeypatch
):
    from organizations import selectors

    monkeypatch.setattr(selectors, "WHOLE_TREE", 2)
    sales = services.department_create(
        organization=org, parent=root_of(org), name="Sales", acting_user=admin
    )
    emea = services.department_create(
        organization=org, parent=sales, name="EMEA", acting_user=admin
    )
    join(org, admin, name="emea-member", department=emea)
    join(org, admin, name="root-member")
    login(page, live_server, admin.username, password)
    open_members(page)
    tree = page.get_by_test_id("dept-tree")
    expect(tree.locator("[data-dept=Sales]")).to_be_visible()
    expect(tree.locator("[data-dept=EMEA]")).to_have_count(0)
    more = tree.get_by_role("button", name="Show the sub-departments of Sales")
    expect(more).to_have_text("1 sub-department")
    more.click()
    expect(tree.locator("[data-dept=EMEA]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/members/$"))  # opening a branch selects nothing
    shot(page, "01-branch-open")
    tree.locator("[data-dept=EMEA]").click()  # the list follows, the branch stays open
    expect(page).to_have_url(re.compile(rf"[?&]department={emea.pk}(&|$)"))
    table = page.locator("#members-region table")
    expect(table).to_contain_text("emea-member")
    expect(table).not_to_contain_text("root-member")
    expect(tree.locator("[data-dept=EMEA]")).to_be_visible()
