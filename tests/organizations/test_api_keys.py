"""API keys (issue 15, point 3; K1-K5 in docs/api.md): a user creates up to 2 keys, sees the
SecretKey once, disables, enables and deletes them; an owner manages its sub-users' keys;
every change is audited without the SecretKey; keys outside the scope are 404."""

import re

import pytest
from django.db import connection
from django.test import Client

from organizations import selectors
from organizations.models import ApiKey, AuditRecord
from organizations.services import api_keys as keys
from organizations.services import sub_users
from tco_console import secrets as crypto
from tco_console.errors import DomainError
from tests.concurrency import run_concurrently
from tests.factories import UserFactory, sub_user

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE = "/users/api-keys/"


def _secret_from(body: str) -> tuple[str, str]:
    secret_id = re.search(r'value="(AKID[A-Za-z0-9]{32})"', body).group(1)
    secret_key = re.search(r'id="new-secret-key"[^>]*value="([A-Za-z0-9]{32})"', body).group(1)
    return secret_id, secret_key


@pytest.fixture
def owner(db):
    return UserFactory(username="key-owner")


@pytest.fixture
def dev(owner):
    return sub_user(owner.account, "Resource manager", username="key-dev")


# K1, K2


@pytest.mark.django_db
def test_k2_create_shows_the_secret_once_and_stores_it_encrypted(client, owner):
    client.force_login(owner)
    response = client.post("/users/api-keys/create/", {"user": owner.pk}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "it will not be shown again" in body
    assert "no-store" in response["Cache-Control"]
    secret_id, secret_key = _secret_from(body)
    key = ApiKey.objects.get(secret_id=secret_id)
    assert key.user == owner and key.enabled
    # The page after reload lists the SecretId, never the SecretKey.
    page = client.get(PAGE).content.decode()
    assert secret_id in page and secret_key not in page
    # Encrypted at rest: the column does not hold the plain secret; decrypt() returns it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_key_encrypted FROM organizations_apikey WHERE id = %s", [key.pk]
        )
        stored = cursor.fetchone()[0]
    assert secret_key not in stored
    assert crypto.decrypt(stored) == secret_key
    assert selectors.api_key_secret(key) == secret_key
    found, plain = selectors.api_key_by_secret_id(secret_id)
    assert found == key and found.user == owner and plain == secret_key
    assert selectors.api_key_by_secret_id("AKIDnothing") is None
    assert selectors.api_key_by_secret_id("x" * 500) is None
    # K4: audited, with the SecretId and never the SecretKey
    record = AuditRecord.objects.get(action="api_key.create")
    assert secret_id in record.message and record.changes["secret_id"] == secret_id
    assert secret_key not in str(record.changes) + record.message


@pytest.mark.django_db
def test_k1_the_secret_formats():
    for _i in range(20):
        assert re.fullmatch(r"AKID[A-Za-z0-9]{32}", keys.new_secret_id())
        assert re.fullmatch(r"[A-Za-z0-9]{32}", keys.new_secret_key())


@pytest.mark.django_db
def test_k1_at_most_two_keys_per_user(client, owner):
    client.force_login(owner)
    for _i in range(2):
        assert client.post("/users/api-keys/create/", {"user": owner.pk}, **HTMX).status_code == 200
    response = client.post("/users/api-keys/create/", {"user": owner.pk}, **HTMX)
    assert response.status_code == 422
    assert "A user has at most 2 API keys" in response.content.decode()
    assert ApiKey.objects.filter(user=owner).count() == 2
    with pytest.raises(DomainError) as error:
        keys.api_key_create(user=owner, acting_user=owner)
    assert error.value.code == "LimitExceeded.ApiKeyLimitExceeded"
    # a disabled key still counts; deleting one frees a place
    key = ApiKey.objects.filter(user=owner).first()
    keys.api_key_disable(key=key, acting_user=owner)
    with pytest.raises(DomainError):
        keys.api_key_create(user=owner, acting_user=owner)
    keys.api_key_delete(key=key, acting_user=owner)
    keys.api_key_create(user=owner, acting_user=owner)
    assert ApiKey.objects.filter(user=owner).count() == 2


