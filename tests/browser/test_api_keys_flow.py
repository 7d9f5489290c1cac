"""Issue 15 (K1-K4, docs/api.md) as a person clicks it: the admin goes from Users &
permissions to API keys, creates a key, sees its SecretKey once, and disables the key."""

from playwright.sync_api import expect

from organizations.models import ApiKey, AuditRecord
from organizations.selectors import api_key_secret
from tests.browser.conftest import login
from tests.browser.test_organization_flows import expect_toast, open_modal, submit_modal


def test_k2_admin_creates_a_key_sees_the_secret_once_and_disables_it(
    page, live_server, admin, password, shot
):
    login(page, live_server, admin.username, password)
    page.goto(f"{live_server.url}/users/")
    page.get_by_test_id("api-keys-link").click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.get_by_test_id("api-keys-empty")).to_be_visible()

    modal = open_modal(page, page.get_by_test_id("api-key-create"), "Create API key")
    submit_modal(page, modal, "Create key", status=200)
    created = modal.get_by_test_id("api-key-created")
    expect(created).to_be_visible()
    expect(created.get_by_test_id("secret-once")).to_contain_text("it will not be shown again")
    secret_id = created.get_by_test_id("new-secret-id").input_value()
    secret_key = created.get_by_test_id("new-secret-key").input_value()
    key = ApiKey.objects.get(user=admin)
    assert key.secret_id == secret_id and api_key_secret(key) == secret_key
    shot(page, "01-secret-shown-once")
    created.get_by_test_id("secret-done").click()
    expect(modal).to_be_hidden()

    # the list (refreshed behind the modal, and after a reload) shows the SecretId only
    row = page.get_by_test_id("api-key-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(secret_id)
    page.reload()
    expect(page.get_by_test_id("api-key-row")).to_contain_text(secret_id)
    assert secret_key not in page.content()

    modal = open_modal(page, page.get_by_test_id("api-key-disable"), "Disable API key")
    submit_modal(page, modal, "Disable", status=204)
    expect(modal).to_be_hidden()
    expect_toast(page, f"Disabled API key {secret_id}.")
    expect(page.get_by_test_id("api-key-status")).to_have_text("Disabled")
    expect(page.get_by_test_id("api-key-enable")).to_be_visible()
    shot(page, "02-disabled")
    key.refresh_from_db()
    assert not key.enabled
    records = AuditRecord.objects.filter(action__startswith="api_key.").order_by("pk")
    assert list(records.values_list("action", flat=True)) == [
        "api_key.create",
        "api_key.disable",
    ]
