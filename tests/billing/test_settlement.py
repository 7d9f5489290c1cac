"""B7–B10: freezes, settlement attribution, arrears lifecycle, expiry and message routing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from billing import services
from billing.models import (
    BillLine,
    Message,
    Resource,
    ResourcePack,
    UsageSettlement,
    Voucher,
    Wallet,
)
from billing.models.choices import ResourceStatus, SuspendReason
from billing.services import lifecycle, payg, settlement
from organizations import services as org_services
from organizations.models import Membership
from tests.billing.helpers import D, buy, fund, region, spec
from tests.factories import UserFactory, join, update_and_accept

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=CST)


def set_payer(org, admin, user, payer):
    m = Membership.objects.get(account=user.account)
    return update_and_accept(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2, 7] if payer else [1, 2],
        payer=payer,
        allow_quit=payer is None,
    )


@pytest.fixture
def b8_world(catalog, org, admin):
    """A member with an hourly CVM, a daily COS and a monthly CDN, activated before joining.
    It joins in pay-on-behalf mode on 2021-09-09 12:30 and leaves on 2021-10-30 11:30."""
    user = UserFactory(account__entity=org.admin_account.entity)
    with time_machine.travel(at(2021, 9, 1, 0, 0), tick=False):
        fund(user, "1000", user)
        fund(admin, "100000", admin)
        resources = {
            code: payg.resource_activate(
                owner=user.account, acting_user=user, spec=spec(code), region=region()
            )
            for code in ("S5.MEDIUM4", "COS-STANDARD", "CDN-TRAFFIC")
        }
        Voucher.objects.create(
            account=admin.account,
            code="PAYER-V",
            face_value=D("1"),
            remaining=D("1"),
            valid_from=at(2021, 9, 1),
            valid_until=at(2021, 9, 10),
        )
        Voucher.objects.create(
            account=user.account,
            code="OWN-V",
            face_value=D("0.05"),
            remaining=D("0.05"),
            valid_from=at(2021, 10, 30),
            valid_until=at(2021, 11, 5),
        )
    with time_machine.travel(at(2021, 9, 9, 12, 30), tick=False):
        join(org, admin, user=user, name="b8", payer=org.admin_account)
    with time_machine.travel(at(2021, 10, 30, 11, 30), tick=False):
        set_payer(org, admin, user, None)
        org_services.member_quit(
            membership=Membership.objects.get(account=user.account), acting_user=user
        )
    return user, resources


@pytest.mark.parametrize(
    ("code", "cycle", "payer_side"),
    [
        ("S5.MEDIUM4", (at(2021, 9, 9, 12), at(2021, 9, 9, 13)), "payer"),
        ("S5.MEDIUM4", (at(2021, 10, 30, 11), at(2021, 10, 30, 12)), "member"),
        ("S5.MEDIUM4", (at(2021, 9, 9, 11), at(2021, 9, 9, 12)), "member"),  # ended before joining
        ("COS-STANDARD", (at(2021, 9, 9), at(2021, 9, 10)), "payer"),
        ("COS-STANDARD", (at(2021, 10, 30), at(2021, 10, 31)), "member"),
        ("CDN-TRAFFIC", (at(2021, 9, 1), at(2021, 10, 1)), "payer"),
        ("CDN-TRAFFIC", (at(2021, 10, 1), at(2021, 11, 1)), "member"),
    ],
)
def test_b8_cycle_charged_to_whoever_pays_at_its_end_worked_example(
    b8_world, admin, code, cycle, payer_side
):
    user, resources = b8_world
    res = resources[code]
    assert cycle in settlement.due_cycles(Resource.objects.get(pk=res.pk), at(2021, 11, 2))
    s = settlement.settle_cycle(resource_id=res.pk, cycle_start=cycle[0], cycle_end=cycle[1])
    expected = admin.account if payer_side == "payer" else user.account
    assert s.payer == expected and s.owner == user.account
    line = BillLine.objects.get(journal=s.journal)
    assert (line.payer, line.owner, line.bill_month) == (
        expected,
        user.account,
        cycle[0].date().replace(day=1),
    )
    assert s.cash_amount + s.voucher_amount == s.list_cost - s.discount > 0


def test_b8_vouchers_follow_the_side_that_pays(b8_world, admin):
    _user, resources = b8_world
    cvm = resources["S5.MEDIUM4"]
    paid_by_payer = settlement.settle_cycle(
        resource_id=cvm.pk, cycle_start=at(2021, 9, 9, 12), cycle_end=at(2021, 9, 9, 13)
    )
    assert paid_by_payer.voucher_amount == D("0.28")  # the payer's voucher
    paid_by_member = settlement.settle_cycle(
        resource_id=cvm.pk, cycle_start=at(2021, 10, 30, 11), cycle_end=at(2021, 10, 30, 12)
    )
    assert paid_by_member.voucher_amount == D("0.05")  # the member's own voucher


def test_b8_settling_the_same_cycle_twice_charges_once(b8_world, admin):
    _user, resources = b8_world
    cvm = resources["S5.MEDIUM4"]
    first = settlement.settle_cycle(
        resource_id=cvm.pk, cycle_start=at(2021, 9, 9, 12), cycle_end=at(2021, 9, 9, 13)
    )
    assert first is not None
    assert (
        settlement.settle_cycle(
            resource_id=cvm.pk, cycle_start=at(2021, 9, 9, 12), cycle_end=at(2021, 9, 9, 13)
        )
        is None
    )
    assert UsageSettlement.objects.filter(resource=cvm).count() == 1


def test_b8_history_settles_with_the_command_and_the_books_balance(b8_world, admin):
    _user, resources = b8_world
    call_command("settle", "--until", "2021-11-02T00:00:00+08:00")
    cvm = Resource.objects.get(pk=resources["S5.MEDIUM4"].pk)
    assert cvm.settled_until == at(2021, 11, 2)
    assert (
        UsageSettlement.objects.filter(resource=cvm).count() == 62 * 24
    )  # 2021-09-01 .. 11-01 hourly
    call_command("settle", "--until", "2021-11-02T00:00:00+08:00")  # again: nothing more
    assert UsageSettlement.objects.filter(resource=cvm).count() == 62 * 24
    call_command("check_books")


def test_b8_usage_meter_is_deterministic(catalog, member):
    fund(member, "10", member)
    res = payg.resource_activate(
        owner=member.account, acting_user=member, spec=spec("COS-STANDARD"), region=region()
    )
    start, end = at(2030, 1, 1), at(2030, 1, 2)
    res.period_start = at(2029, 1, 1)
    assert payg.meter(res, start, end) == payg.meter(res, start, end)
    assert D(5) <= payg.meter(res, start, end) <= D(25)


def test_b8_owners_own_packs_absorb_usage_first_never_the_payers(catalog, org, admin, pob_member):
    fund(admin, "1000", admin)
    cvm = payg.resource_activate(
        owner=pob_member.account, acting_user=pob_member, spec=spec("S5.MEDIUM4"), region=region()
    )
    now = timezone.now()
    ResourcePack.objects.create(
        owner=admin.account,
        product=cvm.product,
        spec=cvm.spec,
        order=buy(admin, "S5.SMALL2"),
        quantity=D(100),
        remaining=D(100),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    own = ResourcePack.objects.create(
        owner=pob_member.account,
        product=cvm.product,
        spec=cvm.spec,
        order=buy(admin, "S5.SMALL2", idempotency_key="p2"),
        quantity=D("0.5"),
        remaining=D("0.5"),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    start, end = payg.cycle_bounds("hourly", now - timedelta(hours=1))
    Resource.objects.filter(pk=cvm.pk).update(period_start=start - timedelta(hours=1))
    s = settlement.settle_cycle(resource_id=cvm.pk, cycle_start=start, cycle_end=end)
    own.refresh_from_db()
    assert (s.quantity, s.pack_quantity, own.remaining) == (D("1.0000"), D("0.5000"), D("0.0000"))
    assert s.list_cost == D("0.14")  # the other half hour at 0.28
    assert ResourcePack.objects.get(owner=admin.account).remaining == D(100)


# ------------------------------------------------------------------ B7 freezes


def test_b7_activation_freezes_one_cycle_on_the_payer_and_moves_on_join_and_switch(
    catalog, org, admin
):
    user = UserFactory(account__entity=org.admin_account.entity)
    fund(user, "50", user)
    fund(admin, "50", admin)
    res = payg.resource_activate(
        owner=user.account, acting_user=user, spec=spec("S5.MEDIUM4"), region=region()
    )
    wallet = Wallet.objects.get(account=user.account)
    assert (res.frozen_by, res.frozen_amount, wallet.frozen, wallet.cash) == (
        user.account,
        D("0.28"),
        D("0.28"),
        D("50.00"),
    )
    join(org, admin, user=user, name="freezer", payer=org.admin_account)
    assert Wallet.objects.get(account=user.account).frozen == D("0.00")
    assert Wallet.objects.get(account=admin.account).frozen == D("0.28")
    assert Resource.objects.get(pk=res.pk).frozen_by == admin.account
    set_payer(org, admin, user, None)
    assert Wallet.objects.get(account=admin.account).frozen == D("0.00")
    assert Wallet.objects.get(account=user.account).frozen == D("0.28")
    payg.resource_terminate(resource=res, acting_user=user)
    wallet = Wallet.objects.get(account=user.account)
    assert (wallet.frozen, wallet.cash) == (D("0.00"), D("50.00"))  # a freeze never moves cash
    call_command("check_books")


def test_b7_activation_needs_available_funds_to_freeze(catalog, member):
    from tco_console.errors import DomainError

    with pytest.raises(DomainError, match=r"needs 0\.28 CNY of available funds to freeze"):
        payg.resource_activate(
            owner=member.account, acting_user=member, spec=spec("S5.MEDIUM4"), region=region()
        )
    assert not Resource.objects.filter(owner=member.account).exists()


# ------------------------------------------------------------------ B9 lifecycle


def _arrears(admin, amount="-10"):
    """Drive the admin account into arrears the way settlement does: cash below −credit."""
    services.wallet_set_credit_limit(account=admin.account, limit=D("1000"), acting_user=admin)
    buy(admin, "S5.2XLARGE16", idempotency_key="arrears")  # 600 on credit
    services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=admin)


def test_b9_arrears_suspend_everything_the_payer_pays_for_and_a_top_up_recovers(
    catalog, org, admin, pob_member, member
):
    fund(member, "1000", member)
    fund(admin, "5", admin)
    member_res = Resource.objects.get(
        pk=buy(member, "S5.SMALL2").resource_id
    )  # self-paying: not affected
    pob_res = payg.resource_activate(
        owner=pob_member.account, acting_user=pob_member, spec=spec("S5.MEDIUM4"), region=region()
    )
    fund(admin, "700", admin)
    own = Resource.objects.get(pk=buy(admin, "S5.MEDIUM4", idempotency_key="own").resource_id)
    Resource.objects.filter(pk=own.pk)  # the admin's own subscription
    _arrears(admin)
    assert Wallet.objects.get(account=admin.account).in_arrears
    statuses = {r.pk: (r.status, r.suspended_reason) for r in Resource.objects.all()}
    assert statuses[pob_res.pk] == (ResourceStatus.SUSPENDED, SuspendReason.ARREARS)
    assert statuses[own.pk] == (ResourceStatus.SUSPENDED, SuspendReason.ARREARS)
    assert statuses[member_res.pk] == (ResourceStatus.ACTIVE, "")
    fund(admin, "1000", admin)
    assert Resource.objects.get(pk=pob_res.pk).status == ResourceStatus.ACTIVE
    assert Resource.objects.get(pk=own.pk).status == ResourceStatus.ACTIVE


def test_b9_recovery_never_revives_a_resource_suspended_for_another_reason(
    catalog, org, admin, pob_member
):
    fund(admin, "1000", admin)
    res = Resource.objects.get(pk=buy(pob_member, "S5.MEDIUM4").resource_id)
    Resource.objects.filter(pk=res.pk).update(
        status=ResourceStatus.SUSPENDED, suspended_reason=SuspendReason.OPERATOR
    )
    _arrears(admin)
    fund(admin, "2000", admin)
    assert Resource.objects.get(pk=res.pk).suspended_reason == SuspendReason.OPERATOR


def test_b9_a_member_that_quits_while_its_former_payer_is_in_arrears_follows_its_own_balance(
    catalog, org, admin, pob_member
):
    fund(admin, "5", admin)
    res = payg.resource_activate(
        owner=pob_member.account, acting_user=pob_member, spec=spec("S5.MEDIUM4"), region=region()
    )
    _arrears(admin)
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.SUSPENDED
    fund(pob_member, "10", pob_member)
    set_payer(org, admin, pob_member, None)  # now self-pay: its own balance governs
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.ACTIVE
    org_services.member_quit(
        membership=Membership.objects.get(account=pob_member.account), acting_user=pob_member
    )
    fund(admin, "5000", admin)
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.ACTIVE
    assert Resource.objects.get(pk=res.pk).frozen_by == pob_member.account


def test_b9_notices_subscription_to_the_payer_payg_to_the_owner(catalog, org, admin, pob_member):
    fund(admin, "1000", admin)
    sub = Resource.objects.get(pk=buy(pob_member, "S5.SMALL2").resource_id)
    payg_res = payg.resource_activate(
        owner=pob_member.account, acting_user=pob_member, spec=spec("COS-STANDARD"), region=region()
    )
    Message.objects.all().delete()
    services.wallet_set_credit_limit(account=admin.account, limit=D("5000"), acting_user=admin)
    buy(admin, "HA-8C16G", months=3, idempotency_key="big")  # deep into credit
    services.wallet_set_credit_limit(account=admin.account, limit=D("0"), acting_user=admin)
    assert Message.objects.filter(
        resource=sub, account=admin.account, title__contains="suspended"
    ).exists()
    assert not Message.objects.filter(resource=sub, account=pob_member.account).exists()
    assert Message.objects.filter(
        resource=payg_res, account=pob_member.account, title__contains="suspended"
    ).exists()
    assert not Message.objects.filter(resource=payg_res, account=admin.account).exists()


# ------------------------------------------------------------------ B10 expiry


def test_b10_subscriptions_expire_after_a_7_day_notice_and_renewal_revives(
    catalog, org, admin, pob_member
):
    fund(admin, "1000", admin)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        res = Resource.objects.get(pk=buy(pob_member, "S5.SMALL2").resource_id)
    with time_machine.travel(res.period_end - timedelta(days=6), tick=False):
        assert lifecycle.expiry_notices() == 1
        assert lifecycle.expiry_notices() == 0  # once
    assert (
        Message.objects.filter(
            account=admin.account, resource=res, title__contains="expires"
        ).count()
        == 1
    )
    with time_machine.travel(res.period_end + timedelta(minutes=1), tick=False):
        assert lifecycle.subscriptions_expire() == 1
        assert lifecycle.subscriptions_expire() == 0
        assert Resource.objects.get(pk=res.pk).status == ResourceStatus.EXPIRED
        assert Message.objects.filter(
            account=admin.account, resource=res, title__contains="expired"
        ).exists()
        services.order_renew(resource=res, acting_user=pob_member, months=1)
    assert Resource.objects.get(pk=res.pk).status == ResourceStatus.ACTIVE


def test_b8_a_resource_pack_is_bought_as_an_order_and_absorbs_usage(
    catalog, org, admin, pob_member
):
    fund(admin, "1000", admin)
    order = buy(pob_member, "CDN-PACK-1TB", months=2)
    pack = ResourcePack.objects.get(order=order)
    assert (pack.owner, pack.quantity, pack.remaining, order.resource_id) == (
        pob_member.account,
        D(2),
        D(2),
        None,
    )
    assert BillLine.objects.get(order=order).transaction_type == "pack"
    cdn = payg.resource_activate(
        owner=pob_member.account, acting_user=pob_member, spec=spec("CDN-TRAFFIC"), region=region()
    )
    start, end = payg.cycle_bounds("monthly", timezone.now())
    Resource.objects.filter(pk=cdn.pk).update(period_start=start)
    s = settlement.settle_cycle(resource_id=cdn.pk, cycle_start=start, cycle_end=end)
    assert s.pack_quantity == min(s.quantity, D(2))


def test_b9_organization_events_reach_the_side_they_concern(org, admin, outsider):
    inv = org_services.invitation_send(
        organization=org, acting_user=admin, uin=outsider.account.uin, name="msg"
    )
    assert Message.objects.filter(account=outsider.account, title__contains="invites you").exists()
    org_services.invitation_accept(invitation=inv, acting_user=outsider)
    assert Message.objects.filter(
        account=admin.account, title__contains="accepted your invitation"
    ).exists()
    m = Membership.objects.get(account=outsider.account)
    org_services.member_remove(membership=m, acting_user=admin)
    assert Message.objects.filter(account=outsider.account, title__contains="removed").exists()
    quitter = join(org, admin, name="quitter", allow_quit=True)
    org_services.member_quit(
        membership=Membership.objects.get(account=quitter.account), acting_user=quitter
    )
    assert Message.objects.filter(
        account=admin.account, title__contains="quit the organization"
    ).exists()
