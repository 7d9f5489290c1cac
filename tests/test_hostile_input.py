"""Issue 11: what an attacker (or a mistyped bookmark) sends in the query string and the path
is answered with a page or a 404, never a 500, and never a whole table in one response.

Run on PostgreSQL too (DATABASE_URL): a NUL byte and a bigint overflow fail differently there.
"""

import pytest

from billing.catalog import ensure_catalog
from organizations import services
from organizations.models import Department
from tests.billing.helpers import buy, fund
from tests.factories import join, make_org

# Every list page of the console (as the admin account, which sees them all), with the tab
# that shows the table.
LISTS = [
    "/members/",
    "/invitations/?tab=sent",
    "/audit/",
    "/users/",
    "/products/?tab=subscriptions",
    "/products/?tab=payg",
    "/products/?tab=packs",
    "/pay-on-behalf/orders/?status=paid",
    "/pay-on-behalf/orders/?tab=resources",
    "/pay-on-behalf/bills/?tab=details",
    "/pay-on-behalf/bills/?tab=members",
    "/pay-on-behalf/bills/?tab=departments",
    "/billing/?tab=orders",
    "/billing/?tab=vouchers",
    "/billing/?tab=transactions",
    "/billing/?tab=bills&view=product",
    "/billing/?tab=bills&view=resource",
    "/billing/invoices/",
    "/messages/",
]

HOSTILE_VALUES = [str(10**30), "-1", "\x00", "abc\x00", "9999-99-99", "99999-12-01"]
HOSTILE_NUMBERS = ["0", "-1", "2", str(2**63), str(10**30), "abc", "\x00", "1e9", "1000000"]


@pytest.fixture
def crowded(db, settings):
    """An organization with more members, orders and bill lines than a page shows."""
    settings.TCO_INVITATIONS_PER_24H = 100
    ensure_catalog()
    org, admin = make_org()
    fund(admin, "100000.00", admin)
    root = Department.objects.get(organization=org, parent=None)
    services.department_create(organization=org, parent=root, name="Dept-A", acting_user=admin)
    payer = org.admin_account
    for i in range(2):
        member = join(org, admin, name=f"pob-{i}", payer=payer)
        for _n in range(2):
            buy(member, "S5.SMALL2")
    for i in range(25):
        join(org, admin, name=f"member-{i:02d}")
    return admin


def _rows(response):
    try:
        table = response.context["table"]
    except (KeyError, TypeError):
        return None
    if not hasattr(table, "page"):
        return None
    return table.page.object_list


def _get(client, url, **params):
    sep = "&" if "?" in url else "?"
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"{url}{sep}{query}")


def test_prod_per_page_is_one_of_the_offered_sizes(client, crowded):
    """Point 4: 0, negative, 2**63, 10**30 or a million rows per page: the default size."""
    client.force_login(crowded)
    for url, value in ((u, v) for u in LISTS for v in [*HOSTILE_NUMBERS, "100"]):
        response = client.get(url, {"per_page": value} | _params(url))
        assert response.status_code == 200, (url, value)
        rows = _rows(response)
        if rows is None:
            continue
        table = response.context["table"]
        choices = getattr(table, "per_page_choices", (25, 50, 100))
        assert table.paginator.per_page in choices, (url, value)
        assert len(rows) <= max(choices)
        if value not in {"100", "2"}:  # not an offered size: the table's default
            assert table.paginator.per_page == table._meta.per_page, (url, value)


def _params(url):
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def test_prod_a_page_out_of_range_is_the_last_page_or_404(client, crowded):
    """Point 4: `?page=99999999999999999999999999` was a 500 (bigint out of range)."""
    client.force_login(crowded)
    for url, value in ((u, v) for u in LISTS for v in [*HOSTILE_NUMBERS, str(10**26)]):
        response = client.get(url.split("?")[0], {"page": value} | _params(url))
        assert response.status_code in {200, 404}, (url, value)
        rows = _rows(response)
        if response.status_code == 200 and rows is not None:
            table = response.context["table"]
            assert len(rows) <= table.paginator.per_page


def test_prod_the_offered_sizes_are_links_under_the_table(client, crowded):
    client.force_login(crowded)
    html = client.get("/members/").content.decode()
    assert 'data-testid="per-page"' in html
    assert "per_page=100" in html
    response = client.get("/members/", {"per_page": "50"})
    assert len(_rows(response)) == 28  # 27 members + the admin: all on one page of 50