@pytest.mark.django_db
def test_k1_a_deactivated_user_gets_no_key(client, owner, dev):
    sub_users.sub_user_set_active(user=dev, active=False, acting_user=owner)
    client.force_login(owner)
    response = client.post("/users/api-keys/create/", {"user": dev.pk}, **HTMX)
    assert response.status_code == 422
    assert "deactivated" in response.content.decode()
    assert not ApiKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_k1_concurrent_creates_never_make_a_third_key(attempt):
    owner = UserFactory()
    keys.api_key_create(user=owner, acting_user=owner)
    results = run_concurrently(
        lambda: keys.api_key_create(user=owner, acting_user=owner),
        lambda: keys.api_key_create(user=owner, acting_user=owner),
        lambda: keys.api_key_create(user=owner, acting_user=owner),
    )
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 2, results
    assert all(isinstance(e, DomainError) and "at most 2" in e.message for e in errors)
    assert ApiKey.objects.filter(user=owner).count() == 2
    assert AuditRecord.objects.filter(action="api_key.create").count() == 2


# K3, K4


@pytest.mark.django_db
def test_k4_disable_enable_delete_are_audited(client, owner):
    key, secret_key = keys.api_key_create(user=owner, acting_user=owner)
    client.force_login(owner)
    url = f"/users/api-keys/{key.pk}/"
    assert client.get(url + "disable/", **HTMX).status_code == 200
    assert client.post(url + "disable/", **HTMX).status_code == 204
    key.refresh_from_db()
    assert not key.enabled
    page = client.get(PAGE).content.decode()
    assert "Disabled" in page and 'data-testid="api-key-enable"' in page
    # disabling again is refused and changes nothing
    response = client.post(url + "disable/", **HTMX)
    assert response.status_code == 422 and "already disabled" in response.content.decode()
    assert client.post(url + "enable/", **HTMX).status_code == 204
    key.refresh_from_db()
    assert key.enabled
    assert client.post(url + "delete/", **HTMX).status_code == 204
    assert not ApiKey.objects.filter(pk=key.pk).exists()
    actions = list(AuditRecord.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["api_key.create", "api_key.disable", "api_key.enable", "api_key.delete"]
    for record in AuditRecord.objects.all():
        assert key.secret_id in str(record.changes)
        assert secret_key not in str(record.changes) + record.message
        assert record.target_account == owner.account


@pytest.mark.django_db
def test_k3_an_owner_manages_its_sub_users_keys(client, owner, dev):
    client.force_login(owner)
    form = client.get("/users/api-keys/create/", **HTMX).content.decode()
    assert "key-dev" in form  # the owner picks one of its sub-users
    response = client.post("/users/api-keys/create/", {"user": dev.pk}, **HTMX)
    assert response.status_code == 200
    key = ApiKey.objects.get(user=dev)
    page = client.get(PAGE).content.decode()
    assert key.secret_id in page and "key-dev" in page
    assert client.post(f"/users/api-keys/{key.pk}/disable/", **HTMX).status_code == 204
    record = AuditRecord.objects.get(action="api_key.disable")
    assert record.actor == owner and record.changes["user"] == "key-dev"
    # the sub-user sees its key, disabled by its owner, and may enable it itself
    dev_client = Client()
    dev_client.force_login(dev)
    assert key.secret_id in dev_client.get(PAGE).content.decode()
    assert dev_client.post(f"/users/api-keys/{key.pk}/enable/", **HTMX).status_code == 204


@pytest.mark.django_db
def test_k3_an_owner_cannot_create_for_another_accounts_user(client, owner):
    stranger = UserFactory()
    client.force_login(owner)
    for value in (stranger.pk, "abc", "", "99999999999999999999999", "-1"):
        response = client.post("/users/api-keys/create/", {"user": value}, **HTMX)
        assert response.status_code == 422, value
        body = response.content.decode()
        assert "Choose yourself or one of your account&#x27;s sub-users" in body
    assert not ApiKey.objects.exists()
    with pytest.raises(DomainError):
        keys.api_key_create(user=stranger, acting_user=owner)


@pytest.mark.django_db
def test_k3_a_sub_user_cannot_see_or_touch_its_owners_keys(client, owner, dev):
    key, _secret = keys.api_key_create(user=owner, acting_user=owner)
    client.force_login(dev)
    assert key.secret_id not in client.get(PAGE).content.decode()
    for action in ("disable", "enable", "delete"):
        assert client.get(f"/users/api-keys/{key.pk}/{action}/").status_code == 404
        assert client.post(f"/users/api-keys/{key.pk}/{action}/").status_code == 404
    # a sub-user creates only for itself: the owner's id is refused
    response = client.post("/users/api-keys/create/", {"user": owner.pk}, **HTMX)
    assert response.status_code == 422
    assert client.post("/users/api-keys/create/", {"user": dev.pk}, **HTMX).status_code == 200
    assert ApiKey.objects.get(user=dev)
    with pytest.raises(DomainError):
        keys.api_key_disable(key=key, acting_user=dev)
    key.refresh_from_db()
    assert key.enabled


@pytest.mark.django_db
def test_k3_another_accounts_key_and_bad_ids_are_404(client, owner):
    stranger = UserFactory()
    key, _secret = keys.api_key_create(user=stranger, acting_user=stranger)
    client.force_login(owner)
    assert key.secret_id not in client.get(PAGE).content.decode()
    for action in ("disable", "enable", "delete"):
        assert client.get(f"/users/api-keys/{key.pk}/{action}/").status_code == 404
        assert client.post(f"/users/api-keys/{key.pk}/{action}/").status_code == 404
        for bad in ("0", "999999", "99999999999999999999999", "abc", "-1"):
            assert client.post(f"/users/api-keys/{bad}/{action}/").status_code == 404
    key.refresh_from_db()
    assert key.enabled and ApiKey.objects.filter(pk=key.pk).exists()


@pytest.mark.django_db
def test_k4_every_post_needs_the_csrf_token(owner):
    key, _secret = keys.api_key_create(user=owner, acting_user=owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/users/api-keys/create/", {"user": owner.pk}).status_code == 403
    for action in ("disable", "delete"):
        assert client.post(f"/users/api-keys/{key.pk}/{action}/").status_code == 403
    key.refresh_from_db()
    assert key.enabled and ApiKey.objects.filter(user=owner).count() == 1


@pytest.mark.django_db
def test_k5_the_page_shows_last_use(client, owner, django_assert_max_num_queries):
    key, _secret = keys.api_key_create(user=owner, acting_user=owner)
    client.force_login(owner)
    assert "Never" in client.get(PAGE).content.decode()
    keys.api_key_record_use(key=key, action="DescribeOrganization")
    for _i in range(3):
        dev = sub_user(owner.account, "Read-only")
        keys.api_key_create(user=dev, acting_user=owner)
    with django_assert_max_num_queries(8):
        body = client.get(PAGE).content.decode()
    assert "DescribeOrganization" in body
    assert body.count('data-testid="api-key-row"') == 4


@pytest.mark.django_db
def test_k3_the_users_page_links_to_api_keys(client, owner, dev):
    for user in (owner, dev):
        client.force_login(user)
        assert 'href="/users/api-keys/"' in client.get("/users/").content.decode()


@pytest.mark.django_db
def test_k2_operators_see_keys_read_only_without_the_encrypted_secret(client, owner):
    from organizations.models import User

    key, secret_key = keys.api_key_create(user=owner, acting_user=owner)
    operator = User.objects.create_superuser("key-operator", "op@example.com", "x-Pass-2026!")
    client.force_login(operator)
    for url in ("/admin/organizations/apikey/", f"/admin/organizations/apikey/{key.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert key.secret_id in body
        assert key.secret_key_encrypted not in body and secret_key not in body
    assert client.get("/admin/organizations/apikey/add/").status_code == 403
    assert (
        client.post(f"/admin/organizations/apikey/{key.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert ApiKey.objects.filter(pk=key.pk).exists()
    # operators have no console account: the console page is not theirs
    assert client.get(PAGE).status_code == 403


@pytest.mark.django_db
def test_k2_without_javascript_the_forms_are_pages(client, owner):
    client.force_login(owner)
    assert client.get("/users/api-keys/create/").status_code == 200
    response = client.post("/users/api-keys/create/", {"user": owner.pk})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret_id, secret_key = _secret_from(response.content.decode())
    key = ApiKey.objects.get(secret_id=secret_id)
    assert secret_key not in client.get(PAGE).content.decode()
    response = client.post(f"/users/api-keys/{key.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_k3_the_sidebar_keeps_users_and_permissions_active(client, owner):
    client.force_login(owner)
    body = client.get(PAGE).content.decode()
    link = re.search(r'<a[^>]*href="/users/"[^>]*>', body).group(0)
    assert "active" in link
