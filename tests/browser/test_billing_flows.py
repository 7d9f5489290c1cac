"""The billing flows as a person clicks them (SPEC §5): a member in pay-on-behalf mode buys
(B4), its payer pays, the member applies when the payer is short, the admin tops up, pays and
cancels; unsubscribing refunds every account that paid (B6) and both see it (B13). Every step
asserts what the user sees; screenshots land in /tmp/browser-shots/."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from billing import services
from billing.models import Order, Resource
from billing.models.choices import OrderKind, OrderStatus, ResourceStatus
from tests.billing.helpers import buy, cash, fund, region, spec
from tests.browser.conftest import login
from tests.factories import UserFactory, join

# ---------------------------------------------------------------- what a person does


def sidebar(page):
    return page.get_by_role("navigation", name="Console navigation")


def open_page(page, label, heading=None):
    sidebar(page).get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", name=heading or label, exact=True)).to_be_visible()


def open_modal(page, opener, title):
    """Click something that loads a form into the shared modal; return the shown modal."""
    opener.click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    # The form lands *inside* the dialog (hx-swap="innerHTML" on every opener).
    expect(page.locator("#modal-content [data-testid=modal-form]")).to_have_count(1)
    expect(modal.get_by_role("heading", name=title)).to_be_visible()
    return modal


def submit_modal(page, modal, button, *, status):
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.request.resource_type in ("xhr", "fetch")
    ) as response:
        modal.get_by_role("button", name=button, exact=True).click()
    assert response.value.status == status, f"{response.value.url}: {response.value.status}"
    if status == 204:
        expect(modal).to_be_hidden()


def expect_toast(page, text):
    toast = page.locator("#toasts .toast").filter(has_text=text)
    expect(toast.first).to_be_visible()
    return toast


def close_toasts(page):
    for button in page.locator("#toasts .toast .btn-close").all():
        if button.is_visible():
            button.click()
    expect(page.locator("#toasts .toast.show")).to_have_count(0)


def buy_in_modal(page, code, *, months=1, payment_text=None):
    """Products → Buy on the spec's row; check the payment method; place the order."""
    row = page.get_by_test_id("catalog").locator(f"tr[data-spec='{code}']")
    modal = open_modal(page, row.get_by_test_id("buy-spec"), "Buy a subscription")
    expect(modal.locator("select[name=spec]")).to_have_value(str(spec(code).pk))
    modal.locator("input[name=months]").fill(str(months))
    if payment_text:
        expect(modal.get_by_test_id("payment-method")).to_have_text(payment_text)
    return modal


def orders_table(page):
    return page.get_by_test_id("orders-table")


def order_row(page, order):
    return orders_table(page).locator(f"tr[data-order='{order.order_no}']")


def open_status_tab(page, label):
    tab = page.get_by_test_id("status-tabs").get_by_role("link", name=re.compile(rf"^{label}\b"))
    tab.click()
    expect(tab).to_have_class(re.compile(r"\bactive\b"))
    status = {
        "To be paid": "to_be_paid",
        "Paid": "paid",
        "Cancelled": "cancelled",
        "Refunded": "refunded",
    }[label]
    expect(page).to_have_url(re.compile(rf"[?&]status={status}(&|$)"))


def open_transactions(page):
    open_page(page, "Billing Center")
    page.get_by_role("link", name="Transaction details").click()
    expect(page).to_have_url(re.compile(r"[?&]tab=transactions"))
    return page.get_by_test_id("transactions-table")


# ---------------------------------------------------------------- the flow


