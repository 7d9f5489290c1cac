"""The billing pages as a user meets them (SPEC §5): Products, Pay-on-behalf order management
and Billing Center. Roles, the fixed payment method of B4, orders placed, paid, cancelled and
applied for from the pages, bulk results, idempotent forms, A2 scoping, htmx partials and
pinned query counts."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import services
from billing.models import Journal, Order, Resource, Voucher
from billing.models.choices import OrderKind, OrderStatus, ResourceStatus
from tests.billing.helpers import D, buy, cash, fund, region, spec
from tests.factories import UserFactory, join

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PAGES = ["/products/", "/pay-on-behalf/orders/", "/billing/"]
LIST_URLS = [
    "/products/",
    "/pay-on-behalf/orders/",
    "/pay-on-behalf/orders/?status=paid",
    "/billing/?tab=orders",
    "/billing/?tab=vouchers",
    "/billing/?tab=transactions",
]


def key() -> str:
    return uuid.uuid4().hex


def toasts(response) -> str:
    trigger = json.loads(response["HX-Trigger"])
    return " | ".join(t["text"] for t in trigger.get("toasts", []))


def events(response) -> set[str]:
    return set(json.loads(response["HX-Trigger"]))


def post_buy(client, code="S5.MEDIUM4", months=1, idempotency_key=None, **extra):
    return client.post(
        "/products/buy/",
        {
            "spec": spec(code).pk,
            "region": region().pk,
            "months": months,
            "idempotency_key": idempotency_key or key(),
        },
        **HTMX,
        **extra,
    )


def sidebar(html: str) -> list[str]:
    nav = html[html.index('aria-label="Console navigation"') : html.index("</nav>")]
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"</i>(.*?)</a>", nav)]


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", ["admin", "member", "pob_member", "outsider", "readonly_sub"])
def test_a1_billing_pages_render_for_each_role(client, catalog, request, role):
    client.force_login(request.getfixturevalue(role))
    for url in [*PAGES, "/billing/?tab=vouchers", "/billing/?tab=transactions"]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_a1_anonymous_users_are_sent_to_log_in(client, catalog):
    for url in PAGES:
        assert client.get(url).status_code == 302


def test_a1_readonly_sub_user_sees_but_cannot_buy_pay_or_top_up(client, catalog, readonly_sub):
    client.force_login(readonly_sub)
    html = client.get("/products/").content.decode()
    assert 'data-testid="buy"' not in html
    assert 'data-testid="top-up"' not in client.get("/billing/").content.decode()
    assert client.get("/products/buy/").status_code == 403
    assert post_buy(client).status_code == 403
    assert (
        client.post("/billing/top-up/", {"amount": "10", "idempotency_key": key()}).status_code
        == 403
    )
    assert not Order.objects.exists() and not Journal.objects.exists()


def test_sidebar_entries_in_spec_order_and_by_role(client, catalog, org, admin, member, pob_member):
    client.force_login(admin)
    labels = sidebar(client.get("/billing/").content.decode())
    assert labels[labels.index("Invitations") + 1 : labels.index("Audit log")] == [
        "Pay-on-behalf order management",
        "Pay-on-behalf bill management",
        "Billing Center",
        "Products",
        "Message center",
        "Service control policies",
        "Users &amp; permissions",
    ]
    client.force_login(pob_member)
    assert "Pay-on-behalf order management" in sidebar(client.get("/").content.decode())
    client.force_login(member)  # self-pay, pays for nobody
    labels = sidebar(client.get("/").content.decode())
    assert "Pay-on-behalf order management" not in labels
    assert {"Billing Center", "Products"} <= set(labels)


def test_sidebar_shows_pay_on_behalf_to_a_member_that_pays_for_another(
    client, catalog, org, admin, member
):
    join(org, admin, name="paid-by-member", payer=member.account)
    client.force_login(member)
    assert "Pay-on-behalf order management" in sidebar(client.get("/").content.decode())


def test_outsider_sees_billing_but_not_pay_on_behalf(client, catalog, outsider):
    client.force_login(outsider)
    labels = sidebar(client.get("/").content.decode())
    assert "Billing Center" in labels and "Pay-on-behalf order management" not in labels


# ------------------------------------------------------------------ payment method (B4, B5)


def test_b4_pay_on_behalf_member_sees_a_fixed_payment_method(
    client, catalog, org, admin, pob_member
):
    client.force_login(pob_member)
    payer = f"Pay on behalf by {org.admin_account.name} ({org.admin_account.uin})"
    for url in ("/products/", "/products/buy/"):
        html = client.get(url, **({"HTTP_HX_REQUEST": "true"} if "buy" in url else {})).content
        html = html.decode()
        assert payer in html, url
        assert "Your balance" not in html
        assert 'name="pay_mode"' not in html and 'name="payment' not in html  # no choice


def test_b5_self_payer_sees_its_available_balance(client, catalog, member):
    fund(member, "123.40", member)
    client.force_login(member)
    assert "Your balance (available 123.40 CNY)" in client.get("/products/").content.decode()
    assert (
        "Your balance (available 123.40 CNY)"
        in client.get("/products/buy/", **HTMX).content.decode()
    )


def test_products_show_list_and_offer_prices(client, catalog, member):
    from billing.models import Offer
    from billing.models.choices import OfferKind

    Offer.objects.create(
        account=member.account, product=catalog["p_cvm"], kind=OfferKind.CONTRACT, rate=D("0.80")
    )
    client.force_login(member)
    html = client.get("/products/").content.decode()
    row = html[html.index('data-spec="S5.MEDIUM4"') :]
    row = row[: row.index("</tr>")]
    assert "150.00 CNY" in row and "120.00 CNY" in row  # list, and what this account pays
    assert "Cloud Load Balancer" in html and "0.02 CNY" in html  # pay-as-you-go unit prices


# ------------------------------------------------------------------ placing orders


def test_b5_buy_places_a_paid_order_and_the_toast_says_how_much(client, catalog, member):
    fund(member, "500", member)
    client.force_login(member)
    response = post_buy(client, "S5.MEDIUM4", months=2)
    assert response.status_code == 204
    order = Order.objects.get()
    assert (order.status, order.kind, order.months, order.payable) == (
        OrderStatus.PAID,
        OrderKind.NEW,
        2,
        D("300.00"),
    )
    assert f"Order {order.order_no} is paid: 300.00 CNY from your balance." in toasts(response)
    assert {"closeModal", "ordersChanged", "resourcesChanged", "balanceChanged"} <= events(response)
    assert order.resource.instance_id in client.get("/products/").content.decode()


def test_b4_pay_on_behalf_purchase_is_paid_by_the_payer_and_says_so(
    client, catalog, org, admin, pob_member
):
    fund(admin, "1000", admin)
    client.force_login(pob_member)
    response = post_buy(client, "S5.MEDIUM4")
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID and order.payer == org.admin_account
    assert f"paid on behalf by {org.admin_account.name} ({org.admin_account.uin})" in toasts(
        response
    )
    assert cash(admin) == D("850.00") and cash(pob_member) == D("0.00")


def test_b4_short_payer_leaves_the_order_to_be_paid_and_says_so(
    client, catalog, org, admin, pob_member
):
    client.force_login(pob_member)
    response = post_buy(client, "S5.LARGE8")
    order = Order.objects.get()
    assert order.status == OrderStatus.TO_BE_PAID
    assert f"Order {order.order_no} is to be paid: 300.00 CNY." in toasts(response)
    assert "apply for pay-on-behalf" in toasts(response)


def test_b5_self_payer_without_funds_is_told_to_top_up(client, catalog, member):
    client.force_login(member)
    response = post_buy(client)
    assert "is to be paid: 150.00 CNY" in toasts(response) and "top up" in toasts(response)


def test_b4_a_double_submitted_buy_form_places_one_order(client, catalog, member):
    fund(member, "1000", member)
    client.force_login(member)
    same = key()
    assert post_buy(client, idempotency_key=same).status_code == 204
    assert post_buy(client, idempotency_key=same).status_code == 204
    assert Order.objects.count() == 1 and cash(member) == D("850.00")


def test_order_forms_carry_a_fresh_key_kept_on_rerender(client, catalog, member):
    client.force_login(member)
    first = re.search(
        r'name="idempotency_key" value="([0-9a-f]{32})"',
        client.get("/products/buy/", **HTMX).content.decode(),
    )
    second = re.search(
        r'name="idempotency_key" value="([0-9a-f]{32})"',
        client.get("/products/buy/", **HTMX).content.decode(),
    )
    assert first and second and first[1] != second[1]
    sent = key()
    response = post_buy(client, months=99, idempotency_key=sent)
    assert response.status_code == 422
    assert f'value="{sent}"' in response.content.decode()  # the re-rendered form keeps its key


def test_a_buy_without_a_key_is_refused_and_the_form_gets_one(client, catalog, member):
    fund(member, "1000", member)
    client.force_login(member)
    response = client.post(
        "/products/buy/",
        {"spec": spec("S5.MEDIUM4").pk, "region": region().pk, "months": 1},
        **HTMX,
    )
    assert response.status_code == 422
    assert "This form was incomplete" in response.content.decode()
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', response.content.decode())
    assert not Order.objects.exists()


def test_invalid_buy_form_rerenders_with_422(client, catalog, member):
    client.force_login(member)
    response = post_buy(client, months=0)
    assert response.status_code == 422 and b"<html" not in response.content
    assert "greater than or equal to 1" in response.content.decode()
    assert not Order.objects.exists()


# ------------------------------------------------------------------ resource actions


@pytest.fixture
def resource(catalog, member):
    fund(member, "2000", member)
    return buy(member, "S5.MEDIUM4", 1).resource


def test_renew_from_the_resources_table(client, resource, member):
    client.force_login(member)
    html = client.get("/products/").content.decode()
    assert f"/resources/{resource.instance_id}/renew/" in html
    end = resource.period_end
    response = client.post(
        f"/resources/{resource.instance_id}/renew/", {"months": 3, "idempotency_key": key()}, **HTMX
    )
    assert response.status_code == 204 and "is paid: 450.00 CNY" in toasts(response)
    resource.refresh_from_db()
    assert resource.period_end > end + timedelta(days=80)


def test_upgrade_offers_only_dearer_specs_and_downgrade_only_cheaper(client, resource, member):
    client.force_login(member)
    up = client.get(f"/resources/{resource.instance_id}/upgrade/", **HTMX).content.decode()
    down = client.get(f"/resources/{resource.instance_id}/downgrade/", **HTMX).content.decode()
    assert f'value="{spec("S5.LARGE8").pk}"' in up and f'value="{spec("S5.SMALL2").pk}"' not in up
    assert (
        f'value="{spec("S5.SMALL2").pk}"' in down and f'value="{spec("S5.LARGE8").pk}"' not in down
    )
    response = client.post(
        f"/resources/{resource.instance_id}/upgrade/",
        {"spec": spec("S5.LARGE8").pk, "idempotency_key": key()},
        **HTMX,
    )
    assert response.status_code == 204 and "is paid" in toasts(response)
    resource.refresh_from_db()
    assert resource.spec.code == "S5.LARGE8"
    response = client.post(
        f"/resources/{resource.instance_id}/downgrade/",
        {"spec": spec("S5.SMALL2").pk, "idempotency_key": key()},
        **HTMX,
    )
    assert response.status_code == 204
    assert "now runs on" in toasts(response) and "Refunded" in toasts(response)
    resource.refresh_from_db()
    assert resource.spec.code == "S5.SMALL2"


def test_a_spec_outside_the_choices_is_refused_on_its_field(client, resource, member):
    client.force_login(member)
    response = client.post(
        f"/resources/{resource.instance_id}/upgrade/",
        {"spec": spec("S5.SMALL2").pk, "idempotency_key": key()},
        **HTMX,
    )
    assert response.status_code == 422
    assert 'data-testid="field-error-spec"' in response.content.decode()


def test_b6_unsubscribe_from_the_page_refunds_and_terminates(client, resource, member):
    client.force_login(member)
    before = cash(member)
    response = client.post(
        f"/resources/{resource.instance_id}/unsubscribe/", {"idempotency_key": key()}, **HTMX
    )
    assert response.status_code == 204
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.TERMINATED
    refund = Order.objects.get(kind=OrderKind.UNSUBSCRIBE)
    assert cash(member) == before + refund.refund_amount > before
    assert f"{member.account.uin}" in toasts(response) and "Refunded" in toasts(response)
    assert (
        f"/resources/{resource.instance_id}/renew/" not in client.get("/products/").content.decode()
    )


def test_b6_a_double_submitted_unsubscribe_refunds_once(client, resource, member):
    client.force_login(member)
    same = key()
    url = f"/resources/{resource.instance_id}/unsubscribe/"
    assert client.post(url, {"idempotency_key": same}, **HTMX).status_code == 204
    refunded = cash(member)
    again = client.post(url, {"idempotency_key": same}, **HTMX)
    assert again.status_code in (204, 422)  # the service refuses a terminated resource first
    assert Order.objects.filter(kind=OrderKind.UNSUBSCRIBE).count() == 1
    assert cash(member) == refunded


def test_b6_refund_goes_to_both_payers_and_shows_in_both_transaction_lists(
    client, catalog, org, admin
):
    user = UserFactory(account__entity=org.admin_account.entity)
    fund(user, "300", user)
    res = buy(user, "S5.LARGE8").resource  # paid by the account itself, before joining
    join(org, admin, user=user, name="joiner", payer=org.admin_account)
    fund(admin, "1000", admin)
    up = services.order_upgrade(resource=res, acting_user=user, spec=spec("S5.2XLARGE16"))
    assert up.payer == org.admin_account and up.status == OrderStatus.PAID
    client.force_login(user)
    response = client.post(
        f"/resources/{res.instance_id}/unsubscribe/", {"idempotency_key": key()}, **HTMX
    )
    text = toasts(response)
    assert user.account.uin in text and org.admin_account.uin in text
    refund = Order.objects.get(kind=OrderKind.UNSUBSCRIBE)
    for who in (user, admin):
        client.force_login(who)
        html = client.get("/billing/", {"tab": "transactions", "kind": "refund"}).content.decode()
        assert refund.order_no in html and "+" in html
    client.force_login(admin)
    html = client.get("/billing/?tab=transactions").content.decode()
    assert "for member joiner" in html


# ------------------------------------------------------------------ pay-on-behalf orders


@pytest.fixture
def to_be_paid(catalog, org, admin, pob_member):
    """Three to-be-paid pay-on-behalf orders (the payer has no funds): 150, 300, 65."""
    return [buy(pob_member, code) for code in ("S5.MEDIUM4", "S5.LARGE8", "S5.SMALL2")]


def test_b4_admin_sees_members_orders_by_status(client, to_be_paid, org, admin, pob_member):
    fund(admin, "1000", admin)
    paid = buy(pob_member, "S5.MEDIUM4")
    client.force_login(admin)
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert all(o.order_no in html for o in to_be_paid) and paid.order_no not in html
    assert "member-pob" in html and pob_member.account.uin in html
    html = client.get("/pay-on-behalf/orders/?status=paid").content.decode()
    assert paid.order_no in html and to_be_paid[0].order_no not in html


def test_pay_on_behalf_filters_member_product_and_dates(client, to_be_paid, org, admin):
    other = join(org, admin, name="second-pob", payer=org.admin_account)
    theirs = services.order_buy(
        owner=other.account, acting_user=other, spec=spec("PREMIUM-100"), region=region(), months=1
    )
    client.force_login(admin)
    html = client.get("/pay-on-behalf/orders/", {"q": "second"}, **HTMX).content.decode()
    assert theirs.order_no in html and to_be_paid[0].order_no not in html
    html = client.get("/pay-on-behalf/orders/", {"q": other.account.uin}, **HTMX).content.decode()
    assert theirs.order_no in html and to_be_paid[0].order_no not in html
    html = client.get(
        "/pay-on-behalf/orders/", {"product": catalog_pk("p_cbs")}, **HTMX
    ).content.decode()
    assert theirs.order_no in html and to_be_paid[0].order_no not in html
    today = timezone.localdate()
    html = client.get(
        "/pay-on-behalf/orders/", {"since": str(today + timedelta(days=1))}, **HTMX
    ).content.decode()
    assert theirs.order_no not in html and "No orders match these filters." in html
    html = client.get("/pay-on-behalf/orders/", {"until": str(today)}, **HTMX).content.decode()
    assert theirs.order_no in html


def catalog_pk(code):
    from billing.models import Product

    return Product.objects.get(code=code).pk


def test_b4_admin_pays_a_to_be_paid_order_from_the_page(client, to_be_paid, org, admin):
    order = to_be_paid[0]
    fund(admin, "150", admin)
    client.force_login(admin)
    assert "Pay order" in client.get(f"/orders/{order.order_no}/pay/", **HTMX).content.decode()
    response = client.post(f"/orders/{order.order_no}/pay/", **HTMX)
    assert response.status_code == 204
    assert f"Order {order.order_no} is paid: 150.00 CNY." in toasts(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and cash(admin) == D("0.00")


def test_b4_paying_twice_pays_once_and_the_second_click_is_told(client, to_be_paid, org, admin):
    order = to_be_paid[0]
    fund(admin, "1000", admin)
    client.force_login(admin)
    assert client.post(f"/orders/{order.order_no}/pay/", **HTMX).status_code == 204
    again = client.post(f"/orders/{order.order_no}/pay/", **HTMX)
    assert again.status_code == 204
    assert f"Order {order.order_no} is already paid." in toasts(again)
    assert cash(admin) == D("850.00")


def test_b4_insufficient_funds_are_shown_in_the_modal(client, to_be_paid, admin):
    client.force_login(admin)
    response = client.post(f"/orders/{to_be_paid[0].order_no}/pay/", **HTMX)
    assert response.status_code == 422 and "Insufficient funds" in response.content.decode()


def test_b4_admin_cancels_a_to_be_paid_order(client, to_be_paid, admin):
    order = to_be_paid[1]
    client.force_login(admin)
    response = client.post(f"/orders/{order.order_no}/cancel/", **HTMX)
    assert response.status_code == 204 and "was cancelled" in toasts(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    html = client.get("/pay-on-behalf/orders/?status=cancelled").content.decode()
    assert order.order_no in html


def test_b4_member_applies_for_pay_on_behalf(client, to_be_paid, pob_member, admin):
    order = to_be_paid[0]
    client.force_login(pob_member)
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert f"/orders/{order.order_no}/apply/" in html
    assert f"/orders/{order.order_no}/pay/" not in html  # the member cannot pay
    response = client.post(f"/orders/{order.order_no}/apply/", **HTMX)
    assert response.status_code == 204 and "You applied for pay-on-behalf" in toasts(response)
    order.refresh_from_db()
    assert order.applied_at is not None
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert f"/orders/{order.order_no}/apply/" not in html  # applied: the action is gone
    client.force_login(admin)
    applied = timezone.localtime(order.applied_at)
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert applied.strftime("%Y-%m-%d") in html and applied.strftime("%H:%M:%S") in html


def test_b4_bulk_pay_reports_partial_results(client, to_be_paid, admin):
    fund(admin, "215", admin)  # covers 150 + 65, not the 300 in between
    client.force_login(admin)
    numbers = [o.order_no for o in to_be_paid]
    modal = client.get("/orders/pay/", {"orders": numbers}, **HTMX).content.decode()
    assert all(n in modal for n in numbers) and "515.00 CNY" in modal
    response = client.post("/orders/pay/", {"orders": numbers}, **HTMX)
    assert response.status_code == 204
    text = toasts(response)
    assert text.startswith("Paid 2 of 3: order ") and "Insufficient funds" in text
    assert to_be_paid[1].order_no in text
    statuses = dict(Order.objects.values_list("order_no", "status"))
    assert [statuses[n] for n in numbers] == [
        OrderStatus.PAID,
        OrderStatus.TO_BE_PAID,
        OrderStatus.PAID,
    ]


def test_b4_bulk_pay_of_nothing_payable_explains_in_the_modal(client, to_be_paid, admin):
    client.force_login(admin)
    response = client.post("/orders/pay/", {"orders": [to_be_paid[0].order_no]}, **HTMX)
    assert response.status_code == 422 and "Paid 0 of 1" in response.content.decode()
    response = client.post("/orders/pay/", {}, **HTMX)
    assert (
        response.status_code == 422
        and "Select orders in the table first." in response.content.decode()
    )


def test_b4_bulk_cancel_and_an_order_already_closed(client, to_be_paid, admin):
    services.order_cancel(order=to_be_paid[0], acting_user=admin)
    client.force_login(admin)
    numbers = [o.order_no for o in to_be_paid]
    response = client.post("/orders/cancel/", {"orders": numbers}, **HTMX)
    text = toasts(response)
    assert (
        text.startswith("Cancelled 2 of 3: ")
        and f"order {numbers[0]}: Order {numbers[0]} is cancelled" in text
    )
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}


def test_b5_self_payer_pays_its_own_order_in_billing_center(client, catalog, member):
    order = buy(member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID
    client.force_login(member)
    html = client.get("/billing/").content.decode()
    assert f"/orders/{order.order_no}/pay/" in html
    client.post("/billing/top-up/", {"amount": "200", "idempotency_key": key()}, **HTMX)
    response = client.post(f"/orders/{order.order_no}/pay/", **HTMX)
    assert response.status_code == 204
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and cash(member) == D("50.00")


# ------------------------------------------------------------------ Billing Center


def test_top_up_with_the_same_key_twice_credits_once(client, catalog, member):
    client.force_login(member)
    same = key()
    first = client.post("/billing/top-up/", {"amount": "88.80", "idempotency_key": same}, **HTMX)
    second = client.post("/billing/top-up/", {"amount": "88.80", "idempotency_key": same}, **HTMX)
    assert first.status_code == second.status_code == 204
    assert cash(member) == D("88.80") and Journal.objects.count() == 1
    assert "Topped up 88.80 CNY" in toasts(first)
    assert "balanceChanged" in events(first)


def test_top_up_keys_of_two_accounts_never_collide(client, catalog, member, admin):
    same = key()
    for user in (member, admin):
        client.force_login(user)
        client.post("/billing/top-up/", {"amount": "10", "idempotency_key": same}, **HTMX)
    assert cash(member) == cash(admin) == D("10.00")


def test_top_up_refuses_a_bad_amount_on_its_field(client, catalog, member):
    client.force_login(member)
    response = client.post("/billing/top-up/", {"amount": "-5", "idempotency_key": key()}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="field-error-amount"' in response.content.decode()


def test_b2_balance_cards_and_arrears_in_red(client, catalog, member, admin):
    services.wallet_set_credit_limit(account=member.account, limit=D("1000"), acting_user=admin)
    buy(member, "S5.MEDIUM4")  # paid on credit: cash −150.00
    client.force_login(member)
    html = client.get("/billing/").content.decode()
    assert re.search(r'class="stat text-danger" data-testid="balance-cash">−150.00 CNY', html)
    assert "using credit" in html and 'data-testid="arrears"' not in html  # B9: −150 + 1000 ≥ 0
    assert 'data-testid="balance-credit">1,000.00 CNY' in html
    assert 'data-testid="balance-available">850.00 CNY' in html
    services.wallet_set_credit_limit(account=member.account, limit=D("100"), acting_user=admin)
    html = client.get("/billing/").content.decode()
    assert 'data-testid="arrears"' in html  # −150 + 100 < 0


def test_billing_center_lists_own_orders_and_vouchers(client, catalog, member):
    now = timezone.now()
    Voucher.objects.create(
        account=member.account,
        code="WELCOME-50",
        face_value=D("50"),
        remaining=D("50"),
        product=Product_cvm(),
        min_order_amount=D("100"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    fund(member, "500", member)
    order = buy(member, "S5.MEDIUM4")
    client.force_login(member)
    html = client.get("/billing/").content.decode()
    assert order.order_no in html and "Self-pay" in html
    html = client.get("/billing/?tab=vouchers").content.decode()
    assert "WELCOME-50" in html and "Cloud Virtual Machine" in html and "100.00 CNY" in html
    assert "Used up" in html  # the 150.00 order took all 50.00
    html = client.get("/billing/?tab=transactions").content.decode()
    assert "−100.00 CNY" in html and "+500.00 CNY" in html


def Product_cvm():
    from billing.models import Product

    return Product.objects.get(code="p_cvm")


def test_b13_payer_transactions_are_labelled_with_the_member(
    client, catalog, org, admin, pob_member
):
    fund(admin, "500", admin)
    order = buy(pob_member, "S5.MEDIUM4")
    client.force_login(admin)
    html = client.get("/billing/?tab=transactions").content.decode()
    assert order.order_no in html and "for member member-pob" in html
    client.force_login(pob_member)
    html = client.get("/billing/?tab=transactions").content.decode()
    assert order.order_no not in html  # the member's own cash did not move
    html = client.get("/billing/").content.decode()
    assert order.order_no in html and "Pay on behalf" in html


# ------------------------------------------------------------------ A2: scope


def test_a2_out_of_scope_resources_are_404(client, resource, admin, outsider, member):
    for user in (admin, outsider):
        client.force_login(user)
        for action in ("renew", "upgrade", "downgrade", "unsubscribe"):
            url = f"/resources/{resource.instance_id}/{action}/"
            assert client.get(url).status_code == 404
            assert (
                client.post(
                    url, {"months": 1, "spec": spec("S5.LARGE8").pk, "idempotency_key": key()}
                ).status_code
                == 404
            )
    assert Order.objects.filter(resource=resource).count() == 1
    assert Resource.objects.get(pk=resource.pk).status == ResourceStatus.ACTIVE


def test_a2_out_of_scope_orders_are_404(
    client, to_be_paid, org, admin, pob_member, member, other_org
):
    _, admin2, _ = other_org
    order = to_be_paid[0]
    fund(admin2, "1000", admin2)
    for user, actions in (
        (admin2, ("pay", "cancel", "apply")),  # another organization's payer
        (member, ("pay", "cancel", "apply")),  # a sibling member
        (pob_member, ("pay",)),  # the owner cannot pay on its payer's behalf
        (admin, ("apply",)),  # only the owner applies
    ):
        client.force_login(user)
        for action in actions:
            assert client.get(f"/orders/{order.order_no}/{action}/").status_code == 404
            assert client.post(f"/orders/{order.order_no}/{action}/").status_code == 404
    client.force_login(admin2)
    client.post("/orders/pay/", {"orders": [order.order_no]}, **HTMX)
    order.refresh_from_db()
    assert order.status == OrderStatus.TO_BE_PAID and order.applied_at is None
    html = client.get("/pay-on-behalf/orders/").content.decode()
    assert order.order_no not in html


def test_a2_self_payers_order_is_not_the_admins_to_pay(client, catalog, admin, member):
    order = buy(member, "S5.MEDIUM4")
    fund(admin, "1000", admin)
    client.force_login(admin)
    assert client.post(f"/orders/{order.order_no}/pay/").status_code == 404
    assert order.order_no not in client.get("/pay-on-behalf/orders/").content.decode()
    assert order.order_no not in client.get("/billing/").content.decode()


# ------------------------------------------------------------------ htmx


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_pages_answer_htmx_with_the_partial_only(client, catalog, admin, pob_member, url):
    buy(pob_member, "S5.MEDIUM4")
    client.force_login(admin)
    full = client.get(url)
    partial = client.get(url, **HTMX)
    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b"<html" not in partial.content
    assert b"<table" in partial.content and b"sidebar" not in partial.content


def test_balance_cards_refresh_on_their_own(client, catalog, member):
    fund(member, "42", member)
    client.force_login(member)
    response = client.get("/billing/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="balance-cards")
    html = response.content.decode()
    assert 'id="balance-cards"' in html and "42.00 CNY" in html and "<table" not in html
    response = client.get("/products/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="payment-method")
    html = response.content.decode()
    assert "Your balance (available 42.00 CNY)" in html and "<table" not in html


def test_modal_openers_swap_inside_the_modal(client, to_be_paid, admin, pob_member):
    fund(pob_member, "500", pob_member)
    for user, url in (
        (admin, "/pay-on-behalf/orders/"),
        (pob_member, "/products/"),
        (admin, "/billing/"),
    ):
        client.force_login(user)
        html = client.get(url).content.decode()
        for tag in re.findall(r'<a [^>]*hx-target="#modal-content"[^>]*>', html):
            assert 'hx-swap="innerHTML"' in tag, tag
        for tag in re.findall(
            r"<a [^>]*hx-get=\"/(?:orders|resources|products/buy|billing/top-up)[^>]*>", html
        ):
            assert 'hx-target="#modal-content"' in tag, tag


def test_lists_keep_real_links_for_tabs_sorting_and_paging(client, to_be_paid, admin):
    client.force_login(admin)
    html = client.get("/pay-on-behalf/orders/", {"q": "member"}).content.decode()
    assert 'href="?q=member&amp;status=paid"' in html
    assert 'hx-get="?q=member&amp;status=paid"' in html
    assert "sort=" in html


# ------------------------------------------------------------------ bounded queries


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(admin, pob_member, member, n):
    """n more rows in every list: pay-on-behalf orders (paid and to be paid), resources,
    vouchers, transactions."""
    now = timezone.now()
    fund(admin, str(150 * n), admin)
    fund(member, str(200 * n), member)
    for _ in range(n):
        buy(pob_member, "S5.MEDIUM4")  # paid on behalf
        buy(member, "S5.SMALL2")
    for _ in range(n):
        buy(pob_member, "S5.SMALL2")  # the payer's cash is spent: to be paid
        Voucher.objects.create(
            account=member.account,
            code=f"V-{uuid.uuid4().hex[:12]}",
            face_value=D("1"),
            remaining=D("0"),
            valid_from=now - timedelta(days=2),
            valid_until=now - timedelta(days=1),
        )


# Pinned maxima (full pages, after the first request warms the caches). The Products page
# prices the whole catalog with one offer lookup (pricing.rates_for). Every full page also
# counts the top bar's unread-message badge (one query, cached on the request).
PINNED = {
    ("admin", "/pay-on-behalf/orders/"): 11,
    ("admin", "/pay-on-behalf/orders/?status=paid"): 11,
    ("admin", "/billing/?tab=transactions"): 9,
    ("pob_member", "/pay-on-behalf/orders/?status=paid"): 11,
    ("member", "/products/"): 17,
    ("member", "/billing/?tab=orders"): 12,
    ("member", "/billing/?tab=vouchers"): 10,
    ("member", "/billing/?tab=transactions"): 10,
}


@pytest.mark.parametrize(("role", "url"), list(PINNED))
def test_list_query_counts_are_pinned_and_constant(
    client,
    catalog,
    org,
    admin,
    pob_member,
    member,
    request,
    role,
    url,
    django_assert_max_num_queries,
):
    user = request.getfixturevalue(role)
    _grow(admin, pob_member, member, 2)
    client.force_login(user)
    client.get(url)  # warm caches (content types, permissions)
    small = _count_queries(client, url)
    _grow(admin, pob_member, member, 20)
    large = _count_queries(client, url)
    assert small == large
    with django_assert_max_num_queries(PINNED[(role, url)]):
        client.get(url)
