"""F14, F15 under real concurrency on PostgreSQL: a credit decrease racing a purchase never
leaves the member below zero available, concurrent raises never overdraw the admin's credit,
a temporary credit lapses once under two workers, and an allocation racing a membership change
never leaves credit with a member that no longer grants 10 or left."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import services
from billing.finance import credit, credit_lapse
from billing.models import CreditAllocation, CreditChange, CreditChangeKind, Order, Wallet
from billing.models.choices import OrderStatus
from organizations import services as org_services
from organizations.models import Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy
from tests.concurrency import run_concurrently
from tests.factories import join, make_org, update_and_accept

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def limit(user):
    wallet = Wallet.objects.filter(account=user.account).first()
    return wallet.credit_limit if wallet else D("0.00")


def allocate(admin, user, amount, temporary="0", until=None):
    return credit.credit_allocate(
        admin_account=admin.account,
        member_account=user.account,
        amount=amount,
        temporary_amount=temporary,
        temporary_until=until,
        acting_user=admin,
    )


def _org(credit_line="1000", members=1):
    org, admin = make_org()
    org.member_limit = 50
    org.save(update_fields=["member_limit"])
    services.wallet_set_credit_limit(account=admin.account, limit=D(credit_line), acting_user=None)
    users = [join(org, admin, name=f"m{i}", permissions=[1, 2, 10]) for i in range(members)]
    return org, admin, users


def test_f14_a_credit_decrease_racing_a_purchase_never_leaves_the_member_below_zero(catalog):
    for round_ in range(6):
        _, admin, [member] = _org()
        allocate(admin, member, "300")  # cash 0: everything it buys is on this credit

        results = run_concurrently(
            lambda m=member, k=f"race-{round_}": buy(m, "S5.MEDIUM4", idempotency_key=k),
            lambda m=member, a=admin: allocate(a, m, "100"),  # −200, fine only before the buy
        )
        (order, buy_error), (_alloc, cut_error) = results
        assert buy_error is None, buy_error
        wallet = Wallet.objects.get(account=member.account)
        assert wallet.available >= 0  # never below zero through the decrease
        order = Order.objects.get(pk=order.pk)
        if cut_error is None:  # the decrease won: the purchase waits for funds
            assert order.status == OrderStatus.TO_BE_PAID
            assert (wallet.credit_limit, wallet.available) == (D("100.00"), D("100.00"))
        else:
            assert isinstance(cut_error, DomainError) and "lowered to" in cut_error.message
            assert order.status == OrderStatus.PAID
            assert (wallet.credit_limit, wallet.available) == (D("300.00"), D("150.00"))
        assert limit(admin) + wallet.credit_limit == D("1000.00")
    call_command("check_books")


def test_f14_concurrent_raises_never_allocate_more_than_the_admins_credit(catalog):
    _, admin, members = _org(members=10)
    results = run_concurrently(*[lambda u=u: allocate(admin, u, "150") for u in members])
    done = [r for r, e in results if e is None]
    errors = [e for r, e in results if e is not None]
    assert len(done) == 6, errors  # 6 × 150 ≤ 1000 < 7 × 150
    assert all(isinstance(e, DomainError) and "unallocated credit" in e.message for e in errors)
    assert limit(admin) == D("100.00")
    assert limit(admin) + sum(limit(u) for u in members) == D("1000.00")  # conservation
    assert CreditChange.objects.count() == 6


def test_f15_two_workers_lapse_a_temporary_credit_once(catalog):
    _, admin, [member] = _org()
    allocate(admin, member, "100", "200", timezone.now() + dt.timedelta(hours=1))
    later = timezone.now() + dt.timedelta(hours=2)
    results = run_concurrently(*[lambda: credit_lapse.credits_lapse_due(later) for _ in range(2)])
    assert sorted(r for r, _e in results) == [0, 1], results
    assert CreditChange.objects.filter(kind=CreditChangeKind.LAPSE).count() == 1
    assert (limit(member), limit(admin)) == (D("100.00"), D("900.00"))


def _revoke_10(org, admin, user):
    m = Membership.objects.get(account=user.account)
    return update_and_accept(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark=m.remark,
        permissions=[1, 2],
        payer=None,
        allow_quit=m.allow_quit,
    )


def test_f14_an_allocation_racing_a_revocation_of_10_leaves_no_credit_behind(catalog):
    for _round in range(4):
        org, admin, [member] = _org()
        results = run_concurrently(
            lambda m=member, a=admin: allocate(a, m, "300"),
            lambda m=member, a=admin, o=org: _revoke_10(o, a, m),
        )
        (_a, alloc_error), (_m, revoke_error) = results
        assert revoke_error is None, revoke_error
        assert alloc_error is None or "does not grant" in alloc_error.message, alloc_error
        assert 10 not in Membership.objects.get(account=member.account).permissions
        assert not CreditAllocation.objects.filter(member=member.account).exists()
        assert (limit(member), limit(admin)) == (D("0.00"), D("1000.00"))


def test_f14_an_allocation_racing_the_members_removal_leaves_no_credit_behind(catalog):
    for _round in range(4):
        _, admin, [member] = _org()
        results = run_concurrently(
            lambda m=member, a=admin: allocate(a, m, "300"),
            lambda m=member, a=admin: org_services.member_remove(
                membership=Membership.objects.get(account=m.account), acting_user=a
            ),
        )
        (_a, alloc_error), (_r, remove_error) = results
        assert remove_error is None, remove_error
        assert alloc_error is None or "not a member" in alloc_error.message, alloc_error
        assert not Membership.objects.filter(account=member.account).exists()
        assert not CreditAllocation.objects.filter(member=member.account).exists()
        assert (limit(member), limit(admin)) == (D("0.00"), D("1000.00"))
