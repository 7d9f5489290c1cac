"""Service control policies as people use them (P1–P3, A1): the admin enables the policy type,
creates a CVM-only policy, attaches it to a department, previews and detaches the department's
FullAccessPolicy (P1: every target keeps a policy, so CVM_only replaces it); a member of that
department is refused a CBS disk with the level named, follows the refusal's link to its
policy page and reads why; the member's owner is refused when it grants a sub-user CBS, grants
CVM alone, and that sub-user buys a CVM instance."""

from playwright.sync_api import expect

from organizations import services as org_services
from tests.billing.helpers import fund
from tests.browser.conftest import login
from tests.browser.test_billing_flows import buy_in_modal, open_modal, open_page, submit_modal
from tests.factories import join


def test_p2_cvm_only_department_refuses_cbs_and_the_member_reads_why(
    page, live_server, catalog, org, admin, password, shot
):
    root = org.departments.get(depth=0)
    eng = org_services.department_create(
        organization=org, parent=root, name="Eng", acting_user=admin
    )
    engineer = join(org, admin, name="engineer", department=eng)
    fund(engineer, "1000.00", engineer)

    login(page, live_server, admin.username, password)
    open_page(page, "Service control policies")
    modal = open_modal(page, page.get_by_test_id("policy-type"), "Enable service control policies")
    submit_modal(page, modal, "Enable", status=204)
    expect(page.get_by_test_id("policy-status")).to_contain_text("Enabled")
    modal = open_modal(page, page.get_by_test_id("new-policy"), "New policy")
    modal.locator("input[name=name]").fill("CVM_only")
    modal.get_by_label("Cloud Virtual Machine").check()
    submit_modal(page, modal, "Create", status=204)
    actions = page.locator("[data-policy=CVM_only]")
    expect(actions).to_be_visible()
    modal = open_modal(page, actions.get_by_role("link", name="Attach"), "Attach CVM_only")
    modal.locator("select[name=department]").select_option(str(eng.pk))
    submit_modal(page, modal, "Attach", status=204)
    attachments = page.get_by_test_id("policy-attachments")
    expect(attachments).to_contain_text("CVM_only → department Eng")
    # P1: enabling bound FullAccessPolicy to Eng; CVM_only narrows Eng once it replaces it
    expect(attachments).to_contain_text("FullAccessPolicy → department Eng")
    full = page.locator("[data-policy=FullAccessPolicy]")
    modal = open_modal(page, full.get_by_role("link", name="Detach"), "Detach FullAccessPolicy")
    modal.locator("select[name=department]").select_option(str(eng.pk))
    modal.get_by_test_id("preview").click()
    impact = page.get_by_test_id("impact")
    expect(impact.locator(f"tr[data-member='{engineer.account.uin}']")).to_contain_text(
        "Cloud Block Storage"
    )
    shot(page, "detach-preview")
    submit_modal(page, page.locator("#modal"), "Detach", status=204)
    expect(attachments).not_to_contain_text("FullAccessPolicy → department Eng")
    shot(page, "policies")

    page.context.clear_cookies()
    login(page, live_server, engineer.username, password)
    open_page(page, "Products")
    modal = buy_in_modal(page, "PREMIUM-100")
    submit_modal(page, modal, "Place order", status=422)
    expect(page.locator("#modal")).to_contain_text(
        "No service control policy attached to department Eng allows Cloud Block Storage."
    )
    shot(page, "refused")
    page.locator("#modal").get_by_test_id("error-link").click()  # P3: why?
    expect(page.get_by_role("heading", name="Service control policies")).to_be_visible()
    products = page.get_by_test_id("policy-products")
    expect(products.locator("tr[data-product=p_cbs]")).to_have_attribute("data-allowed", "0")
    expect(products.locator("tr[data-product=p_cvm]")).to_have_attribute("data-allowed", "1")
    shot(page, "effective-policy")

    # A1/P2: the engineer's owner grants a sub-user products; CBS is refused, CVM is not.
    open_page(page, "Users & permissions")
    modal = open_modal(page, page.get_by_test_id("user-create"), "Create sub-user")
    modal.locator("input[name=username]").fill("eng-dev")
    modal.locator("input[name=password]").fill("Dev-pass-2026")
    modal.get_by_label("Resource manager: buy, activate and manage its products").check()
    modal.get_by_label("Cloud Virtual Machine").check()
    modal.get_by_label("Cloud Block Storage (not allowed by your policy)").check()
    submit_modal(page, modal, "Create sub-user", status=422)
    expect(modal.get_by_test_id("field-error-products")).to_have_text(
        "No service control policy attached to department Eng allows Cloud Block Storage."
    )
    shot(page, "grant-refused")
    refused = modal.get_by_label("Cloud Block Storage (not allowed by your policy)")
    refused.uncheck()
    expect(refused).not_to_be_checked()  # on the re-rendered form, before it is sent again
    modal.locator("input[name=password]").fill("Dev-pass-2026")
    expect(modal.locator("input[name=password]")).to_have_value("Dev-pass-2026")
    submit_modal(page, modal, "Create sub-user", status=204)
    row = page.get_by_test_id("users-table").locator("tr", has_text="eng-dev")
    expect(row).to_contain_text("Cloud Virtual Machine")
    expect(row).to_contain_text("Resource manager")
    shot(page, "users")

    page.context.clear_cookies()
    login(page, live_server, "eng-dev", "Dev-pass-2026")
    open_page(page, "Products")
    expect(page.get_by_test_id("granted-products")).to_contain_text("Cloud Virtual Machine")
    expect(page.locator("[data-product=p_cbs]")).to_have_count(0)
    modal = buy_in_modal(page, "S5.SMALL2")
    submit_modal(page, modal, "Place order", status=204)
    expect(page.locator("#resources-region")).to_contain_text("Cloud Virtual Machine")
    shot(page, "sub-user-bought-cvm")
