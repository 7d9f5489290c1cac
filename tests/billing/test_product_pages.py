"""The billing pages as a user meets them (SPEC §5), first Products: the pages for each role
and the sidebar, the fixed payment method of B4, orders placed from the page with idempotent
forms, and the resource actions (renew, change spec, unsubscribe)."""

import re
from datetime import timedelta

import pytest

from billing import services
from billing.models import Journal, Order
from billing.models.choices import OrderKind, OrderStatus, ResourceStatus
from tests.billing.helpers import D, buy, cash, fund, region, spec
from tests.billing.page_helpers import HTMX, events, key, post_buy, sidebar, toasts
from tests.factories import UserFactory, join

pytestmark = pytest.mark.django_db
PAGES = ["/products/", "/pay-on-behalf/orders/", "/billing/"]


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
        "Cost analysis",
        "Budgets",
        "Fund transfer",
        "Credit limits",
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
    assert {"Billing Center", "Cost analysis", "Products"} <= set(labels)
    assert "Budgets" not in labels  # F7: budgets are the admin account's
    assert "Fund transfer" not in labels  # F12: so is transferring funds
    assert "Credit limits" not in labels  # F14: and allocating credit


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
