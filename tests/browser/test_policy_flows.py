"""Service control policies as people use them (P1–P3): the admin enables the policy type,
creates a CVM-only policy, previews and attaches it to a department; a member of that
department is refused a CBS disk with the level named, and reads why on its policy page."""

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
    modal.get_by_test_id("preview").click()
    impact = page.get_by_test_id("impact")
    expect(impact.locator(f"tr[data-member='{engineer.account.uin}']")).to_contain_text(
        "Cloud Block Storage"
    )
    shot(page, "attach-preview")
    submit_modal(page, page.locator("#modal"), "Attach", status=204)
    expect(page.get_by_test_id("policy-attachments")).to_contain_text("CVM_only → department Eng")
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
    page.locator("#modal").get_by_role("button", name="Close").click()
    open_page(page, "Service control policies")
    products = page.get_by_test_id("policy-products")
    expect(products.locator("tr[data-product=p_cbs]")).to_have_attribute("data-allowed", "0")
    expect(products.locator("tr[data-product=p_cvm]")).to_have_attribute("data-allowed", "1")
    shot(page, "effective-policy")