def test_b4_pay_on_behalf_buy_apply_top_up_pay_and_cancel(
    page, new_page, live_server, catalog, org, admin, pob_member, password, shot
):
    payer_text = f"Pay on behalf by {org.admin_account.name} ({org.admin_account.uin})"
    fund(admin, "150.00", admin)  # enough for the first purchase only

    # --- 1. The member buys a CVM subscription; its payer pays at once.
    login(page, live_server, pob_member.username, password)
    expect(sidebar(page).get_by_role("link", name="Pay-on-behalf order management")).to_be_visible()
    open_page(page, "Products")
    expect(page.get_by_test_id("payment-method").first).to_have_text(payer_text)
    shot(page, "01-member-products")
    modal = buy_in_modal(page, "S5.MEDIUM4", payment_text=payer_text)
    shot(page, "02-buy-modal-pay-on-behalf")
    submit_modal(page, modal, "Place order", status=204)
    first = Order.objects.get()
    expect_toast(page, f"Order {first.order_no} is paid: 150.00 CNY, paid on behalf by")
    resources = page.get_by_test_id("resources-table")
    expect(resources.locator(f"tr[data-instance='{first.resource.instance_id}']")).to_be_visible()
    shot(page, "03-member-bought")
    assert first.status == OrderStatus.PAID and cash(admin) == Decimal("0.00")

    admin_page = new_page()
    login(admin_page, live_server, admin.username, password)
    open_page(admin_page, "Pay-on-behalf order management")
    open_status_tab(admin_page, "Paid")
    row = order_row(admin_page, first)
    expect(row).to_contain_text("member-pob")
    expect(row).to_contain_text(pob_member.account.uin)
    expect(row.get_by_test_id("status")).to_have_text("Paid")
    shot(admin_page, "04-admin-paid-tab")

    # --- 2. The payer is short: the next purchase is to be paid; the member applies.
    close_toasts(page)
    modal = buy_in_modal(page, "S5.LARGE8", payment_text=payer_text)
    submit_modal(page, modal, "Place order", status=204)
    second = Order.objects.exclude(pk=first.pk).get()
    expect_toast(page, f"Order {second.order_no} is to be paid: 300.00 CNY.")
    shot(page, "05-member-to-be-paid-toast")
    assert second.status == OrderStatus.TO_BE_PAID

    open_page(page, "Pay-on-behalf order management")
    row = order_row(page, second)
    expect(row.get_by_test_id("status")).to_have_text("To be paid")
    shot(page, "06-member-pay-on-behalf-orders")
    modal = open_modal(page, row.get_by_test_id("apply-order"), "Apply for pay-on-behalf")
    expect(modal).to_contain_text(second.order_no)
    submit_modal(page, modal, "Apply", status=204)
    expect_toast(page, f"You applied for pay-on-behalf of order {second.order_no}")
    expect(order_row(page, second).get_by_test_id("apply-order")).to_have_count(0)
    shot(page, "07-member-applied")
    second.refresh_from_db()
    assert second.applied_at is not None

    # The admin sees the application, tops up in Billing Center and pays the order.
    open_status_tab(admin_page, "To be paid")
    row = order_row(admin_page, second)
    expect(row).to_contain_text(second.applied_at.astimezone().strftime("%Y-%m-%d"))
    shot(admin_page, "08-admin-to-be-paid-applied")
    modal = open_modal(admin_page, row.get_by_test_id("pay-order"), f"Pay order {second.order_no}")
    submit_modal(admin_page, modal, "Pay now", status=422)
    expect(modal.get_by_test_id("form-error")).to_contain_text("Insufficient funds")
    shot(admin_page, "09-admin-pay-refused")
    modal.get_by_role("button", name="Close").click()
    expect(modal).to_be_hidden()

    open_page(admin_page, "Billing Center")
    expect(admin_page.get_by_test_id("balance-cash")).to_have_text("0.00 CNY")
    modal = open_modal(admin_page, admin_page.get_by_test_id("top-up"), "Top up")
    modal.locator("input[name=amount]").fill("500")
    shot(admin_page, "10-admin-top-up-modal")
    submit_modal(admin_page, modal, "Pay and top up", status=204)
    expect_toast(admin_page, "Topped up 500.00 CNY.")
    expect(admin_page.get_by_test_id("balance-cash")).to_have_text("500.00 CNY")  # in place
    shot(admin_page, "11-admin-billing-center-after-top-up")

    open_page(admin_page, "Pay-on-behalf order management")
    row = order_row(admin_page, second)
    modal = open_modal(admin_page, row.get_by_test_id("pay-order"), f"Pay order {second.order_no}")
    submit_modal(admin_page, modal, "Pay now", status=204)
    expect_toast(admin_page, f"Order {second.order_no} is paid: 300.00 CNY.")
    expect(order_row(admin_page, second)).to_have_count(0)  # left the To be paid tab
    open_status_tab(admin_page, "Paid")
    expect(order_row(admin_page, second).get_by_test_id("status")).to_have_text("Paid")
    shot(admin_page, "12-admin-paid-after-top-up")
    second.refresh_from_db()
    assert second.status == OrderStatus.PAID and cash(admin) == Decimal("200.00")

    # --- 3. Another purchase the payer cannot cover; the admin cancels it.
    close_toasts(page)
    open_page(page, "Products")
    modal = buy_in_modal(page, "S5.2XLARGE16", payment_text=payer_text)
    submit_modal(page, modal, "Place order", status=204)
    third = Order.objects.exclude(pk__in=[first.pk, second.pk]).get()
    expect_toast(page, f"Order {third.order_no} is to be paid: 600.00 CNY.")

    open_status_tab(admin_page, "To be paid")
    row = order_row(admin_page, third)
    modal = open_modal(
        admin_page, row.get_by_test_id("cancel-order"), f"Cancel order {third.order_no}"
    )
    shot(admin_page, "13-admin-cancel-confirm")
    submit_modal(admin_page, modal, "Cancel order", status=204)
    expect_toast(admin_page, f"Order {third.order_no} was cancelled.")
    expect(order_row(admin_page, third)).to_have_count(0)
    open_status_tab(admin_page, "Cancelled")
    expect(order_row(admin_page, third).get_by_test_id("status")).to_have_text("Cancelled")
    shot(admin_page, "14-admin-cancelled-tab")
    third.refresh_from_db()
    assert third.status == OrderStatus.CANCELLED and cash(admin) == Decimal("200.00")

    # The payer's transaction details list what it paid for the member, labelled (B13).
    table = open_transactions(admin_page)
    for order in (first, second):
        line = table.locator("tbody tr").filter(has_text=order.order_no)
        expect(line).to_contain_text("for member member-pob")
    shot(admin_page, "15-admin-transactions")