def test_prod_hostile_filters_are_not_a_500(client, crowded):
    """Filters and other query parameters: garbage, huge numbers and NUL bytes."""
    client.force_login(crowded)
    names = [
        "q",
        "department",
        "product",
        "status",
        "kind",
        "state",
        "since",
        "until",
        "month",
        "sort",
        "category",
        "read",
        "member",
        "direction",
        "paid_for",
        "billing_mode",
        "member_type",
        "payment_mode",
        "group",
    ]
    for url, value in ((u, v) for u in LISTS for v in HOSTILE_VALUES):
        # every filter at once (an invalid one is left out, the others still apply) ...
        params = {name: value for name in names} | _params(url)
        response = client.get(url.split("?")[0], params)
        assert response.status_code in {200, 404}, (url, value)
        # ... and the tab and view parameters that choose what the page shows
        for name in ("tab", "view", "status"):
            response = client.get(url.split("?")[0], _params(url) | {name: value})
            assert response.status_code in {200, 404}, (url, name, value)


BAD_PATHS = [
    "/members/%00/",
    "/members/%00/edit/",
    "/members/12345678901/",  # 11 digits
    "/members/1234567890123/policy/",  # 13 digits
    "/orders/%00/pay/",
    "/orders/%00/cancel/",
    "/orders/abc/apply/",
    "/resources/%00/terminate/",
    "/resources/%00/renew/",
    "/resources/ins-%00abcdefg/upgrade/",
    f"/departments/{10**30}/rename/",
    f"/departments/{2**63}/delete/",
    "/departments/0/move/",
    f"/invitations/{10**30}/cancel/",
    f"/invitations/{10**30}/accept/",
    f"/policies/{10**30}/edit/",
    f"/policies/{2**63}/attach/",
    f"/users/{10**30}/edit/",
    f"/messages/{10**30}/",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_prod_path_parameters_outside_their_shape_are_404(client, db, path):
    """Point 5: a NUL byte (a 500 on PostgreSQL) or a 30-digit key (bigint overflow) in a
    path segment is no object: 404, whatever the method."""
    _org, admin = make_org()
    client.force_login(admin)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


def test_prod_well_formed_keys_still_resolve(client, crowded):
    from django.urls import reverse

    from organizations.models import Membership

    member = Membership.objects.exclude(account=crowded.account).first()
    client.force_login(crowded)
    assert (
        client.get(reverse("organizations:member_detail", args=[member.account.uin])).status_code
        == 200
    )
    assert reverse("organizations:department_rename", args=[2**63 - 1])


HUGE = "99999999999999999999999999"


def test_prod_a_huge_id_in_a_multiple_choice_field_is_a_form_error(client, org, admin):
    """Point 6: `products=99999999999999999999999999` on the policy form was an
    OverflowError on SQLite (the demo's database)."""
    from organizations.models import ServiceControlPolicy

    ensure_catalog()
    client.force_login(admin)
    for products in ([HUGE], [str(2**63)], [str(-(2**63) - 1)], [HUGE, "1"]):
        response = client.post(
            "/policies/create/", {"name": "Huge", "effect": "allow", "products": products}
        )
        assert response.status_code == 422
        assert 'data-testid="field-error-products"' in response.content.decode()
    assert not ServiceControlPolicy.objects.filter(name="Huge").exists()


def test_prod_a_huge_id_in_a_choice_filter_is_ignored(client, member):
    """Point 6: django-filter's model choice filters (Products, Billing Center, orders)."""
    ensure_catalog()
    client.force_login(member)
    for url in ("/products/", "/billing/", "/pay-on-behalf/orders/"):
        response = client.get(url, {"product": HUGE})
        assert response.status_code == 200
        assert "product" in response.context["filter"].errors


def test_prod_malformed_ids_in_hidden_fields_are_refused(client, org, admin, member):
    """Point 6: the ids a bulk form carries in hidden fields (members to move, orders to
    pay) have their shape checked before any query; NUL bytes were a 500 on PostgreSQL."""
    from organizations.models import Membership

    client.force_login(admin)
    root = Department.objects.get(organization=org, parent=None)
    dept = services.department_create(
        organization=org, parent=root, name="Dept-B", acting_user=admin
    )
    for bad in ("\x00", HUGE, "abc"):
        response = client.post(
            "/members/move/", {"uins": [member.account.uin, bad], "department": dept.pk}
        )
        assert response.status_code == 422
        assert "is not a UIN" in response.content.decode()
    assert Membership.objects.get(account=member.account).department == root
    for bad in ("\x00", HUGE):
        response = client.post("/orders/pay/", {"orders": [bad]})
        assert response.status_code == 422
        assert "not found" in response.content.decode()
