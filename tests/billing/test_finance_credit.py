"""F14 credit allocation and F15 temporary credit (permission 10): credit moves between the
admin's and the member's wallet (conservation), bounded by the admin's unallocated credit and
available balance and by the member's available balance; B9 follows at once; temporary credit
lapses by itself (the periodic task); the credit returns when the member leaves, stops
granting 10 or becomes pay-on-behalf; the pages, with exact Decimals."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.finance import credit, credit_lapse, credit_reads
from billing.models import (
    CreditAllocation,
    CreditChange,
    CreditChangeKind,
    Message,
    Resource,
    Wallet,
)
from billing.models.choices import MessageCategory, ResourceStatus, SuspendReason
from billing.tasks import lapse_temporary_credit
from organizations import services as org_services
from organizations.models import AuditRecord, Membership
from tco_console.errors import DomainError
from tests.billing.helpers import D, buy, fund
from tests.factories import EntityFactory, UserFactory, join, make_org, sub_user, update_and_accept

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))


def at(*args):
    return dt.datetime(*args, tzinfo=CST)


@pytest.fixture
def world(catalog):
    """The admin has an operator's credit line of 1,000.00; `granting` grants 10, `plain`
    does not, `pob` is paid for by the admin; `other` is another organization's member that
    grants 10."""
    org, admin = make_org()
    services.wallet_set_credit_limit(account=admin.account, limit=D("1000"), acting_user=None)
    granting = join(org, admin, name="granting", permissions=[1, 2, 10])
    plain = join(org, admin, name="plain", permissions=[1, 2])
    pob = join(org, admin, name="pob", payer=org.admin_account, permissions=[1, 2, 7, 10])
    org2, admin2 = make_org()
    other = join(org2, admin2, name="other", permissions=[1, 2, 10])
    return {"org": org, "admin": admin, "granting": granting, "plain": plain, "pob": pob,
            "other": other}  # fmt: skip


def allocate(world, user, amount, temporary="0", until=None, *, by=None):
    return credit.credit_allocate(
        admin_account=world["admin"].account,
        member_account=user.account,
        amount=amount,
        temporary_amount=temporary,
        temporary_until=until,
        acting_user=by or world["admin"],
    )


def limit(user_or_account):
    account = getattr(user_or_account, "account", user_or_account)
    wallet = Wallet.objects.filter(account=account).first()
    return wallet.credit_limit if wallet else D("0.00")


def available(user):
    return Wallet.objects.get(account=user.account).available


def snapshot(world):
    return (
        limit(world["admin"]),
        limit(world["granting"]),
        CreditChange.objects.count(),
        CreditAllocation.objects.count(),
    )


# --- F14 -------------------------------------------------------------------------------------


def test_f14_allocation_moves_credit_from_the_admin_to_the_member(world):
    admin, member = world["admin"], world["granting"]
    allocate(world, member, "300")
    assert (limit(admin), limit(member)) == (D("700.00"), D("300.00"))
    assert available(member) == D("300.00")  # B2 reads the effective limit
    allocate(world, member, "100")  # a decrease gives the difference back
    assert (limit(admin), limit(member)) == (D("900.00"), D("100.00"))
    changes = list(CreditChange.objects.order_by("pk"))
    assert [(c.kind, c.old_total, c.new_total, c.actor) for c in changes] == [
        (CreditChangeKind.ALLOCATE, D("0.00"), D("300.00"), admin),
        (CreditChangeKind.ALLOCATE, D("300.00"), D("100.00"), admin),
    ]
    records = AuditRecord.objects.filter(action="finance.credit_allocate").order_by("pk")
    assert records.count() == 2
    assert records.last().changes["amount"] == ["300.00", "100.00"]
    titles = set(
        Message.objects.filter(category=MessageCategory.FINANCE).values_list("title", flat=True)
    )
    assert "Your credit limit is now 100.00 CNY" in titles  # the member
    assert "Credit allocated to granting: 100.00 CNY" in titles  # the admin


def test_f14_conservation_admin_plus_members_never_changes(world):
    admin, member = world["admin"], world["granting"]
    second = join(world["org"], admin, name="second", permissions=[1, 2, 10])
    total = D("1000.00")
    for who, amount, temporary, days in [
        (member, "250", "0", 0),
        (second, "100.50", "49.50", 3),
        (member, "0", "120", 10),
        (second, "0", "0", 0),
        (member, "999.99", "0", 0),
    ]:
        until = timezone.now() + dt.timedelta(days=days) if days else None
        allocate(world, who, amount, temporary, until)
        assert limit(admin) + limit(member) + limit(second) == total
    assert CreditAllocation.objects.get(member=member.account).total == D("999.99")
    assert not CreditAllocation.objects.filter(member=second.account).exists()  # nothing left


def test_f14_increase_capped_by_the_admins_unallocated_credit(world):
    member = world["granting"]
    allocate(world, member, "600")
    before = snapshot(world)
    with pytest.raises(
        DomainError, match=r"more than your unallocated credit \(400\.00 CNY\)"
    ) as e:
        allocate(world, member, "1000.01")
    assert e.value.field == "amount"
    assert snapshot(world) == before
    allocate(world, member, "1000")  # exactly all of it
    assert (limit(world["admin"]), limit(member)) == (D("0.00"), D("1000.00"))


def test_f14_increase_capped_by_the_admins_available_balance(world):
    """The admin spent 150 on its own credit: it may allocate no more than its available 850,
    so it never ends below zero available."""
    admin, member = world["admin"], world["granting"]
    buy(admin, "S5.MEDIUM4")  # cash −150.00, on credit
    assert available(admin) == D("850.00")
    before = snapshot(world)
    with pytest.raises(DomainError, match="more than your own available balance"):
        allocate(world, member, "850.01")
    assert snapshot(world) == before
    allocate(world, member, "850")
    assert (
        available(admin) == D("0.00") and not Wallet.objects.get(account=admin.account).in_arrears
    )


def test_f14_decrease_refused_below_zero_available(world):
    member = world["granting"]
    allocate(world, member, "300")
    buy(member, "S5.MEDIUM4")  # 150.00 on the allocated credit
    assert available(member) == D("150.00")
    before = snapshot(world)
    with pytest.raises(DomainError, match=r"It can be lowered to 150\.00 CNY at most") as e:
        allocate(world, member, "149.99")
    assert e.value.code == "FailedOperation.CreditBelowUsed"
    assert snapshot(world) == before
    allocate(world, member, "150")
    assert available(member) == D("0.00")


def test_f14_bounds_are_what_the_service_allows(world):
    admin, member = world["admin"], world["granting"]
    allocate(world, member, "300")
    buy(member, "S5.MEDIUM4")  # member available 150
    [row] = credit_reads.member_credits(
        type("Ctx", (), {"account": admin.account})(),
        [Membership.objects.get(account=member.account)],
    )
    assert (row.bounds.minimum, row.bounds.maximum) == (D("150.00"), D("1000.00"))
    allocate(world, member, str(row.bounds.maximum))
    allocate(world, member, str(row.bounds.minimum))


def test_f14_the_same_values_again_change_nothing(world):
    member = world["granting"]
    allocate(world, member, "300")
    allocate(world, member, "300")  # a double submit
    assert CreditChange.objects.count() == 1
    assert limit(member) == D("300.00")


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("plain", "does not grant the credit-limit setting permission"),
        ("pob", "pay-on-behalf"),
        ("other", "not a member of your organization"),
    ],
)
def test_f14_only_self_pay_members_granting_10(world, who, words):
    before = snapshot(world)
    with pytest.raises(DomainError, match=words) as e:
        allocate(world, world[who], "10")
    assert e.value.field == "account"
    assert snapshot(world) == before
    assert limit(world[who]) == D("0.00")


def test_f14_same_enterprise_entity_only(world):
    stranger = UserFactory(account__entity=EntityFactory())
    join(world["org"], world["admin"], user=stranger, name="stranger", permissions=[1, 2, 10])
    with pytest.raises(DomainError, match="within one enterprise entity"):
        allocate(world, stranger, "10")
    assert limit(stranger) == D("0.00")


def test_f14_the_admin_cannot_allocate_to_itself(world):
    with pytest.raises(DomainError):
        allocate(world, world["admin"], "10")


@pytest.mark.parametrize(
    ("amount", "temporary", "field", "words"),
    [
        ("", "0", "amount", "Enter the permanent credit"),
        ("-5", "0", "amount", "cannot be negative"),
        ("9" * 10_000, "0", "amount", "Enter a number|at most"),
        ("abc", "0", "amount", "Enter a number of CNY"),
        ("NaN", "0", "amount", "Enter a number of CNY"),
        ("100000000.01", "0", "amount", "at most 100,000,000.00"),
        ("1e20", "0", "amount", "at most"),
        ("1.001", "0", "amount", "fractions of a cent"),
        ("0", "-1", "temporary_amount", "cannot be negative"),
    ],
)
def test_f14_bad_input_is_refused_and_changes_nothing(world, amount, temporary, field, words):
    before = snapshot(world)
    with pytest.raises(DomainError, match=words) as e:
        allocate(world, world["granting"], amount, temporary, timezone.now() + dt.timedelta(days=1))
    assert e.value.field == field
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("until", "words"),
    [
        (None, "Choose until when"),
        (dt.timedelta(seconds=-1), "end in the future"),
        (dt.timedelta(days=367), "within a year"),
    ],
)
def test_f15_a_temporary_credit_needs_an_end_within_a_year(world, until, words):
    end = timezone.now() + until if until is not None else None
    with pytest.raises(DomainError, match=words) as e:
        allocate(world, world["granting"], "0", "100", end)
    assert e.value.field == "temporary_until"
    assert limit(world["granting"]) == D("0.00")


def test_f14_the_operator_cannot_set_a_member_below_its_allocated_credit(world):
    member = world["granting"]
    allocate(world, member, "300")
    with pytest.raises(DomainError, match="allocated by its organization's admin account"):
        services.wallet_set_credit_limit(
            account=member.account, limit=D("299.99"), acting_user=None
        )
    services.wallet_set_credit_limit(account=member.account, limit=D("500"), acting_user=None)
    assert limit(member) == D("500.00")  # 300 from the admin, 200 the operator's own
    allocate(world, member, "0")
    assert (limit(member), limit(world["admin"])) == (D("200.00"), D("1000.00"))


# --- F15 and B9 --------------------------------------------------------------------------------


def _member_on_temporary_credit(world):
    """The member spends 150 on a temporary credit of 200 that ends after 2026-03-03."""
    member = world["granting"]
    with time_machine.travel(at(2026, 3, 1, 10), tick=False):
        allocate(world, member, "0", "200", at(2026, 3, 4))
        resource = Resource.objects.get(pk=buy(member, "S5.MEDIUM4").resource_id)
    return member, resource


def test_f15_temporary_credit_lapses_by_itself_even_into_arrears(world):
    member, resource = _member_on_temporary_credit(world)
    with time_machine.travel(at(2026, 3, 3, 23, 59), tick=False):
        assert lapse_temporary_credit.call() == 0  # not yet
    assert limit(member) == D("200.00")
    with time_machine.travel(at(2026, 3, 4, 0, 0, 30), tick=False):
        assert lapse_temporary_credit.call() == 1
        assert lapse_temporary_credit.call() == 0  # once
    assert (limit(member), limit(world["admin"])) == (D("0.00"), D("1000.00"))
    wallet = Wallet.objects.get(account=member.account)
    assert wallet.in_arrears  # cash −150 + credit 0: B9
    resource.refresh_from_db()
    assert (resource.status, resource.suspended_reason) == (
        ResourceStatus.SUSPENDED,
        SuspendReason.ARREARS,
    )
    assert not CreditAllocation.objects.filter(member=member.account).exists()
    lapse = CreditChange.objects.get(kind=CreditChangeKind.LAPSE)
    assert (lapse.old_temporary, lapse.new_temporary, lapse.actor) == (D("200.00"), D("0.00"), None)
    assert AuditRecord.objects.filter(
        action="finance.credit_lapse", target_account=member.account
    ).exists()
    assert Message.objects.filter(
        account=member.account, title="Your temporary credit of 200.00 CNY has ended"
    ).exists()


def test_f14_a_raise_brings_the_member_out_of_arrears_and_its_resource_recovers(world):
    member, resource = _member_on_temporary_credit(world)
    with time_machine.travel(at(2026, 3, 4, 1), tick=False):
        credit_lapse.credits_lapse_due()
        resource.refresh_from_db()
        assert resource.status == ResourceStatus.SUSPENDED
        allocate(world, member, "200")
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.ACTIVE  # B9 at once
    assert not Wallet.objects.get(account=member.account).in_arrears
    assert available(member) == D("50.00")


def test_f15_a_temporary_credit_adds_to_the_permanent_one(world):
    member = world["granting"]
    allocate(world, member, "100", "50", timezone.now() + dt.timedelta(days=2))
    assert limit(member) == D("150.00")
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        credit_lapse.credits_lapse_due()
    allocation = CreditAllocation.objects.get(member=member.account)
    assert (allocation.amount, allocation.temporary_amount, allocation.temporary_until) == (
        D("100.00"),
        D("0.00"),
        None,
    )
    assert (limit(member), limit(world["admin"])) == (D("100.00"), D("900.00"))


def test_f15_the_member_is_told_once_7_days_before_its_temporary_credit_ends(world):
    member = world["granting"]

    def notices(user):
        return Message.objects.filter(account=user.account, title__startswith="A temporary credit")

    with time_machine.travel(at(2026, 3, 1, 10), tick=False):
        allocate(world, member, "100", "200", at(2026, 3, 20))
        assert lapse_temporary_credit.call() == 0
    assert not notices(member).exists()  # 19 days ahead: not yet
    with time_machine.travel(at(2026, 3, 13, 0, 1), tick=False):
        lapse_temporary_credit.call()
        lapse_temporary_credit.call()  # the next tick says nothing more
    [notice] = notices(member)
    assert notice.title == "A temporary credit of 200.00 CNY ends on 2026-03-20 00:00"
    assert notices(world["admin"]).count() == 1
    with time_machine.travel(at(2026, 3, 14, 10), tick=False):
        allocate(world, member, "100", "200", at(2026, 3, 21))  # a new end: announced again
        lapse_temporary_credit.call()
    assert notices(member).count() == 2


# --- F14: the credit returns with the membership ---------------------------------------------


def _update(world, user, *, perms, payer=None):
    m = Membership.objects.get(account=user.account)
    return update_and_accept(
        membership=m,
        acting_user=world["admin"],
        name=m.name,
        remark=m.remark,
        permissions=perms,
        payer=payer,
        allow_quit=False if payer else m.allow_quit,
    )


def test_f14_revoking_10_returns_the_credit(world, client):
    member = world["granting"]
    allocate(world, member, "300")
    _update(world, member, perms=[1, 2])
    assert (limit(member), limit(world["admin"])) == (D("0.00"), D("1000.00"))
    assert CreditChange.objects.filter(kind=CreditChangeKind.RETURN).count() == 1
    client.force_login(world["admin"])
    uin = member.account.uin
    assert client.get(f"/billing/credit/?account={uin}").status_code == 404
    assert client.get(f"/billing/credit/allocate/?account={uin}").status_code == 404
    assert (
        client.post(f"/billing/credit/allocate/?account={uin}", {"amount": "10"}).status_code == 404
    )
    with pytest.raises(DomainError, match="does not grant"):
        allocate(world, member, "10")
    assert limit(member) == D("0.00")


def test_f14_becoming_pay_on_behalf_returns_the_credit(world):
    member = world["granting"]
    allocate(world, member, "300")
    _update(world, member, perms=[1, 2, 7, 10], payer=world["org"].admin_account)
    assert (limit(member), limit(world["admin"])) == (D("0.00"), D("1000.00"))


def test_f14_leaving_returns_the_credit(world):
    member = world["granting"]
    allocate(world, member, "300")
    org_services.member_remove(
        membership=Membership.objects.get(account=member.account), acting_user=world["admin"]
    )
    assert (limit(member), limit(world["admin"])) == (D("0.00"), D("1000.00"))
    assert (
        Message.objects.filter(account=member.account, category=MessageCategory.FINANCE)
        .filter(title__contains="was returned")
        .exists()
    )


def test_f14_a_membership_change_is_refused_while_the_credit_is_in_use(world):
    member = world["granting"]
    allocate(world, member, "300")
    buy(member, "S5.MEDIUM4")  # 150 of it spent
    # F17: the invited member consents to the revocation; applying it is refused (and the
    # change stays awaiting consent) while the credit is in use
    m = Membership.objects.get(account=member.account)
    change = org_services.member_update(
        membership=m,
        acting_user=world["admin"],
        name=m.name,
        remark=m.remark,
        permissions=[1, 2],
        payer=None,
        allow_quit=m.allow_quit,
    ).pending_change
    with pytest.raises(DomainError, match=r"must top up at least 150\.00 CNY first"):
        org_services.permission_change_accept(change=change, acting_user=member)
    assert 10 in Membership.objects.get(account=member.account).permissions  # nothing changed
    with pytest.raises(DomainError, match="top up"):
        org_services.member_remove(
            membership=Membership.objects.get(account=member.account), acting_user=world["admin"]
        )
    assert Membership.objects.filter(account=member.account).exists()
    fund(member, "150", member)
    org_services.permission_change_accept(change=change, acting_user=member)
    assert (limit(member), available(member)) == (D("0.00"), D("0.00"))


# --- pages -----------------------------------------------------------------------------------


def test_f14_page_lists_members_granting_10_with_their_credit(world, client):
    allocate(world, world["granting"], "300", "50", timezone.now() + dt.timedelta(days=5))
    client.force_login(world["admin"])
    body = client.get(reverse("billing:credit")).content.decode()
    assert f'data-uin="{world["granting"].account.uin}"' in body
    assert world["plain"].account.uin not in body
    assert world["pob"].account.uin not in body
    assert world["other"].account.uin not in body
    assert "650.00 CNY" in body  # the admin's unallocated credit
    assert "350.00 CNY" in body  # allocated, and the member's credit limit
    assert 'data-testid="set-credit"' in body


@pytest.mark.parametrize("who", ["plain", "pob", "other"])
def test_f14_a_member_out_of_reach_is_404(world, client, who):
    client.force_login(world["admin"])
    uin = world[who].account.uin
    assert client.get(f"/billing/credit/?account={uin}").status_code == 404
    assert client.get(f"/billing/credit/allocate/?account={uin}").status_code == 404
    assert (
        client.post(f"/billing/credit/allocate/?account={uin}", {"amount": "1"}).status_code == 404
    )
    assert client.get("/billing/credit/?account=" + "9" * 10_000).status_code == 404
    assert limit(world[who]) == D("0.00")


def test_f14_members_and_readers(world, client):
    client.force_login(world["granting"])
    assert client.get("/billing/credit/").status_code == 403
    uin = world["granting"].account.uin
    assert client.get(f"/billing/credit/allocate/?account={uin}").status_code == 403
    reader = sub_user(world["admin"].account, org_services.READ_ONLY_GROUP)
    client.force_login(reader)
    page = client.get(f"/billing/credit/?account={uin}")
    assert page.status_code == 200 and 'data-testid="set-credit"' not in page.content.decode()
    assert (
        client.post(f"/billing/credit/allocate/?account={uin}", {"amount": "1"}).status_code == 403
    )
    assert limit(world["granting"]) == D("0.00")


def test_f14_the_form_sets_the_credit(world, client):
    client.force_login(world["admin"])
    uin = world["granting"].account.uin
    url = f"/billing/credit/allocate/?account={uin}"
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="credit-max"' in form and "1,000.00 CNY" in form
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        url,
        {"amount": "200", "temporary_amount": "100", "temporary_until": day.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and "creditChanged" in response["HX-Trigger"]
    allocation = CreditAllocation.objects.get(member=world["granting"].account)
    assert (allocation.amount, allocation.temporary_amount) == (D("200.00"), D("100.00"))
    until = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    assert allocation.temporary_until == until  # its last day counts whole
    again = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{day.isoformat()}"' in again


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"amount": ""}, "amount", "Enter the permanent credit"),
        ({"amount": "-1"}, "amount", "cannot be negative"),
        ({"amount": "x" * 10_000}, "amount", "Enter a number of CNY"),
        ({"amount": "12abc"}, "amount", "Enter a number of CNY"),
        ({"amount": "99999999999999"}, "amount", "at most 100,000,000.00"),
        ({"amount": "1000.01"}, "amount", "unallocated credit"),
        ({"amount": "0", "temporary_amount": "5"}, "temporary_until", "last day"),
        ({"amount": "0", "temporary_amount": "5", "temporary_until": "2001-01-01"},
         "temporary_until", "in the future"),
        ({"amount": "0", "temporary_amount": "5", "temporary_until": "tomorrow"},
         "temporary_until", "YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_f14_the_form_refuses_bad_input_with_a_message(world, client, data, field, words):
    client.force_login(world["admin"])
    before = snapshot(world)
    url = f"/billing/credit/allocate/?account={world['granting'].account.uin}"
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert words in response.content.decode()
    assert f'data-testid="field-error-{field}"' in response.content.decode()
    assert snapshot(world) == before


def test_f14_member_sees_its_credit_and_where_it_comes_from(world, client):
    allocate(world, world["granting"], "300", "50", at(2027, 1, 1))
    client.force_login(world["granting"])
    body = client.get("/billing/").content.decode()
    assert 'data-testid="credit-source"' in body
    assert "Of which 350.00 CNY allocated by the organization's admin account" in body
    assert "50.00 CNY temporary, until 2027-01-01 00:00" in body
    client.force_login(world["admin"])
    body = client.get("/billing/").content.decode()
    assert "350.00 CNY more is allocated to members." in body


def test_f14_page_query_count_is_constant(world, client, django_assert_max_num_queries):
    client.force_login(world["admin"])
    client.get("/billing/credit/")

    def grow(n):
        for i in range(n):
            user = join(world["org"], world["admin"], name=f"g{i}-{n}", permissions=[1, 2, 10])
            allocate(world, user, "1")

    grow(2)
    with django_assert_max_num_queries(12):
        client.get("/billing/credit/")
    grow(10)
    with django_assert_max_num_queries(12):
        client.get("/billing/credit/")


def test_f14_check_books_proves_every_allocation(world):
    from django.core.management import call_command

    from billing.management.commands.check_books import credit_problems

    allocate(world, world["granting"], "300", "20", timezone.now() + dt.timedelta(days=1))
    call_command("check_books")  # clean
    Wallet.objects.filter(account=world["granting"].account).update(credit_limit=D("100"))
    Membership.objects.filter(account=world["granting"].account).update(permissions=[1, 2])
    found = list(credit_problems())
    assert len(found) == 2
    assert "credit limit 100.00 is below its allocation 320.00" in found[0]
    assert "is not a self-pay member of its organization granting 10" in found[1]


def test_f14_billing_centers_member_view_links_to_its_credit(world, client):
    client.force_login(world["admin"])
    uin = world["granting"].account.uin
    html = client.get("/billing/", {"account": uin}).content.decode()
    assert f'href="/billing/credit/?account={uin}" data-testid="viewed-credit"' in html
    plain = client.get("/billing/", {"account": world["plain"].account.uin}).content.decode()
    assert 'data-testid="viewed-credit"' not in plain
