"""F17: an invited member consents to a change of its financial permissions or payer
(TCO's PermissionStatus Confirmed / UnConfirmed; FailedOperation.ChangePermissionRecordExist)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing import services as billing_services
from billing.finance.reach import members_granting
from billing.models import Message
from billing.models.choices import OrderStatus
from organizations import services
from organizations.choices import PermissionChangeStatus
from organizations.models import AuditRecord, Membership, MembershipPeriod, PermissionChange
from organizations.scoping import console_context
from tco_console.errors import DomainError
from tco_console.management.commands.tick import PERIODIC_TASKS
from tests.billing.helpers import D, buy
from tests.concurrency import run_concurrently
from tests.factories import join, make_org

pytestmark = pytest.mark.django_db
# the member's page and the member's Overview: one query for the records and their people
PINNED_DETAIL, PINNED_OVERVIEW = 12, 8


def ask(admin, user, *, permissions, payer=None, allow_quit=False, name=None, remark=""):
    """The admin edits the member as the edit form does; returns the (re-read) membership."""
    m = Membership.objects.get(account=user.account)
    return services.member_update(
        membership=m,
        acting_user=admin,
        name=name or m.name,
        remark=remark,
        permissions=permissions,
        payer=payer,
        allow_quit=allow_quit,
    )


def membership(user) -> Membership:
    return Membership.objects.select_related("payer").get(account=user.account)


def pending(user) -> PermissionChange:
    return PermissionChange.objects.get(account=user.account, status=PermissionChangeStatus.VALID)


# ------------------------------------------------------------------ the request


def test_f17_an_invited_members_change_waits_and_the_old_permissions_stay_in_force(
    org, admin, member
):
    m = ask(admin, member, permissions=[1, 2, 8], name="renamed", remark="ops", allow_quit=True)
    change = m.pending_change
    assert change is not None and change.status == PermissionChangeStatus.VALID
    assert change.old_permissions == [1, 2] and change.new_permissions == [1, 2, 8]
    assert change.old_payer is None and change.new_payer is None
    assert change.operator == admin
    assert change.expires_at == change.created_at + timedelta(days=15)
    now = membership(member)
    assert (now.name, now.remark) == ("renamed", "ops")  # apply at once
    assert now.permissions == [1, 2]  # the old permissions stay in force
    # F1: the admin's reach follows the permissions in force: 8 is not granted yet
    assert member.account.membership.pk not in {
        mm.pk for mm in members_granting(console_context(admin), 8)
    }
    notice = Message.objects.get(account=member.account, title__contains="asks to change")
    assert notice.link == reverse("home") and "1, 2 → 1, 2, 8" in notice.body
    request = AuditRecord.objects.get(action="member.permission_change.request")
    assert request.actor == admin and request.target_account == member.account


def test_f17_one_change_at_most_awaits_consent(org, admin, member):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    with pytest.raises(DomainError) as refused:
        ask(admin, member, permissions=[1, 2, 9], allow_quit=True)
    assert refused.value.code == "FailedOperation.ChangePermissionRecordExist"
    assert "already awaiting its consent" in refused.value.message
    assert PermissionChange.objects.filter(account=member.account).count() == 1
    # an edit that leaves permissions and payer as they are in force still applies
    m = ask(admin, member, permissions=[1, 2], name="still-editable", allow_quit=True)
    assert m.pending_change is None and membership(member).name == "still-editable"


def test_f17_the_request_is_checked_at_once(catalog, org, admin, member):
    buy(member, "S5.MEDIUM4")  # to be paid: O10 refuses pay-on-behalf now
    with pytest.raises(DomainError, match="orders awaiting payment"):
        ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    assert not PermissionChange.objects.exists()


def test_f17_created_members_changes_apply_at_once(org, admin):
    m = services.member_create(
        organization=org, acting_user=admin, name="made", username="made-user", password="x" * 12
    )
    m = services.member_update(
        membership=m,
        acting_user=admin,
        name="made",
        remark="",
        permissions=[1, 2, 7],
        payer=org.admin_account,
        allow_quit=False,
    )
    assert m.pending_change is None
    assert Membership.objects.get(pk=m.pk).payer == org.admin_account
    assert not PermissionChange.objects.exists()


# ------------------------------------------------------------------ the answers


def test_f17_accepting_applies_the_payer_and_the_periods(catalog, org, admin, member):
    ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    assert membership(member).payer is None
    assert membership(member).allow_quit is False  # "allow quit" off applies at once
    assert MembershipPeriod.objects.filter(account=member.account).count() == 1
    change = services.permission_change_accept(change=pending(member), acting_user=member)
    m = membership(member)
    assert m.payer == org.admin_account and m.permissions == [1, 2, 7]
    periods = list(MembershipPeriod.objects.filter(account=member.account).order_by("pk"))
    assert [p.payer_id for p in periods] == [None, org.admin_account.pk]  # O11
    assert periods[0].ended_at is not None and periods[1].ended_at is None
    assert change.status == PermissionChangeStatus.ACCEPTED and change.decided_by == member
    assert Message.objects.filter(account=org.admin_account, title__contains="accepted").exists()
    accepted = AuditRecord.objects.get(action="member.permission_change.accept")
    assert accepted.actor == member and accepted.changes["payer"] == [None, org.admin_account.uin]


def test_f17_allow_quit_asked_with_self_pay_turns_on_when_accepted(org, admin, pob_member):
    ask(admin, pob_member, permissions=[1, 2], payer=None, allow_quit=True)
    m = membership(pob_member)
    assert m.payer == org.admin_account and m.allow_quit is False  # O7 holds meanwhile
    assert pending(pob_member).allow_quit_on_accept is True
    services.permission_change_accept(change=pending(pob_member), acting_user=pob_member)
    m = membership(pob_member)
    assert m.payer is None and m.allow_quit is True


def test_f17_allow_quit_is_refused_while_a_switch_to_pay_on_behalf_waits(org, admin, member):
    ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    with pytest.raises(DomainError) as refused:
        ask(admin, member, permissions=[1, 2], allow_quit=True)
    assert refused.value.code == "InvalidParameter.AllowQuitIllegal"
    assert membership(member).allow_quit is False


@pytest.mark.parametrize("answer", ["deny", "cancel", "expire"])
def test_f17_deny_cancel_and_expiry_leave_the_permissions(org, admin, member, answer):
    ask(admin, member, permissions=[1, 2, 4, 8], allow_quit=True)
    change = pending(member)
    if answer == "deny":
        services.permission_change_deny(change=change, acting_user=member)
        told, status = org.admin_account, PermissionChangeStatus.DENIED
    elif answer == "cancel":
        services.permission_change_cancel(change=change, acting_user=admin)
        told, status = member.account, PermissionChangeStatus.CANCELED
    else:
        with time_machine.travel(timezone.now() + timedelta(days=15, seconds=1)):
            assert services.permission_changes_expire() == 1
        told, status = member.account, PermissionChangeStatus.EXPIRED
    change.refresh_from_db()
    assert change.status == status and change.decided_at is not None
    assert membership(member).permissions == [1, 2]
    assert Message.objects.filter(account=told).exclude(title__contains="asks").exists()
    assert AuditRecord.objects.filter(action=f"member.permission_change.{answer}").exists()
    # a new change may be asked now; the decided one stays in the history
    assert ask(admin, member, permissions=[1, 2, 9], allow_quit=True).pending_change is not None
    assert PermissionChange.objects.filter(account=member.account).count() == 2
    with pytest.raises(DomainError, match="no longer awaiting consent"):
        services.permission_change_accept(change=change, acting_user=member)


def test_f17_a_change_past_its_expiry_reads_as_expired_and_cannot_be_accepted(org, admin, member):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    change = pending(member)
    with time_machine.travel(timezone.now() + timedelta(days=16)):
        assert change.effective_status == PermissionChangeStatus.EXPIRED  # before the sweep
        assert not PermissionChange.objects.pending().exists()
        with pytest.raises(DomainError, match="expired") as refused:
            services.permission_change_accept(change=change, acting_user=member)
        assert refused.value.code == "ResourceNotFound.ChangePermissionNotExist"
    change.refresh_from_db()
    assert change.status == PermissionChangeStatus.EXPIRED
    assert membership(member).permissions == [1, 2]


def test_f17_the_sweep_is_a_periodic_task():
    assert "expire_permission_changes" in {t.name for t in PERIODIC_TASKS}


def test_f17_a_member_that_leaves_takes_no_pending_change_with_it(org, admin, member):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    services.member_remove(membership=membership(member), acting_user=admin)
    change = PermissionChange.objects.get(account=member.account)
    assert change.status == PermissionChangeStatus.EXPIRED and "left" in change.status_reason


# ------------------------------------------------------------------ O10 again at acceptance


def test_f17_accepting_is_refused_when_the_payer_went_into_arrears_meanwhile(
    catalog, org, admin, member
):
    ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    billing_services.wallet_set_credit_limit(
        account=admin.account, limit=D("200"), acting_user=admin
    )
    assert buy(admin, "S5.MEDIUM4").status == OrderStatus.PAID  # on credit: cash −150
    billing_services.wallet_set_credit_limit(
        account=admin.account, limit=D("100"), acting_user=admin
    )  # in arrears now
    with pytest.raises(DomainError, match="payer has an overdue payment") as refused:
        services.permission_change_accept(change=pending(member), acting_user=member)
    assert refused.value.code == "UnsupportedOperation.PayerArrearsAndNoCreditAccount"
    m = membership(member)
    assert m.payer is None and m.permissions == [1, 2]  # nothing changed
    assert pending(member).status == PermissionChangeStatus.VALID
    assert MembershipPeriod.objects.filter(account=member.account).count() == 1


def test_f17_accepting_is_refused_when_the_member_got_an_order_to_pay_meanwhile(
    catalog, org, admin, member
):
    ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    order = buy(member, "S5.MEDIUM4")
    assert order.status == OrderStatus.TO_BE_PAID
    with pytest.raises(DomainError, match="orders awaiting payment"):
        services.permission_change_accept(change=pending(member), acting_user=member)
    assert membership(member).payer is None
    billing_services.order_cancel(order=order, acting_user=member)
    services.permission_change_accept(change=pending(member), acting_user=member)
    assert membership(member).payer == org.admin_account


def test_f17_accepting_is_refused_when_the_payer_is_no_longer_eligible(org, admin, member):
    payer_user = join(org, admin, name="payer-member")
    ask(admin, member, permissions=[1, 2, 7], payer=payer_user.account)
    ask(admin, payer_user, permissions=[1, 2, 7], payer=org.admin_account)
    services.permission_change_accept(change=pending(payer_user), acting_user=payer_user)
    with pytest.raises(DomainError, match="self-paying member"):
        services.permission_change_accept(change=pending(member), acting_user=member)
    assert membership(member).payer is None


# ------------------------------------------------------------------ pages


def test_f17_the_members_table_shows_confirmed_and_unconfirmed(
    client, org, admin, member, django_assert_max_num_queries
):
    others = [join(org, admin) for _ in range(3)]
    for user in others:
        ask(admin, user, permissions=[1, 2, 8])
    client.force_login(admin)
    client.get("/members/")  # warm caches
    with django_assert_max_num_queries(10):  # the members page's pinned count
        body = client.get("/members/").content.decode()
    assert body.count('data-testid="permission-status">Unconfirmed<') == 3
    assert body.count('data-testid="permission-status">Confirmed<') == 1  # member-one


def test_f17_the_admin_sees_the_change_and_cancels_it_on_the_members_page(
    client, org, admin, member
):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    change = pending(member)
    client.force_login(admin)
    page = client.get(reverse("organizations:member_detail", args=[member.account.uin]))
    body = page.content.decode()
    assert 'data-testid="pending-change"' in body and "Unconfirmed" in body
    edit = reverse("organizations:member_edit", args=[member.account.uin])
    assert 'data-testid="edit-pending-change"' in client.get(edit).content.decode()
    assert reverse("organizations:permission_change_cancel", args=[change.pk]) in body
    response = client.post(reverse("organizations:permission_change_cancel", args=[change.pk]))
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == PermissionChangeStatus.CANCELED
    body = client.get(response.url).content.decode()
    assert 'data-testid="pending-change"' not in body and "Canceled" in body  # history


def test_f17_the_member_accepts_from_its_overview(client, org, admin, member):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    change = pending(member)
    client.force_login(member)
    body = client.get("/").content.decode()
    assert 'data-testid="member-pending-change"' in body
    assert reverse("organizations:permission_change_accept", args=[change.pk]) in body
    response = client.post(reverse("organizations:permission_change_accept", args=[change.pk]))
    assert response.status_code == 302
    assert membership(member).permissions == [1, 2, 8]
    body = client.get("/").content.decode()
    assert 'data-testid="member-pending-change"' not in body and "Accepted" in body


def test_f17_bad_requests_change_nothing(client, org, admin, member, other_org):
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)
    change = pending(member)
    _org2, admin2, foreign = other_org
    ask(admin2, foreign, permissions=[1, 2, 8])
    foreign_change = pending(foreign)
    accept = reverse("organizations:permission_change_accept", args=[change.pk])
    cancel = reverse("organizations:permission_change_cancel", args=[change.pk])
    # another organization's record, or the other side's button: 404
    client.force_login(admin)
    for name in ("accept", "deny", "cancel"):
        url = reverse(f"organizations:permission_change_{name}", args=[foreign_change.pk])
        assert client.post(url).status_code == 404
    assert client.post(accept).status_code == 404  # the admin cannot accept for the member
    assert (
        client.post(reverse("organizations:permission_change_cancel", args=[999999])).status_code
        == 404
    )
    client.force_login(member)
    assert client.post(cancel).status_code == 404  # the member cannot cancel
    assert client.get(accept).status_code == 405  # POST only
    huge = f"/permission-changes/{10**30}/accept/"
    assert client.post(huge).status_code == 404
    # no CSRF token: refused
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(accept).status_code == 403
    assert Client().post(accept).status_code == 302  # signed out: to the login page
    change.refresh_from_db()
    foreign_change.refresh_from_db()
    assert change.status == foreign_change.status == PermissionChangeStatus.VALID
    assert membership(member).permissions == [1, 2]


# ------------------------------------------------------------------ race (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_f17_accept_and_cancel_of_one_change_exactly_one_wins(attempt):
    org, admin = make_org()
    member = join(org, admin, name="racer")
    ask(admin, member, permissions=[1, 2, 7], payer=org.admin_account)
    change = pending(member)
    results = run_concurrently(
        lambda: services.permission_change_accept(change=change, acting_user=member),
        lambda: services.permission_change_cancel(change=change, acting_user=admin),
    )
    errors = [e for _r, e in results if e is not None]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), results
    assert "no longer awaiting consent" in errors[0].message
    change.refresh_from_db()
    m = membership(member)
    periods = MembershipPeriod.objects.filter(account=member.account).count()
    if change.status == PermissionChangeStatus.ACCEPTED:
        assert m.payer == org.admin_account and m.permissions == [1, 2, 7] and periods == 2
    else:
        assert change.status == PermissionChangeStatus.CANCELED
        assert m.payer is None and m.permissions == [1, 2] and periods == 1


def test_f17_the_pages_showing_changes_have_a_pinned_query_count(
    client, org, admin, member, django_assert_max_num_queries
):
    for perms in ([1, 2, 8], [1, 2, 9], [1, 2, 4]):
        ask(admin, member, permissions=perms, allow_quit=True)
        services.permission_change_deny(change=pending(member), acting_user=member)
    ask(admin, member, permissions=[1, 2, 8], allow_quit=True)  # and one pending
    detail = reverse("organizations:member_detail", args=[member.account.uin])
    client.force_login(admin)
    client.get(detail)  # warm caches
    with django_assert_max_num_queries(PINNED_DETAIL):
        assert "Awaiting consent" in client.get(detail).content.decode()
    client.force_login(member)
    client.get("/")
    with django_assert_max_num_queries(PINNED_OVERVIEW):
        assert client.get("/").content.decode().count('data-testid="permission-change-row"') == 4


def test_f17_the_edit_form_says_a_change_already_waits(client, org, admin, member):
    edit = reverse("organizations:member_edit", args=[member.account.uin])
    client.force_login(admin)
    form = {"name": "member-one", "remark": "", "payment_mode": "self", "allow_quit": "on"}
    response = client.post(edit, {**form, "permissions": ["8"]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert membership(member).permissions == [1, 2]
    response = client.post(edit, {**form, "permissions": ["9"]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "already awaiting its consent" in response.content.decode()
    assert pending(member).new_permissions == [1, 2, 8]
