from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from organizations import services
from tests.factories import PASSWORD, UserFactory, join, make_org, sub_user


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks; on SQLite they are skipped with a reason."""
    for item in items:
        if "browser" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def role_groups(request):
    """Transactional tests (threads, live_server) flush every table after each test, which
    removes the rows the role-group data migration made; put them back the same way."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or any(
        f in request.fixturenames for f in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        import_module("organizations.migrations.0002_role_groups").create_groups(apps, None)
        import_module("billing.migrations.0002_ledger_guards_and_roles").add_roles(apps, None)
        import_module("billing.migrations.0010_resource_manager_role").add_role(apps, None)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def org_admin(db):
    """(org, admin owner user) of a fresh organization."""
    return make_org()


@pytest.fixture
def org(org_admin):
    return org_admin[0]


@pytest.fixture
def admin(org_admin):
    return org_admin[1]


@pytest.fixture
def member(org, admin):
    """An invited, self-paying member that may quit."""
    return join(org, admin, name="member-one", allow_quit=True)


@pytest.fixture
def pob_member(org, admin):
    """An invited member paid on behalf by the admin account."""
    return join(org, admin, name="member-pob", payer=org.admin_account)


@pytest.fixture
def outsider(db):
    return UserFactory()


@pytest.fixture
def readonly_sub(admin):
    """A sub-user of the admin account in the Read-only group (lacks manage_org)."""
    return sub_user(admin.account, services.READ_ONLY_GROUP)


@pytest.fixture
def other_org(db):
    """A second, unrelated organization with one member."""
    org2, admin2 = make_org()
    m2 = join(org2, admin2, name="other-member")
    return org2, admin2, m2


@pytest.fixture
def catalog(db):
    """The seeded catalog: products by code (`catalog["p_cvm"]`), with `spec(code)` helpers."""
    from billing.catalog import ensure_catalog
    from billing.models import Product

    ensure_catalog()
    return {p.code: p for p in Product.objects.all()}
