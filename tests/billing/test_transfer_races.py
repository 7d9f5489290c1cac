"""F12, F13 under real concurrency on PostgreSQL: transfers never overdraw the admin, and a
take-back racing the member's spending never puts the member in arrears."""

import pytest
from django.core.management import call_command

from billing.finance import transfers as svc
from billing.models import FundTransfer, Wallet
from organizations.models import Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.concurrency import run_concurrently
from tests.factories import join, make_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _setup():
    org, admin = make_org()
    member = join(org, admin, name="self-pay", permissions=[1, 2, 3])
    membership = Membership.objects.select_related("account", "organization").get(
        account=member.account
    )
    return org, admin, member, membership


def test_f12_fifty_transfers_from_an_admin_funded_for_seven(catalog):
    _org, admin, member, membership = _setup()
    fund(admin, "700", admin)
    results = run_concurrently(
        *[
            lambda: svc.fund_transfer_in(membership=membership, amount=D("100"), acting_user=admin)
            for _ in range(50)
        ],
        timeout=120,
    )
    done = [r for r, e in results if e is None]
    errors = [e for _r, e in results if e is not None]
    assert len(done) == 7, errors[:3]
    assert all(isinstance(e, DomainError) and "at most" in e.message for e in errors)
    assert Wallet.objects.get(account=admin.account).cash == D("0.00")
    member_wallet = Wallet.objects.get(account=member.account)
    assert member_wallet.cash == D("700.00") and member_wallet.transferred_in == D("700.00")
    assert FundTransfer.objects.count() == 7
    call_command("check_books")


def test_f12_a_double_submitted_transfer_moves_money_once(catalog):
    _org, admin, _member, membership = _setup()
    fund(admin, "1000", admin)
    results = run_concurrently(
        *[
            lambda: svc.fund_transfer_in(
                membership=membership, amount=D("300"), acting_user=admin, idempotency_key="k1"
            )
            for _ in range(5)
        ]
    )
    assert {r.pk for r, e in results if e is None} == {FundTransfer.objects.get().pk}
    assert Wallet.objects.get(account=admin.account).cash == D("700.00")


@pytest.mark.parametrize("round_", range(4))
def test_f13_a_take_back_racing_the_members_spending_never_makes_arrears(catalog, round_):
    _org, admin, member, membership = _setup()
    fund(admin, "1000", admin)
    record = svc.fund_transfer_in(membership=membership, amount=D("500"), acting_user=admin)
    results = run_concurrently(
        lambda: svc.fund_take_back(record=record, amount=D("400"), acting_user=admin),
        lambda: buy(member, "S5.MEDIUM4"),  # 150.00, paid at once when the funds allow
    )
    wallet = Wallet.objects.get(account=member.account)
    assert wallet.cash >= 0 and not wallet.in_arrears
    assert 0 <= wallet.transferred_in <= wallet.cash
    took, bought = results
    if took[1] is None:  # the take-back came first: 100 left, the purchase waits for funds
        assert wallet.cash == D("100.00") and bought[0].status == "to_be_paid"
    else:  # the purchase came first: only 350 remained revocable
        assert "At most 350.00" in took[1].message and wallet.cash == D("350.00")
    call_command("check_books")
