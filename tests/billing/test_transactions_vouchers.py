"""B13 with vouchers (B15): every movement of an account's money is in its transaction details,
a payment made by voucher included (amount, voucher used, cash 0.00), in the page and the CSV,
with the direction and "paid for" filters; pay-on-behalf voucher payments are the payer's."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import services
from billing.models import Voucher
from tests.billing.helpers import D, buy, fund

pytestmark = pytest.mark.django_db


def _voucher(user, face="500", code=None):
    now = timezone.now()
    return Voucher.objects.create(
        account=user.account,
        code=code or f"V-{uuid.uuid4().hex[:10]}",
        face_value=D(face),
        remaining=D(face),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )


def _csv(client, **params):
    response = client.get("/billing/transactions/export.csv", params)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    return rows


def _rows_of(client, order, **params):
    return [r for r in _csv(client, **params) if r["order_no"] == order.order_no]


def _page(client, **params):
    return client.get("/billing/", {"tab": "transactions", **params}).content.decode()


def test_b13_voucher_only_payment_is_listed(client, catalog, member):
    voucher = _voucher(member, code="ALL-OF-IT")
    order = buy(member, "S5.MEDIUM4")  # 150.00, all by voucher
    assert (order.voucher_amount, order.cash_amount, order.credit_amount) == (
        D("150.00"),
        D("0.00"),
        D("0.00"),
    )
    client.force_login(member)
    html = _page(client)
    assert order.order_no in html and "ALL-OF-IT" in html
    assert "−150.00 CNY" in html  # the amount
    assert '<span data-testid="cash">0.00 CNY</span>' in html
    [row] = _rows_of(client, order)
    assert (row["type"], row["amount"], row["cash"], row["voucher_code"]) == (
        "payment",
        "-150.00",
        "0.00",
        voucher.code,
    )
    assert _rows_of(client, order, direction="out") == [row]
    assert _rows_of(client, order, direction="in") == []
    assert _rows_of(client, order, paid_for="self") == [row]
    assert _rows_of(client, order, paid_for="members") == []
    assert order.order_no in _page(client, kind="payment", direction="out")
    call_command("check_books")


def test_b13_a_payment_partly_by_voucher_lists_both_movements(client, catalog, member):
    _voucher(member, face="50", code="HALF")
    fund(member, "500", member)
    order = buy(member, "S5.MEDIUM4")
    client.force_login(member)
    rows = _rows_of(client, order)
    assert sorted((r["amount"], r["cash"], r["voucher_code"]) for r in rows) == [
        ("-100.00", "-100.00", ""),
        ("-50.00", "0.00", "HALF"),
    ]
    assert sum(Decimal(r["amount"]) for r in rows) == -order.payable
    call_command("check_books")


def test_b13_voucher_only_payment_on_behalf_is_listed_for_the_payer(
    client, catalog, org, admin, pob_member
):
    _voucher(admin, code="PAYER-V")  # B15: the member pays with the payer's voucher
    order = buy(pob_member, "S5.MEDIUM4")
    assert order.voucher_amount == D("150.00") and order.payer == admin.account
    client.force_login(admin)
    [row] = _rows_of(client, order, paid_for="members")
    assert (row["amount"], row["cash"], row["voucher_code"], row["owner_uin"]) == (
        "-150.00",
        "0.00",
        "PAYER-V",
        pob_member.account.uin,
    )
    assert _rows_of(client, order, paid_for="self") == []
    html = _page(client, paid_for="members")
    assert order.order_no in html and "for member member-pob" in html and "PAYER-V" in html
    client.force_login(pob_member)
    assert _rows_of(client, order) == []  # neither the member's cash nor its voucher moved
    call_command("check_books")


def test_b13_b6_refund_of_a_part_voucher_payment_lists_the_cash_returned(client, catalog, member):
    _voucher(member, face="50", code="HALF")
    fund(member, "500", member)
    order = buy(member, "S5.MEDIUM4")
    refund = services.order_unsubscribe(resource=order.resource, acting_user=member)
    client.force_login(member)
    rows = _rows_of(client, refund)
    # B6: the voucher's share (a third of the payment) is not returned; the cash share is.
    assert [(r["type"], r["amount"], r["cash"]) for r in rows] == [
        ("refund", str(refund.refund_amount), str(refund.refund_amount))
    ]
    assert refund.refund_amount > 0
    call_command("check_books")


def test_b13_voucher_rows_add_no_queries(client, catalog, member):
    fund(member, "100000", member)
    client.force_login(member)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/billing/", {"tab": "transactions"}).status_code == 200
        return len(ctx.captured_queries)

    _voucher(member, face="150")
    buy(member, "S5.MEDIUM4")
    count()  # warm caches
    small = count()
    for _ in range(8):
        _voucher(member, face="20")
        buy(member, "S5.MEDIUM4")
    assert count() == small


def test_b15_voucher_list_state_filter_follows_validity(client, member):
    """The vouchers tab's State filter: usable (the rule pick_voucher applies), used up, expired;
    a voucher not yet valid is in none of the three."""
    now = timezone.now()
    usable = _voucher(member, code="V-USABLE")
    used = _voucher(member, code="V-USEDUP")
    used.remaining = D("0")
    used.save()
    expired = _voucher(member, code="V-EXPIRED")
    expired.valid_until = now - timedelta(hours=1)
    expired.save()
    later = _voucher(member, code="V-LATER")
    later.valid_from = now + timedelta(days=1)
    later.save()
    client.force_login(member)
    codes = {v.code for v in (usable, used, expired, later)}
    for state, shown in [("usable", usable), ("used", used), ("expired", expired)]:
        page = client.get("/billing/", {"tab": "vouchers", "state": state}).content.decode()
        assert {c for c in codes if c in page} == {shown.code}, state
