"""B1–B6, B13–B15: payments, pay-on-behalf, refunds, offers and vouchers, with exact Decimals."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from billing import services
from billing.models import (
    BillLine,
    Entry,
    Journal,
    Message,
    Offer,
    Order,
    RefundShare,
    Resource,
    Voucher,
)
from billing.models.choices import Book, OfferKind, OrderStatus, PayMode, ResourceStatus
from billing.money import split
from billing.services.orders import refund_split
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, cash, fund, ledger_cash, spec
from tests.factories import join, update_and_accept

pytestmark = pytest.mark.django_db


def assert_books_balance():
    for journal in Journal.objects.all():
        assert journal.entries.aggregate(s=Sum("amount"))["s"] == 0, journal


# ------------------------------------------------------------------ B1 / B2


def test_b1_top_up_is_a_balanced_journal_and_the_cached_balance_follows_the_ledger(catalog, admin):
    fund(admin, "100.10", admin)
    fund(admin, "0.01", admin)
    assert cash(admin) == ledger_cash(admin) == D("100.11")
    assert_books_balance()
    assert Entry.objects.filter(account=admin.account, book=Book.CASH).latest(
        "id"
    ).balance_after == D("100.11")


def test_b1_floats_never_touch_money():
    from billing.money import q

    with pytest.raises(TypeError):
        q(0.1)
    assert q(D("2.345")) == D("2.35") and q(D("2.344")) == D("2.34")


def test_b1_refund_split_leaves_no_cent_unassigned():
    assert split(D("1.00"), [D(1), D(1), D(1)]) == [D("0.34"), D("0.33"), D("0.33")]
    assert sum(split(D("250.00"), [D("300"), D("200")])) == D("250.00")


def test_b2_available_is_cash_plus_credit_minus_frozen(catalog, admin):
    operator = admin
    services.wallet_set_credit_limit(account=admin.account, limit=D("500"), acting_user=operator)
    fund(admin, "100", admin)
    wallet = admin.account.wallet
    wallet.refresh_from_db()
    assert wallet.available == D("600.00")


# ------------------------------------------------------------------ B5 self-pay


def test_b5_self_payer_pays_from_cash_then_credit(catalog, org, admin, member):
    services.wallet_set_credit_limit(account=member.account, limit=D("100"), acting_user=admin)
    fund(member, "100", member)
    order = buy(member, "S5.MEDIUM4")  # 150.00
    assert (
        order.status == OrderStatus.PAID
        and order.pay_mode == PayMode.SELF
        and order.payer == member.account
    )
    assert (order.cash_amount, order.credit_amount) == (D("100.00"), D("50.00"))
    assert cash(member) == D("-50.00") == ledger_cash(member)
    assert Resource.objects.get(pk=order.resource_id).status == ResourceStatus.ACTIVE


def test_b5_self_payer_without_funds_leaves_the_order_unpaid(catalog, org, admin, member):
    order = buy(member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID and order.resource_id is None
    assert not Journal.objects.filter(order=order).exists()
    fund(member, "150", member)
    services.order_pay(order=order, acting_user=member)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and cash(member) == D("0.00")


# ------------------------------------------------------------------ B4 pay-on-behalf


def test_b4_pay_on_behalf_member_is_paid_for_at_once_by_the_payer(catalog, org, admin, pob_member):
    fund(admin, "1000", admin)
    fund(pob_member, "500", pob_member)  # its own cash is never used
    order = buy(pob_member, "S5.MEDIUM4", months=2)
    assert order.status == OrderStatus.PAID
    assert order.pay_mode == PayMode.ON_BEHALF and order.payer == admin.account
    assert cash(admin) == D("700.00") and cash(pob_member) == D("500.00")
    line = BillLine.objects.get(order=order)
    assert (line.owner, line.payer, line.cash_amount, line.list_cost) == (
        pob_member.account,
        admin.account,
        D("300.00"),
        D("300.00"),
    )


def test_b4_short_payer_leaves_the_order_to_be_paid_then_apply_and_pay(
    catalog, org, admin, pob_member
):
    fund(admin, "100", admin)
    order = buy(pob_member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID and cash(admin) == D("100.00")
    assert Message.objects.filter(account=admin.account, order=order).exists()
    services.order_apply(order=order, acting_user=pob_member)
    with pytest.raises(DomainError, match="already applied"):
        services.order_apply(order=order, acting_user=pob_member)
    assert Message.objects.filter(account=admin.account, title__contains="applied").exists()
    with pytest.raises(
        DomainError,
        match=r"Insufficient funds: .* 100.00 CNY available and the order needs 150.00 CNY",
    ):
        services.order_pay(order=order, acting_user=admin)
    fund(admin, "50", admin)
    services.order_pay(order=order, acting_user=admin)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and cash(admin) == D("0.00")
    with pytest.raises(DomainError, match="already paid"):
        services.order_pay(order=order, acting_user=admin)
    assert Journal.objects.filter(order=order).count() == 1


def test_b4_admin_cancels_a_to_be_paid_order(catalog, org, admin, pob_member):
    order = buy(pob_member)
    services.order_cancel(order=order, acting_user=admin)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    with pytest.raises(DomainError, match="cancelled"):
        services.order_pay(order=order, acting_user=admin)
    assert Message.objects.filter(account=pob_member.account, title__contains="cancelled").exists()


def test_b4_a_double_submitted_purchase_pays_once(catalog, org, admin, pob_member):
    fund(admin, "1000", admin)
    first = buy(pob_member, idempotency_key="form-token-1")
    second = buy(pob_member, idempotency_key="form-token-1")
    assert first.pk == second.pk
    assert cash(admin) == D("850.00") and Order.objects.count() == 1


# ------------------------------------------------------------------ B6 refunds


def test_b6_refund_split_by_payment_ratio_worked_example():
    """SPEC B6 verbatim: 300.00 member cash; 150.00 payer cash + 50.00 voucher; refundable 250.00
    → member 150.00, payer 75.00, voucher share 25.00 not returned."""

    class P:
        def __init__(self, voucher, charged):
            self.voucher_amount, self.charged = D(voucher), D(charged)

    member_payment, payer_payment = P("0", "300.00"), P("50.00", "150.00")
    parts = refund_split([member_payment, payer_payment], [D("300.00"), D("200.00")], D("250.00"))
    assert [(v, c) for _p, v, c in parts] == [(D("0.00"), D("150.00")), (D("25.00"), D("75.00"))]


def test_b6_refund_split_end_to_end_across_joining(catalog, org, admin, password):
    """The worked example through the services: the member pays 300.00 before joining; after
    joining, an upgrade costs the payer 150.00 cash + 50.00 voucher; unsubscribing at half the
    period refunds 250.00: 150.00 to the member, 75.00 to the payer, 25.00 voucher kept."""
    from tests.factories import UserFactory

    user = UserFactory(account__entity=org.admin_account.entity)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        fund(user, "300", user)
        order = buy(user, "S5.LARGE8", months=1)  # 300.00 self-paid before joining
    end = Resource.objects.get(pk=order.resource_id).period_end
    half = start + (end - start) / 2
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        join(org, admin, user=user, name="joiner", payer=org.admin_account)
    # Upgrade priced at 200.00 list: (600 - 300) × remaining days / 30.
    fund(admin, "150", admin)
    Voucher.objects.create(
        account=admin.account,
        code="V-50",
        face_value=D("50"),
        remaining=D("50"),
        valid_from=start - timedelta(days=1),
        valid_until=start + timedelta(days=90),
    )
    resource = Resource.objects.get(pk=order.resource_id)
    days = (end - (start + timedelta(hours=2))).total_seconds() / 86400
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        # make the upgrade list exactly 200.00 by pricing from a spec 200 × 30 / days dearer
        upgrade_spec = spec("S5.2XLARGE16")
        upgrade_spec.monthly_price = (D("300.00") + D("200.00") * D(30) / D(str(days))).quantize(
            D("0.0001")
        )
        upgrade_spec.save()
        up = services.order_upgrade(resource=resource, acting_user=user, spec=upgrade_spec)
    assert (up.list_cost, up.voucher_amount, up.charged, up.payer) == (
        D("200.00"),
        D("50.00"),
        D("150.00"),
        admin.account,
    )
    with time_machine.travel(half, tick=False):
        unsub = services.order_unsubscribe(resource=resource, acting_user=user)
    shares = {
        s.account_id: (s.cash_amount, s.voucher_amount)
        for s in RefundShare.objects.filter(refund_order=unsub)
    }
    assert unsub.list_cost == D("250.00")
    assert shares == {
        user.account_id: (D("150.00"), D("0.00")),
        admin.account_id: (D("75.00"), D("25.00")),
    }
    assert cash(user) == D("150.00") and cash(admin) == D("75.00")
    assert_books_balance()


def test_b6_refunds_never_exceed_what_was_paid_and_go_to_a_former_payer(
    catalog, org, admin, pob_member
):
    fund(admin, "1000", admin)
    order = buy(pob_member, "S5.MEDIUM4", months=3)  # 450.00 by the payer
    m = pob_member.account.membership

    update_and_accept(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )  # now self-pay
    resource = Resource.objects.get(pk=order.resource_id)
    services.order_unsubscribe(resource=resource, acting_user=pob_member)
    refunded = RefundShare.objects.filter(payment_order=order).aggregate(s=Sum("cash_amount"))["s"]
    assert D("0") < refunded <= D("450.00")
    assert cash(admin) == D("550.00") + refunded  # the refund goes to the payer that paid
    assert cash(pob_member) == D("0.00")
    assert_books_balance()


# ------------------------------------------------------------------ B3 / B14 offers, B15 vouchers


def test_b3_owner_offer_discounts_the_order(catalog, org, admin, member):
    Offer.objects.create(
        account=member.account, product=catalog["p_cvm"], kind=OfferKind.REBATE, rate=D("0.85")
    )
    fund(member, "1000", member)
    order = buy(member, "S5.MEDIUM4", months=1)
    assert (order.list_cost, order.discount, order.payable) == (
        D("150.00"),
        D("22.50"),
        D("127.50"),
    )


def test_b15_one_voucher_per_order_the_eligible_one_expiring_first(catalog, org, admin, member):
    now = timezone.now()
    Voucher.objects.create(
        account=member.account,
        code="LATE",
        face_value=D("40"),
        remaining=D("40"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    Voucher.objects.create(
        account=member.account,
        code="SOON",
        face_value=D("30"),
        remaining=D("30"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=5),
    )
    Voucher.objects.create(
        account=member.account,
        code="MIN",
        face_value=D("99"),
        remaining=D("99"),
        min_order_amount=D("1000"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=2),
    )
    Voucher.objects.create(
        account=member.account,
        code="CDB",
        face_value=D("99"),
        remaining=D("99"),
        product=catalog["p_cdb"],
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )
    fund(member, "200", member)
    order = buy(member, "S5.MEDIUM4")
    assert (
        order.voucher.code == "SOON"
        and order.voucher_amount == D("30.00")
        and order.charged == D("120.00")
    )
    assert Voucher.objects.get(code="SOON").remaining == D("0.00")


def test_b15_pay_on_behalf_members_use_the_payers_vouchers_never_their_own(
    catalog, org, admin, pob_member
):
    now = timezone.now()
    Voucher.objects.create(
        account=pob_member.account,
        code="OWN",
        face_value=D("100"),
        remaining=D("100"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=5),
    )
    Voucher.objects.create(
        account=admin.account,
        code="PAYER",
        face_value=D("20"),
        remaining=D("20"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=50),
    )
    fund(admin, "500", admin)
    order = buy(pob_member, "S5.MEDIUM4")
    assert order.voucher.code == "PAYER" and Voucher.objects.get(code="OWN").remaining == D(
        "100.00"
    )


# ------------------------------------------------------------------ B13 transaction details


def test_b13_payer_movements_are_labelled_with_the_member(catalog, org, admin, pob_member):
    fund(admin, "500", admin)
    order = buy(pob_member)
    entry = Entry.objects.get(account=admin.account, book=Book.CASH, order=order)
    assert (
        entry.owner == pob_member.account
        and entry.amount == D("-150.00")
        and entry.balance_after == D("350.00")
    )


# ------------------------------------------------------------------ check_books


def test_b1_check_books_passes_on_real_flows_and_catches_tampering(catalog, org, admin, pob_member):
    from django.core.management import CommandError, call_command

    from billing.models import Wallet

    fund(admin, "1000", admin)
    order = buy(pob_member, "S5.MEDIUM4", months=2)
    services.order_unsubscribe(
        resource=Resource.objects.get(pk=order.resource_id), acting_user=pob_member
    )
    call_command("check_books")
    Wallet.objects.filter(account=admin.account).update(cash=D("999.99"))  # tamper with the cache
    with pytest.raises(CommandError, match="problem"):
        call_command("check_books")


def test_b3_upgrade_price_worked_example_from_docs(catalog, org, admin):
    """docs/pricing.md: 150 → 300 a month with 12 days 6 hours left is 61.25; a 0.90 contract
    offer takes 6.13 off (6.125 half-up) and the payer pays 55.12."""
    from billing.services import pricing

    now = timezone.now()
    list_cost = pricing.upgrade_list_cost(
        spec("S5.MEDIUM4"), spec("S5.LARGE8"), now + timedelta(days=12, hours=6), now
    )
    assert list_cost == D("61.25")
    Offer.objects.create(
        account=admin.account, product=None, kind=OfferKind.CONTRACT, rate=D("0.90")
    )
    p = pricing.price(admin.account, catalog["p_cvm"], list_cost)
    assert (p.discount, p.payable) == (D("6.13"), D("55.12"))


def test_b4_only_the_payer_pays_and_only_the_owner_applies(catalog, org, admin, pob_member, member):
    order = buy(pob_member)
    with pytest.raises(DomainError, match="cannot act on this order"):
        services.order_pay(order=order, acting_user=pob_member)
    with pytest.raises(DomainError, match="cannot act on this order"):
        services.order_apply(order=order, acting_user=admin)
    with pytest.raises(DomainError, match="cannot act on this order"):
        services.order_cancel(order=order, acting_user=member)


def test_b6_a_double_submitted_unsubscribe_returns_the_first_order(catalog, org, admin, member):
    fund(member, "500", member)
    res = Resource.objects.get(pk=buy(member, months=2).resource_id)
    first = services.order_unsubscribe(resource=res, acting_user=member, idempotency_key="u1")
    again = services.order_unsubscribe(resource=res, acting_user=member, idempotency_key="u1")
    assert first.pk == again.pk and RefundShare.objects.filter(refund_order=first).count() == 1


def test_b1_top_up_keys_are_per_account(catalog, admin, member):
    services.wallet_top_up(
        account=admin.account, amount=D("10"), acting_user=admin, idempotency_key="same"
    )
    services.wallet_top_up(
        account=admin.account, amount=D("10"), acting_user=admin, idempotency_key="same"
    )
    services.wallet_top_up(
        account=member.account, amount=D("10"), acting_user=member, idempotency_key="same"
    )
    assert (cash(admin), cash(member)) == (D("10.00"), D("10.00"))
