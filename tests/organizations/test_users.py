"""Users & permissions (A1, P2): the account owner creates, edits, deactivates and reactivates
sub-users, sets their groups and products; a sub-user sees and uses only what it was given;
an owner cannot grant what its policy refuses; every change is audited (A4)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Order, Resource
from billing.services import orders as order_services
from organizations import services as org_services
from organizations.models import AuditRecord, User
from organizations.services import sub_users as users
from tco_console.errors import DomainError
from tests.billing.helpers import buy, fund, product, region, spec
from tests.factories import UserFactory, sub_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "a-Good-pass-2026"


def create(client, **overrides):
    data = {
        "username": "dev-one",
        "display_name": "Dev One",
        "email": "dev@example.com",
        "password": PASSWORD,
        "groups": ["Resource manager"],
        "scope": "chosen",
        "products": ["p_cvm"],
        **overrides,
    }
    return client.post("/users/create/", data, **HTMX)


def post_buy(client, code):
    return client.post(
        "/products/buy/",
        {
            "spec": spec(code).pk,
            "region": region().pk,
            "months": 1,
            "idempotency_key": uuid.uuid4().hex,
        },
        **HTMX,
    )


@pytest.fixture
def owner(catalog, member):
    fund(member, "5000.00", member)
    return member


@pytest.fixture
def dev(owner):
    return users.sub_user_create(
        account=owner.account,
        acting_user=owner,
        username="dev",
        password=PASSWORD,
        groups=["Resource manager"],
        products=[product("p_cvm")],
    )


# ------------------------------------------------------------------ A1: the owner manages


def test_a1_owner_creates_a_sub_user_who_signs_in_with_its_groups_and_products(client, owner):
    client.force_login(owner)
    response = create(client)
    assert response.status_code == 204
    user = User.objects.get(username="dev-one")
    assert (user.account, user.is_owner, user.first_name) == (owner.account, False, "Dev One")
    assert [g.name for g in user.groups.all()] == ["Resource manager"]
    assert not user.all_products and [p.code for p in user.products.all()] == ["p_cvm"]
    record = AuditRecord.objects.get(action="user.create")
    assert record.target_account == owner.account and record.changes["products"] == ["p_cvm"]
    client.logout()
    assert client.login(username="dev-one", password=PASSWORD)
    assert "dev-one" in client.get("/users/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"groups": []}, "Choose at least one group."),
        ({"groups": ["Account owner"]}, "Select a valid choice"),
        ({"password": "short"}, "at least 8 characters"),
        ({"username": "bad name!"}, "Use letters, digits"),
        ({"username": "OWNER"}, "This login name is already taken."),
        ({"products": ["p_nothing"]}, "Select a valid choice"),
    ],
)
def test_a1_bad_input_is_explained_and_creates_nothing(client, owner, overrides, error):
    client.force_login(owner)
    before = User.objects.count()
    if overrides.get("username") == "OWNER":  # the owner's own name, in other letter case
        overrides = {"username": owner.username.upper()}
    response = create(client, **overrides)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert User.objects.count() == before and not AuditRecord.objects.filter(action="user.create")


def test_a1_owner_edits_groups_products_and_password(client, owner, dev):
    client.force_login(owner)
    page = client.get(f"/users/{dev.pk}/edit/", **HTMX).content.decode()
    assert 'name="username"' not in page  # the login name is fixed
    response = client.post(
        f"/users/{dev.pk}/edit/",
        {
            "display_name": "Ops",
            "email": "",
            "groups": ["Finance manager", "Read-only"],
            "scope": "all",
            "password": "another-Pass-99",
        },
        **HTMX,
    )
    assert response.status_code == 204
    dev.refresh_from_db()
    assert dev.first_name == "Ops" and dev.all_products
    assert sorted(g.name for g in dev.groups.all()) == ["Finance manager", "Read-only"]
    assert dev.check_password("another-Pass-99")
    changes = AuditRecord.objects.get(action="user.update").changes
    assert changes["products"] == [["p_cvm"], "all"] and changes["password"] == "reset"
    assert changes["groups"] == [["Resource manager"], ["Finance manager", "Read-only"]]


def test_a1_a_deactivated_sub_user_cannot_sign_in_and_its_session_ends(client, owner, dev):
    from django.test import Client

    session = Client()
    session.force_login(dev)
    assert session.get("/users/").status_code == 200
    client.force_login(owner)
    assert client.post(f"/users/{dev.pk}/deactivate/", **HTMX).status_code == 204
    assert session.get("/users/").status_code == 302  # back to the sign-in page
    assert not Client().login(username="dev", password=PASSWORD)
    assert "Deactivated" in client.get("/users/").content.decode()
    again = client.post(f"/users/{dev.pk}/deactivate/", **HTMX)
    assert again.status_code == 422 and "already deactivated" in again.content.decode()
    assert client.post(f"/users/{dev.pk}/reactivate/", **HTMX).status_code == 204
    assert Client().login(username="dev", password=PASSWORD)
    assert [r.action for r in AuditRecord.objects.filter(action__startswith="user.re")] == [
        "user.reactivate"
    ]
    assert AuditRecord.objects.filter(action="user.deactivate").count() == 1


def test_a2_only_the_owner_manages_and_other_accounts_users_are_404(
    client, owner, dev, admin, outsider
):
    client.force_login(dev)
    for url in ("/users/create/", f"/users/{dev.pk}/edit/", f"/users/{dev.pk}/deactivate/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/users/{dev.pk}/deactivate/").status_code == 403
    client.force_login(admin)  # the organization's admin owns another account
    for url in (f"/users/{dev.pk}/edit/", f"/users/{dev.pk}/deactivate/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/users/{dev.pk}/deactivate/").status_code == 404
    assert client.get(f"/users/{owner.pk}/edit/").status_code == 404  # an owner is no sub-user
    assert "dev" not in client.get("/users/").content.decode().split("users-table")[1]
    dev.refresh_from_db()
    assert dev.is_active
    with pytest.raises(DomainError, match="Only the account owner"):
        users.sub_user_create(
            account=owner.account, acting_user=dev, username="x", password=PASSWORD, groups=[]
        )


def test_a1_the_users_page_costs_the_same_queries_for_3_or_30_sub_users(client, owner):
    def count():
        client.force_login(owner)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/users/").status_code == 200
        return len(ctx)

    for i in range(3):
        sub_user(owner.account, org_services.READ_ONLY_GROUP, username=f"u{i}")
    few = count()
    for i in range(3, 30):
        sub_user(owner.account, org_services.READ_ONLY_GROUP, username=f"u{i}")
    assert count() == few <= 14


# ------------------------------------------------------------------ A1/P2: what a sub-user sees


def test_a1_a_cvm_only_sub_user_sees_buys_and_manages_only_cvm(client, owner, dev):
    cbs = buy(owner, "PREMIUM-100").resource
    cvm = buy(owner, "S5.SMALL2").resource
    client.force_login(dev)
    html = client.get("/products/").content.decode()
    assert 'data-product="p_cvm"' in html and 'data-product="p_cbs"' not in html
    assert "Your user may use these products only" in html
    assert cvm.instance_id in html and cbs.instance_id not in html
    product_filter = html.split('name="product"')[1].split("</select>")[0]
    assert "Cloud Virtual Machine" in product_filter and "Cloud Block Storage" not in product_filter
    form = client.get("/products/buy/", **HTMX).content.decode()
    assert "S5" in form and "PREMIUM" not in form
    assert client.get(f"/products/resources/{cbs.instance_id}/renew/").status_code == 404
    assert post_buy(client, "S5.SMALL2").status_code == 204
    response = post_buy(client, "PREMIUM-100")
    assert response.status_code == 422  # not offered, and refused if sent anyway
    assert Order.objects.filter(owner=owner.account, placed_by=dev).count() == 1
    with pytest.raises(DomainError, match="may not use Cloud Block Storage"):
        order_services.order_renew(resource=cbs, acting_user=dev, months=1)
    assert Resource.objects.get(pk=cbs.pk).period_end == cbs.period_end


def test_a1_a_sub_user_sees_its_own_groups_and_products(client, dev):
    client.force_login(dev)
    html = client.get("/users/").content.decode()
    assert 'data-testid="my-permissions"' in html and "Resource manager" in html
    assert "Cloud Virtual Machine" in html and "Create sub-user" not in html


# ------------------------------------------------------------------ P2 on the page


def test_p2_the_owner_cannot_grant_cbs_outside_its_policy_and_sees_why(client, cvm_only, engineer):
    client.force_login(engineer)
    form = client.get("/users/create/", **HTMX).content.decode()
    assert "Cloud Block Storage (not allowed by your policy)" in form
    response = create(client, products=["p_cvm", "p_cbs"])
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "No service control policy attached to department Eng allows Cloud Block Storage." in html
    )
    assert 'href="/policies/"' in html  # P3: the refusal links to the explainer
    assert not User.objects.filter(username="dev-one").exists()
    several = create(client, products=["p_cbs", "p_cdb"]).content.decode()
    assert "allows Cloud Block Storage." in several and "allows TencentDB for MySQL." in several
    refused = create(client, scope="all", products=[])
    assert "Not every product may be granted" in refused.content.decode()
    assert create(client).status_code == 204  # CVM alone is fine


def test_p2_grants_a_tightened_policy_blocks_are_shown_as_blocked(
    client, org, admin, eng, engineer
):
    from organizations.services import policies as scp

    dev = users.sub_user_create(
        account=engineer.account,
        acting_user=engineer,
        username="dev",
        password=PASSWORD,
        groups=["Resource manager"],
        products=[product("p_cvm"), product("p_cbs")],
    )
    policy = scp.policy_create(
        organization=org, name="CVM_only", products=[product("p_cvm")], acting_user=admin
    )
    scp.policy_attach(policy=policy, department=eng, acting_user=admin)
    full = org.policies.get(preset=True)  # P1: CVM_only replaces Eng's FullAccessPolicy
    scp.policy_detach(policy=full, department=eng, acting_user=admin)
    client.force_login(engineer)
    html = client.get("/users/").content.decode()
    assert html.count('data-testid="blocked"') == 1 and "Cloud Block Storage · blocked" in html
    assert 'data-testid="policy-limits"' in html
    client.force_login(dev)
    mine = client.get("/users/").content.decode()
    assert "Cloud Block Storage · blocked" in mine
    assert dev.products.count() == 2  # nothing removed silently
    # The owner may keep the blocked grant while editing the user, but not grant it afresh.
    client.force_login(engineer)
    edit = {"display_name": "Renamed", "email": "", "groups": ["Resource manager"]}
    kept = client.post(
        f"/users/{dev.pk}/edit/", {**edit, "scope": "chosen", "products": ["p_cvm", "p_cbs"]}
    )
    assert kept.status_code == 302 and dev.products.count() == 2
    client.post(f"/users/{dev.pk}/edit/", {**edit, "scope": "chosen", "products": ["p_cvm"]})
    assert [p.code for p in dev.products.all()] == ["p_cvm"]
    again = client.post(
        f"/users/{dev.pk}/edit/", {**edit, "scope": "chosen", "products": ["p_cvm", "p_cbs"]}
    )
    assert again.status_code == 422 and "department Eng" in again.content.decode()
    assert [p.code for p in dev.products.all()] == ["p_cvm"]


def test_p2_an_all_products_sub_user_under_a_tight_policy_shows_what_is_blocked(
    client, cvm_only, engineer
):
    everything = sub_user(engineer.account, org_services.RESOURCE_MANAGER_GROUP, username="all")
    assert everything.all_products  # granted before the policy tightened
    client.force_login(engineer)
    assert "5 blocked by policy" in client.get("/users/").content.decode()
    client.force_login(everything)
    mine = client.get("/users/").content.decode()
    assert "blocked by your account" in mine and "Cloud Block Storage" in mine
    with pytest.raises(DomainError, match="department Eng"):
        buy(everything, "PREMIUM-100")
    # Its grant is kept as it is: the owner can still reset its password or change its groups.
    client.force_login(engineer)
    response = client.post(
        f"/users/{everything.pk}/edit/",
        {"groups": ["Read-only"], "scope": "all", "password": "reset-Pass-2026"},
    )
    assert response.status_code == 302
    everything.refresh_from_db()
    assert everything.all_products and everything.check_password("reset-Pass-2026")


def test_a1_grants_are_read_afresh_when_used(owner, dev):
    """The owner narrows a sub-user while its request is under way: the service reads the
    grant from the database, not from the user object the request loaded."""
    stale = User.objects.get(pk=dev.pk)  # loaded while it may use CVM
    users.sub_user_set_products(user=dev, all_products=True, products=[], acting_user=owner)
    stale_all = User.objects.get(pk=dev.pk)  # loaded while it may use every product
    users.sub_user_set_products(
        user=dev, all_products=False, products=[product("p_cvm")], acting_user=owner
    )
    assert stale_all.all_products
    for user in (stale, stale_all):
        with pytest.raises(DomainError, match="may not use Cloud Block Storage"):
            buy(user, "PREMIUM-100")


def test_a1_a_sub_user_cannot_apply_for_pay_on_behalf_of_an_ungranted_product(catalog, org, admin):
    from tests.factories import join

    pob = join(org, admin, name="pob-dev-owner", payer=org.admin_account)
    order = buy(pob, "PREMIUM-100")  # the admin account has no funds: to be paid
    dev = users.sub_user_create(
        account=pob.account,
        acting_user=pob,
        username="pob-dev",
        password=PASSWORD,
        groups=["Resource manager"],
        products=[product("p_cvm")],
    )
    with pytest.raises(DomainError, match="may not use Cloud Block Storage"):
        order_services.order_apply(order=order, acting_user=dev)
    order.refresh_from_db()
    assert order.applied_at is None
    order_services.order_apply(order=order, acting_user=pob)  # the owner may


def test_a1_login_names_are_unique_whatever_their_case(owner, dev):
    from django.db import IntegrityError, transaction

    with pytest.raises(DomainError, match="already taken"):
        users.sub_user_create(
            account=owner.account,
            acting_user=owner,
            username="DEV",
            password=PASSWORD,
            groups=["Read-only"],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Dev", account=owner.account)


def test_p3_a_refused_purchase_links_to_the_effective_policy(client, cvm_only, engineer):
    client.force_login(engineer)
    response = post_buy(client, "PREMIUM-100")
    html = response.content.decode()
    assert response.status_code == 422
    assert "department Eng" in html and 'href="/policies/"' in html
    assert 'data-testid="error-link"' in html
    assert "department Eng" in client.get("/policies/").content.decode()


def test_a1_users_page_is_in_the_sidebar_for_everyone_with_an_account(client, owner, dev):
    for user in (owner, dev, UserFactory()):
        client.force_login(user)
        assert "Users &amp; permissions" in client.get("/").content.decode()


def test_a1_a_payers_sub_user_sees_members_resources_but_only_its_own_granted_ones(
    client, catalog, org, admin, pob_member
):
    fund(admin, "5000.00", admin)
    own_cbs = buy(admin, "PREMIUM-100").resource
    own_cvm = buy(admin, "S5.SMALL2").resource
    member_cbs = buy(pob_member, "PREMIUM-100").resource
    ops = users.sub_user_create(
        account=admin.account,
        acting_user=admin,
        username="payer-ops",
        password=PASSWORD,
        groups=["Resource manager"],
        products=[product("p_cvm")],
    )
    client.force_login(ops)
    html = client.get("/pay-on-behalf/orders/?tab=resources").content.decode()
    assert own_cvm.instance_id in html and member_cbs.instance_id in html
    assert own_cbs.instance_id not in html
