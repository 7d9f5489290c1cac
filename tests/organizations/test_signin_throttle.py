"""Sign-in throttling (issue 11 point 2; docs/rules.md "Sign-in throttling"): failed sign-ins
are limited per login name and per client address, the lockout is explained on the login page
and audited, and an operator lifts it in the admin (audited too)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from organizations.models import AuditRecord
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password, ip="203.0.113.7"):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def test_signin_thirty_wrong_passwords_then_the_right_one_is_refused_with_a_message(client, admin):
    for _ in range(30):
        response = sign_in(client, admin.username, "wrong-password")
    assert response.status_code == 429
    response = sign_in(client, admin.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert 'data-testid="signin-locked"' in html
    assert "Too many failed sign-in attempts" in html and "15 minutes" in html
    assert 'name="username"' in html  # the login form itself, not a bare error page
    assert response["Retry-After"] == "900"
    # The home page still asks to sign in.
    assert client.get("/").status_code == 302


def test_signin_the_fifth_failure_locks_and_four_do_not(client, admin):
    for _ in range(4):
        assert sign_in(client, admin.username, "wrong-password").status_code == 200
    assert sign_in(client, admin.username, PASSWORD).status_code == 302  # still allowed
    client.logout()
    assert sign_in(client, admin.username, "wrong-password").status_code == 429


def test_signin_the_lock_holds_for_the_login_name_from_any_address(client, admin):
    for n in range(5):
        sign_in(client, admin.username, "wrong-password", ip=f"198.51.100.{n + 1}")
    response = sign_in(Client(), admin.username, PASSWORD, ip="192.0.2.99")
    assert response.status_code == 429


def test_signin_one_address_trying_many_login_names_is_locked(client, admin):
    for n in range(5):
        sign_in(client, f"guess-{n}", "wrong-password", ip="203.0.113.50")
    # The right password of a real login name, from that address: refused.
    assert sign_in(Client(), admin.username, PASSWORD, ip="203.0.113.50").status_code == 429
    # From another address the same login name signs in.
    assert sign_in(Client(), admin.username, PASSWORD, ip="203.0.113.51").status_code == 302


def test_a4_signin_lockout_is_audited_once_per_lock(client, admin):
    for _ in range(12):
        sign_in(client, admin.username, "wrong-password")
    records = AuditRecord.objects.filter(action="signin.locked_out")
    assert records.count() == 1
    record = records.get()
    assert record.actor is None and record.actor_name == "system"
    assert record.target_account == admin.account  # the owner sees it in its audit log
    assert record.changes["login_name"] == admin.username
    assert record.changes["ip_address"] == "203.0.113.7"
    assert record.changes["failures_by_login_name"] == 5
    assert admin.username in record.message and "203.0.113.7" in record.message


def test_signin_an_unknown_login_name_is_locked_like_a_real_one(client):
    """Same answer for a name that does not exist: the lock reveals no login names."""
    for _ in range(5):
        response = sign_in(client, "nobody-here", "wrong-password")
    assert response.status_code == 429
    record = AuditRecord.objects.get(action="signin.locked_out")
    assert record.target_account is None


def test_a4_signin_operator_lifts_the_lock_in_the_admin_audited(client, admin):
    for _ in range(6):
        sign_in(client, admin.username, "wrong-password")
    assert sign_in(Client(), admin.username, PASSWORD).status_code == 429

    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    staff = Client()
    staff.force_login(operator)
    changelist = staff.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and admin.username in changelist.content.decode()
    attempts = list(AccessAttempt.objects.filter(username=admin.username))
    response = staff.post(
        "/admin/axes/accessattempt/",
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in attempts],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=admin.username).exists()
    lifted = AuditRecord.objects.get(action="signin.lock_lifted")
    assert lifted.actor == operator
    assert lifted.target_account == admin.account
    assert lifted.changes["failures_cleared"] == 7  # six wrong passwords and the refused right one

    assert sign_in(Client(), admin.username, PASSWORD).status_code == 302


def test_a4_signin_operator_lifts_one_lock_from_its_change_page(client, admin):
    for _ in range(5):
        sign_in(client, admin.username, "wrong-password")
    attempt = AccessAttempt.objects.get(username=admin.username)
    operator = UserFactory(
        account=None, is_owner=False, is_staff=True, is_superuser=True, groups=[]
    )
    staff = Client()
    staff.force_login(operator)
    response = staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditRecord.objects.filter(action="signin.lock_lifted", actor=operator).count() == 1
    assert sign_in(Client(), admin.username, PASSWORD).status_code == 302


def test_signin_behind_the_proxy_the_client_address_is_the_one_the_proxy_saw(
    client, admin, settings
):
    """TRUSTED_PROXY_COUNT=1: the proxy's own X-Forwarded-For entry (the rightmost) names the
    client; entries the client wrote itself, left of it, cannot dodge the per-address limit."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        client.post(
            LOGIN,
            {"username": f"guess-{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    locked = Client().post(
        LOGIN,
        {"username": admin.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert locked.status_code == 429
    other = Client().post(
        LOGIN,
        {"username": admin.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert other.status_code == 302


def test_signin_the_test_clients_login_is_not_throttled(admin):
    """authenticate() without a request (shell, Client.login) has no client to throttle."""
    assert Client().login(username=admin.username, password=PASSWORD)
