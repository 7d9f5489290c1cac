"""B4 under real concurrency on PostgreSQL: paying twice is impossible, funds never overdraw."""

import pytest
from django.core.management import call_command

from billing import services
from billing.models import Journal, Order, Wallet
from billing.models.choices import OrderStatus
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.concurrency import run_concurrently
from tests.factories import UserFactory, join, make_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_b4_twenty_simultaneous_pays_of_one_order_pay_once(catalog):
    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    order = buy(member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID
    fund(admin, "1000", admin)

    results = run_concurrently(
        *[lambda: services.order_pay(order=order, acting_user=admin) for _ in range(20)]
    )
    paid = [r for r, e in results if e is None]
    errors = [e for r, e in results if e is not None]
    assert len(paid) == 1, results
    assert len(errors) == 19 and all(
        isinstance(e, DomainError) and "already paid" in e.message for e in errors
    )
    assert Journal.objects.filter(order=order).count() == 1
    assert Wallet.objects.get(account=admin.account).cash == D("850.00")
    call_command("check_books")


def test_b4_thirty_purchases_against_a_payer_funded_for_seven(catalog):
    org, admin = make_org()
    org.member_limit = 50
    org.save(update_fields=["member_limit"])
    members = []
    for _ in range(30):
        user = UserFactory(account__entity=org.admin_account.entity)
        members.append(user)
    from django.test import override_settings

    with override_settings(TCO_INVITATIONS_PER_24H=100):
        for i, user in enumerate(members):
            join(org, admin, user=user, name=f"m{i}", payer=org.admin_account)
    fund(admin, str(7 * 150), admin)

    results = run_concurrently(*[lambda u=u: buy(u, "S5.MEDIUM4") for u in members])
    assert all(e is None for _r, e in results), [e for _r, e in results if e]
    statuses = [r.status for r, _e in results]
    assert statuses.count(OrderStatus.PAID) == 7
    assert statuses.count(OrderStatus.TO_BE_PAID) == 23
    assert Wallet.objects.get(account=admin.account).cash == D("0.00")
    call_command("check_books")


def test_b4_a_double_submitted_form_pays_once(catalog):
    org, admin = make_org()
    member = join(org, admin, name="m", payer=org.admin_account)
    fund(admin, "1000", admin)
    results = run_concurrently(
        *[lambda: buy(member, "S5.MEDIUM4", idempotency_key="form-1") for _ in range(2)]
    )
    orders = {r.pk for r, e in results if e is None}
    assert len(orders) == 1, results
    assert Order.objects.filter(owner=member.account).count() == 1
    assert Wallet.objects.get(account=admin.account).cash == D("850.00")


def test_b1_the_database_refuses_an_unbalanced_journal_and_edits(catalog):
    from django.db import DatabaseError, transaction
    from django.utils import timezone

    from billing.models import Entry
    from billing.models.choices import Book, JournalKind

    _org, admin = make_org()
    fund(admin, "10", admin)
    with pytest.raises(DatabaseError, match=r"balance|append-only"), transaction.atomic():
        journal = Journal.objects.create(kind=JournalKind.ADJUSTMENT, created_at=timezone.now())
        Entry.objects.create(
            journal=journal, book=Book.REVENUE, amount=D("5.00"), created_at=timezone.now()
        )
    entry = Entry.objects.filter(book=Book.CASH).first()
    with pytest.raises(DatabaseError, match=r"balance|append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=D("1000.00"))
    with pytest.raises(DatabaseError, match=r"balance|append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