def test_b6_unsubscribe_refunds_the_member_and_the_payer_and_both_see_it(
    page, new_page, live_server, catalog, org, admin, password, shot
):
    """A resource bought by the member before joining (300.00 of its own cash), upgraded after
    joining in pay-on-behalf mode (paid by the payer): unsubscribing refunds both."""
    user = UserFactory(account__entity=org.admin_account.entity)
    fund(user, "300.00", user)
    res = buy(user, "S5.LARGE8").resource  # self-paid, before joining
    join(org, admin, user=user, name="joiner", payer=org.admin_account)
    fund(admin, "1000.00", admin)

    # --- The member upgrades on the Products page; the payer pays the difference.
    login(page, live_server, user.username, password)
    open_page(page, "Products")
    row = page.get_by_test_id("resources-table").locator(f"tr[data-instance='{res.instance_id}']")
    expect(row).to_contain_text("S5 · 4 vCPU · 8 GiB")
    modal = open_modal(page, row.get_by_test_id("upgrade"), f"Upgrade {res.instance_id}")
    expect(modal.get_by_test_id("payment-method")).to_contain_text("Pay on behalf by")
    modal.locator("select[name=spec]").select_option(str(spec("S5.2XLARGE16").pk))
    shot(page, "01-upgrade-modal")
    submit_modal(page, modal, "Place upgrade order", status=204)
    expect_toast(page, "paid on behalf by")
    expect(row).to_contain_text("S5 · 8 vCPU · 16 GiB")
    upgrade = Order.objects.get(kind=OrderKind.UPGRADE)
    assert upgrade.payer == org.admin_account and upgrade.status == OrderStatus.PAID
    close_toasts(page)

    # --- The member unsubscribes; both payers get their share back.
    modal = open_modal(page, row.get_by_test_id("unsubscribe"), f"Unsubscribe {res.instance_id}")
    expect(modal).to_contain_text("refunded to the accounts that paid for it")
    shot(page, "02-unsubscribe-confirm")
    submit_modal(page, modal, "Unsubscribe", status=204)
    refund = Order.objects.get(kind=OrderKind.UNSUBSCRIBE)
    toast = expect_toast(page, f"{res.instance_id} is unsubscribed and terminated.")
    expect(toast).to_contain_text(user.account.uin)
    expect(toast).to_contain_text(org.admin_account.uin)
    expect(row.get_by_test_id("status")).to_have_text("Terminated")
    expect(row.get_by_test_id("unsubscribe")).to_have_count(0)
    shot(page, "03-unsubscribed")
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.TERMINATED
    member_share = cash(user)  # it had spent all its cash before: the refund is all of it
    assert member_share > 0

    # The member's transaction details show its refund line.
    table = open_transactions(page)
    line = table.locator("tbody tr").filter(has_text=refund.order_no)
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Refund")
    expect(line).to_contain_text(f"+{member_share:,.2f} CNY")
    shot(page, "04-member-transactions-refund")

    # So do the payer's, labelled with the member.
    admin_page = new_page()
    login(admin_page, live_server, admin.username, password)
    table = open_transactions(admin_page)
    admin_page.locator("#filter-form select[name=kind]").select_option("refund")
    expect(admin_page).to_have_url(re.compile(r"[?&]kind=refund"))
    line = table.locator("tbody tr").filter(has_text=refund.order_no)
    expect(line).to_have_count(1)
    expect(line).to_contain_text("for member joiner")
    expect(line).to_contain_text("+")
    shot(admin_page, "05-payer-transactions-refund")
    assert cash(admin) > Decimal("1000.00") - upgrade.charged

    # Pay-on-behalf order management lists the refund under Refunded, for both.
    open_page(admin_page, "Pay-on-behalf order management")
    open_status_tab(admin_page, "Refunded")
    expect(order_row(admin_page, refund)).to_contain_text("Unsubscribe")
    shot(admin_page, "06-payer-refunded-tab")


