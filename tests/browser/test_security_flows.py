"""Issue 11 points 2 and 3 in the browser: the console's pages, the Django admin and htmx swaps
work under the production Content-Security-Policy with no violation (the conftest fails a test
on any), and a locked-out sign-in is explained on the login page."""

import re

from playwright.sync_api import expect

from tests.billing.helpers import buy
from tests.browser.conftest import login
from tests.factories import UserFactory

CONSOLE_PAGES = [
    ("/", "Overview"),
    ("/members/", "Member account management"),
    ("/invitations/", "Invitations"),
    ("/pay-on-behalf/orders/", "Pay-on-behalf order management"),
    ("/pay-on-behalf/bills/", "Pay-on-behalf bill management"),
    ("/billing/", "Billing Center"),
    ("/billing/exports/", "Billing Center"),
    ("/billing/cost-analysis/", "Cost analysis"),
    ("/billing/budgets/", "Budgets"),
    ("/billing/credit/", "Credit limits"),  # F14
    ("/products/", "Products"),
    ("/messages/", "Message center"),
    ("/policies/", "Service control policies"),
    ("/users/", "Users & permissions"),
    ("/audit/", "Audit log"),
]


def test_csp_console_pages_and_htmx_swaps_raise_no_violation(
    page, live_server, catalog, org, admin, pob_member, password
):
    buy(pob_member, "S5.MEDIUM4")
    response = page.goto(f"{live_server.url}/accounts/login/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert "camera=()" in response.headers["permissions-policy"]
    login(page, live_server, admin.username, password)
    for path, heading in CONSOLE_PAGES:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()

    # htmx swaps: the members search filters in place, the invite form opens in the modal.
    page.goto(f"{live_server.url}/members/")
    with page.expect_response(lambda r: "/members/" in r.url and r.request.resource_type == "xhr"):
        page.locator("input[type=search][name=q]").fill("no-such-member")
    expect(page).to_have_url(re.compile(r"[?&]q=no-such-member"))
    page.get_by_role("link", name=re.compile("Invite")).first.click()
    expect(page.locator("#modal-content [data-testid=modal-form]")).to_have_count(1)
    expect(page.locator("#modal")).to_be_visible()

    # The delegated handlers that replaced inline ones: order selection and its count.
    page.goto(f"{live_server.url}/pay-on-behalf/orders/")
    page.get_by_test_id("orders-table").get_by_label("Select all").check()
    expect(page.locator("[data-order-count]")).to_have_text("1")
    expect(page.get_by_test_id("bulk-pay")).to_be_enabled()


def test_csp_the_django_admin_works_for_operators(page, live_server, admin, password):
    operator = UserFactory(
        username="op", account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    login_page = page.goto(f"{live_server.url}/admin/login/")
    assert "content-security-policy" in login_page.headers
    page.fill("#id_username", operator.username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(f"{live_server.url}/admin/axes/accessattempt/")
    expect(page.get_by_role("heading", name="Select access attempt to view")).to_be_visible()
    # Access attempts are read-only (lifting a lock deletes them).
    # A change form with the admin's JavaScript widgets (filter_horizontal for groups).
    page.goto(f"{live_server.url}/admin/organizations/user/{admin.pk}/change/")
    expect(page.locator("#id_groups_from, #id_groups").first).to_be_attached()


def test_signin_lockout_is_explained_on_the_login_page(page, live_server, admin, password):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", admin.username)
        page.fill("#id_password", "wrong-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_test_id("signin-locked")).to_contain_text("Too many failed sign-in attempts")
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signin-locked")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
