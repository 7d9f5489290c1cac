"""The billing pages as a user meets them (SPEC §5): Pay-on-behalf order management (orders
paid, cancelled and applied for from the page, bulk results) and Billing Center (top-up,
balance cards, own orders, vouchers and transactions)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services
from billing.models import Journal, Order, Voucher
from billing.models.choices import OrderStatus
from tests.billing.helpers import D, buy, cash, fund, region, spec
from tests.billing.page_helpers import HTMX, events, key, toasts
from tests.factories import join

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ pay-on-behalf orders


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