# ---------------------------------------------------------------- bulk, and the self-payer


def test_b4_bulk_pay_of_selected_rows_reports_partial_results(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    orders = [buy(pob_member, code) for code in ("S5.MEDIUM4", "S5.LARGE8", "S5.SMALL2")]
    fund(admin, "215.00", admin)  # 150 + 65: the 300.00 one is refused
    login(page, live_server, admin.username, password)
    open_page(page, "Pay-on-behalf order management")
    expect(orders_table(page).locator("tbody tr")).to_have_count(3)
    bulk_pay = page.get_by_test_id("bulk-pay")
    expect(bulk_pay).to_be_disabled()
    orders_table(page).get_by_label("Select all").check()
    expect(bulk_pay).to_be_enabled()
    expect(page.locator("[data-order-count]")).to_have_text("3")
    shot(page, "01-selected")

    modal = open_modal(page, bulk_pay, "Pay selected orders")
    expect(modal.get_by_test_id("selected-orders")).to_contain_text("515.00 CNY")
    shot(page, "02-bulk-confirm")
    submit_modal(page, modal, "Pay selected orders", status=204)
    toast = expect_toast(page, "Paid 2 of 3: order ")
    expect(toast).to_contain_text(f"order {orders[1].order_no}: Insufficient funds")
    rows = orders_table(page).locator("tbody tr")
    expect(rows).to_have_count(1)  # the table refreshed in place: one is still to be paid
    expect(order_row(page, orders[1])).to_be_visible()
    expect(page.get_by_test_id("bulk-pay")).to_be_disabled()
    shot(page, "03-partial-result")
    assert [Order.objects.get(pk=o.pk).status for o in orders] == [
        OrderStatus.PAID,
        OrderStatus.TO_BE_PAID,
        OrderStatus.PAID,
    ]


def test_b5_self_payer_buys_short_tops_up_and_pays_in_billing_center(
    page, live_server, catalog, member, password, shot
):
    login(page, live_server, member.username, password)
    expect(sidebar(page).get_by_role("link", name="Pay-on-behalf order management")).to_have_count(
        0
    )
    open_page(page, "Products")
    expect(page.get_by_test_id("payment-method").first).to_have_text(
        "Your balance (available 0.00 CNY)"
    )
    modal = buy_in_modal(
        page, "S5.SMALL2", months=2, payment_text="Your balance (available 0.00 CNY)"
    )
    submit_modal(page, modal, "Place order", status=204)
    order = Order.objects.get()
    expect_toast(page, f"Order {order.order_no} is to be paid: 130.00 CNY.")

    open_page(page, "Billing Center")
    row = order_row(page, order)
    expect(row.get_by_test_id("status")).to_have_text("To be paid")
    modal = open_modal(page, page.get_by_test_id("top-up"), "Top up")
    modal.locator("input[name=amount]").fill("200")
    submit_modal(page, modal, "Pay and top up", status=204)
    expect(page.get_by_test_id("balance-available")).to_have_text("200.00 CNY")
    modal = open_modal(page, row.get_by_test_id("pay-order"), f"Pay order {order.order_no}")
    expect(modal.get_by_test_id("payment-method")).to_have_text(
        "Your balance (available 200.00 CNY)"
    )
    submit_modal(page, modal, "Pay now", status=204)
    expect(order_row(page, order).get_by_test_id("status")).to_have_text("Paid")
    expect(page.get_by_test_id("balance-cash")).to_have_text("70.00 CNY")
    shot(page, "01-billing-center-paid")

    page.get_by_role("link", name="Transaction details").click()
    table = page.get_by_test_id("transactions-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("−130.00 CNY")
    shot(page, "02-transactions")

    order.refresh_from_db()
    open_page(page, "Products")
    row = page.get_by_test_id("resources-table").locator("tbody tr").first
    expect(row).to_contain_text(order.resource.instance_id)
    modal = open_modal(page, row.get_by_test_id("renew"), f"Renew {order.resource.instance_id}")
    modal.locator("input[name=months]").fill("40")
    submit_modal(page, modal, "Place renewal order", status=422)
    expect(modal.get_by_test_id("field-error-months")).to_be_visible()
    shot(page, "03-renew-refused")


def test_lists_filter_and_page_in_place_with_real_links(
    page, live_server, catalog, org, admin, pob_member, password, shot
):
    for _ in range(27):
        buy(pob_member, "S5.SMALL2")
    other = join(org, admin, name="second-pob", payer=org.admin_account)
    theirs = services.order_buy(
        owner=other.account,
        acting_user=other,
        spec=spec("PREMIUM-100"),
        region=region(),
        months=1,
    )
    login(page, live_server, admin.username, password)
    open_page(page, "Pay-on-behalf order management")
    table = orders_table(page)
    expect(table.get_by_test_id("row-count")).to_have_text("1–25 of 28")
    page.evaluate("window.samePage = true")
    table.get_by_role("navigation", name="Pages").get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(table.get_by_test_id("row-count")).to_have_text("26–28 of 28")
    shot(page, "01-page-two")

    with page.expect_response(lambda r: "q=second" in r.url):
        page.locator("#filter-form input[name=q]").fill("second")
    expect(page).to_have_url(re.compile(r"[?&]q=second(&|$)"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(order_row(page, theirs)).to_contain_text(other.account.uin)
    assert page.evaluate("window.samePage === true"), "the filter reloaded the whole page"
    shot(page, "02-filtered")
    page.reload()
    expect(table.locator("tbody tr")).to_have_count(1)


def test_b2_b15_billing_center_shows_arrears_in_red_and_vouchers(
    page, live_server, catalog, admin, member, password, shot
):
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Product, Voucher

    now = timezone.now()
    Voucher.objects.create(
        account=member.account,
        code="CVM-30",
        face_value=Decimal("30.00"),
        remaining=Decimal("30.00"),
        product=Product.objects.get(code="p_cvm"),
        min_order_amount=Decimal("100.00"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=60),
    )
    services.wallet_set_credit_limit(
        account=member.account, limit=Decimal("500.00"), acting_user=admin
    )
    order = buy(member, "S5.MEDIUM4")  # 30.00 voucher, 120.00 on credit: cash −120.00
    login(page, live_server, member.username, password)
    open_page(page, "Billing Center")
    cash_card = page.get_by_test_id("balance-cash")
    expect(cash_card).to_have_text("−120.00 CNY")
    expect(cash_card).to_have_class(re.compile(r"\btext-danger\b"))
    expect(page.get_by_text("using credit")).to_be_visible()  # −120 + 500 ≥ 0: not arrears (B9)
    expect(page.get_by_test_id("arrears")).to_have_count(0)
    expect(page.get_by_test_id("balance-available")).to_have_text("380.00 CNY")
    expect(order_row(page, order)).to_contain_text("voucher 30.00 CNY")
    shot(page, "01-arrears")

    page.get_by_role("link", name="Vouchers").click()
    table = page.get_by_test_id("vouchers-table")
    row = table.locator("tbody tr").filter(has_text="CVM-30")
    expect(row).to_contain_text("Cloud Virtual Machine")
    expect(row).to_contain_text("100.00 CNY")
    expect(row).to_contain_text("Used up")
    shot(page, "02-vouchers")
