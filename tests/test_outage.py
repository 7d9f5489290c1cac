"""Issue 11 point 19 (web side): a database outage answers 503 with Retry-After and a short
console page that needs no database; any other failure gets the console's own 500 page."""

import contextlib

import pytest
from django.db import IntegrityError, OperationalError, connection

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_down():
    """Every query fails as PostgreSQL's client does when the server is gone."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        )

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def plain_client(client):
    client.raise_request_exception = False  # see what the browser sees, as in production
    return client


def test_outage_signed_in_page_answers_503_with_retry_after(plain_client, admin):
    plain_client.force_login(admin)
    with database_down():
        response = plain_client.get("/members/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert 'data-testid="unavailable"' in html
    assert "The console is briefly unavailable" in html
    assert "css/console.css" in html  # console-styled, not Django's bare text
    assert "Server Error (500)" not in html


def test_outage_login_post_answers_503(plain_client, admin, password):
    with database_down():
        response = plain_client.post(
            "/accounts/login/", {"username": admin.username, "password": password}
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_outage_htmx_request_answers_503_for_the_toast(plain_client, admin):
    plain_client.force_login(admin)
    with database_down():
        response = plain_client.get("/members/", headers={"HX-Request": "true"})
    assert response.status_code == 503  # console.js turns it into the "unavailable" toast


@contextlib.contextmanager
def queries_raise(error):
    def fail(execute, sql, params, many, context):
        raise error

    with connection.execute_wrapper(fail):
        yield


def test_outage_a_bug_gets_the_consoles_500_page(plain_client, admin):
    plain_client.force_login(admin)
    with queries_raise(RuntimeError("a bug")):
        response = plain_client.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="server-error"' in html
    assert "Something went wrong" in html and "css/console.css" in html
    assert "Retry-After" not in response


def test_outage_integrity_errors_stay_500(plain_client, admin):
    """Only connection-level errors are an outage; a constraint violation is a bug."""
    plain_client.force_login(admin)
    with queries_raise(IntegrityError("duplicate key")):
        response = plain_client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
