"""Rules O6–O11 of SPEC.md (created members, quitting and removal, moves, financial
permissions and payers, membership periods), each proven through the service that
enforces it."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations import services
from organizations.choices import MemberType
from organizations.models import (
    AuditRecord,
    Membership,
    MembershipPeriod,
    PermissionChange,
)
from tco_console.errors import DomainError
from tests.factories import EntityFactory, UserFactory, join, make_org, update_and_accept
from tests.organizations.helpers import chain, invite

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ O6


def test_o6_created_member_gets_new_uin_and_admin_entity(client, org, admin):
    m = services.member_create(
        organization=org,
        acting_user=admin,
        name="made-here",
        username="made",
        password="Created-pw-2026",
        permissions=[1, 2, 7],
        payer=org.admin_account,
    )
    assert m.member_type == MemberType.CREATED
    assert len(m.account.uin) == 12 and m.account.uin.isdigit()
    assert m.account.entity == org.admin_account.entity
    assert m.payer == org.admin_account and not m.allow_quit
    assert client.login(username="made", password="Created-pw-2026")
    assert "made-here" in client.get("/").content.decode()


# ------------------------------------------------------------------ O7


def test_o7_quit_needs_allow_quit(org, admin):
    user = join(org, admin, allow_quit=False)
    m = Membership.objects.get(account=user.account)
    with pytest.raises(DomainError, match="does not allow this member to quit") as exc:
        services.member_quit(membership=m, acting_user=user)
    assert exc.value.code == "UnsupportedOperation.MemberNotAllowQuit"


def test_o7_member_quits_when_allowed(org, admin, member):
    services.member_quit(
        membership=Membership.objects.get(account=member.account), acting_user=member
    )
    assert not Membership.objects.filter(account=member.account).exists()


def test_o7_pay_on_behalf_member_cannot_have_allow_quit(org, admin):
    with pytest.raises(DomainError, match="not allowed to quit the organization actively") as exc:
        invite(
            org,
            admin,
            UserFactory(account__entity=org.admin_account.entity),
            permissions=[1, 2, 7],
            payer=org.admin_account,
            allow_quit=True,
        )
    assert exc.value.code == "InvalidParameter.AllowQuitIllegal"
    m = Membership.objects.get(account=admin.account)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=m.pk).update(payer=org.admin_account, allow_quit=True)


def test_o7_created_members_cannot_quit_or_be_removed(org, admin):
    m = services.member_create(
        organization=org, acting_user=admin, name="c", username="c-user", password="x" * 12
    )
    with pytest.raises(DomainError, match="cannot be removed"):
        services.member_remove(membership=m, acting_user=admin)
    with pytest.raises(DomainError, match="not allowed to quit"):
        services.member_quit(membership=m, acting_user=admin)


def test_o7_admin_removes_an_invited_member(org, admin, member):
    m = Membership.objects.get(account=member.account)
    services.member_remove(membership=m, acting_user=admin)
    assert not Membership.objects.filter(account=member.account).exists()
    assert AuditRecord.objects.filter(
        action="member.remove", target_account=member.account
    ).exists()


def test_o7_removal_and_quit_refused_while_paid_for_by_a_payer(org, admin, pob_member):
    m = Membership.objects.get(account=pob_member.account)
    for call in (services.member_remove, services.member_quit):
        with pytest.raises(DomainError, match="switch it to self-pay first"):
            call(membership=m, acting_user=admin)
    update_and_accept(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2],
        payer=None,
        allow_quit=True,
    )
    services.member_quit(membership=m, acting_user=pob_member)


def test_o7_removal_refused_while_paying_for_others(org, admin):
    payer_user = join(org, admin, name="payer-member")
    join(org, admin, name="paid", payer=payer_user.account)
    with pytest.raises(DomainError, match="pays on behalf of other members") as exc:
        services.member_remove(
            membership=Membership.objects.get(account=payer_user.account), acting_user=admin
        )
    assert exc.value.code == "FailedOperation.MemberIsDelegatePayerNotAllowDelete"


def test_o7_admin_cannot_quit_and_org_deletes_only_when_empty(org, admin, member):
    with pytest.raises(DomainError, match="cannot quit an organization created by yourself"):
        services.member_quit(
            membership=Membership.objects.get(account=admin.account), acting_user=admin
        )
    with pytest.raises(DomainError, match="There are members in this organization"):
        services.organization_delete(organization=org, acting_user=admin)
    services.member_remove(
        membership=Membership.objects.get(account=member.account), acting_user=admin
    )
    services.organization_delete(organization=org, acting_user=admin)
    org.refresh_from_db()
    assert org.deleted_at is not None
    assert not Membership.objects.filter(account=admin.account).exists()
    services.organization_create(account=admin.account, acting_user=admin)  # free to start again


# ------------------------------------------------------------------ O8


def test_o8_move_members_in_bulk(org, admin):
    dept = chain(org, admin, 1)
    users = [join(org, admin) for _ in range(3)]
    moved = services.members_move(
        organization=org, uins=[u.account.uin for u in users], department=dept, acting_user=admin
    )
    assert moved == 3
    assert set(
        Membership.objects.filter(department=dept).values_list("account__uin", flat=True)
    ) == {u.account.uin for u in users}
    assert AuditRecord.objects.filter(action="member.move", organization=org).count() == 3


def test_o8_moving_a_foreign_uin_moves_nothing(org, admin, member, other_org):
    dept = chain(org, admin, 1)
    foreign = other_org[2].account.uin
    with pytest.raises(DomainError, match="do not belong to the organization"):
        services.members_move(
            organization=org, uins=[member.account.uin, foreign], department=dept, acting_user=admin
        )
    assert Membership.objects.get(account=member.account).department.is_root


# ------------------------------------------------------------------ O9 / O10 entity rule


def test_o9_view_bills_and_balance_are_mandatory(org, admin):
    with pytest.raises(DomainError, match="mandatory"):
        invite(org, admin, UserFactory(), permissions=[1])


def test_o9_pay_on_behalf_requires_a_payer_and_vice_versa(org, admin):
    user = UserFactory(account__entity=org.admin_account.entity)
    with pytest.raises(DomainError, match="requires a payer"):
        invite(org, admin, user, permissions=[1, 2, 7])
    with pytest.raises(DomainError, match="only be set together with the pay-on-behalf permission"):
        invite(org, admin, user, permissions=[1, 2], payer=org.admin_account)


def test_o9_permission_changes_are_audited(org, admin, member):
    m = Membership.objects.get(account=member.account)
    services.member_update(
        membership=m,
        acting_user=admin,
        name=m.name,
        remark="",
        permissions=[1, 2, 4, 8],
        payer=None,
        allow_quit=True,
    )
    # F17: the admin's request and the member's consent are each audited
    request = AuditRecord.objects.get(
        action="member.permission_change.request", target_account=member.account
    )
    assert request.changes["permissions"] == [[1, 2], [1, 2, 4, 8]]
    assert request.actor == admin
    services.permission_change_accept(
        change=PermissionChange.objects.get(account=member.account), acting_user=member
    )
    record = AuditRecord.objects.get(
        action="member.permission_change.accept", target_account=member.account
    )
    assert record.changes["permissions"] == [[1, 2], [1, 2, 4, 8]]
    assert record.actor == member


def test_o10_payer_needs_the_same_enterprise_entity(org, admin):
    stranger = UserFactory(account__entity=EntityFactory(name="Other Corp"))
    with pytest.raises(DomainError, match="different enterprise entities"):
        invite(org, admin, stranger, permissions=[1, 2, 7], payer=org.admin_account)
    unverified = UserFactory(account__entity=None)
    with pytest.raises(DomainError, match="different enterprise entities"):
        invite(org, admin, unverified, permissions=[1, 2, 7], payer=org.admin_account)


def test_o10_no_payer_chains(org, admin):
    pob = join(org, admin, name="paid-by-admin", payer=org.admin_account)
    newcomer = UserFactory(account__entity=org.admin_account.entity)
    with pytest.raises(DomainError, match="admin account or a self-paying member"):
        invite(org, admin, newcomer, permissions=[1, 2, 7], payer=pob.account)
    payer_member = join(org, admin, name="self-payer")
    join(org, admin, name="paid-by-member", payer=payer_member.account)
    m = Membership.objects.get(account=payer_member.account)
    with pytest.raises(DomainError, match="pays on behalf of other members"):
        services.member_update(
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="",
            permissions=[1, 2, 7],
            payer=org.admin_account,
            allow_quit=False,
        )


def test_o10_payer_outside_the_organization_is_refused(org, admin, other_org):
    with pytest.raises(DomainError, match="admin account or a self-paying member"):
        invite(
            org,
            admin,
            UserFactory(account__entity=org.admin_account.entity),
            permissions=[1, 2, 7],
            payer=other_org[0].admin_account,
        )


# ------------------------------------------------------------------ O11


def test_o11_periods_record_join_payer_switch_and_leave(org, admin):
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        user = join(org, admin, name="periodic", payer=org.admin_account)
    m = Membership.objects.get(account=user.account)
    with time_machine.travel(t0 + timedelta(days=10), tick=False):
        update_and_accept(
            membership=m,
            acting_user=admin,
            name=m.name,
            remark="",
            permissions=[1, 2],
            payer=None,
            allow_quit=True,
        )
    with time_machine.travel(t0 + timedelta(days=20), tick=False):
        services.member_quit(membership=Membership.objects.get(pk=m.pk), acting_user=user)
    periods = list(
        MembershipPeriod.objects.filter(account=user.account)
        .order_by("started_at")
        .values_list("payer_id", "started_at", "ended_at")
    )
    assert periods == [
        (org.admin_account.pk, t0, t0 + timedelta(days=10)),
        (None, t0 + timedelta(days=10), t0 + timedelta(days=20)),
    ]


def test_o11_rejoining_opens_a_new_period_and_history_is_per_org(org, admin, member, other_org):
    services.member_quit(
        membership=Membership.objects.get(account=member.account), acting_user=member
    )
    org2, admin2, _ = other_org
    join(org2, admin2, user=member, name="rejoined")
    assert MembershipPeriod.objects.filter(account=member.account).count() == 2
    assert (
        MembershipPeriod.objects.filter(account=member.account, ended_at__isnull=True)
        .get()
        .organization
        == org2
    )


def test_o11_admin_never_sees_records_from_before_joining(client, org, admin):
    user = UserFactory(account__entity=org.admin_account.entity)
    org_b, admin_b = make_org()
    join(org_b, admin_b, user=user, name="was-elsewhere", allow_quit=True)
    services.member_quit(membership=Membership.objects.get(account=user.account), acting_user=user)
    join(org, admin, user=user, name="now-here")
    client.force_login(admin)
    page = client.get("/audit/").content.decode()
    assert "now-here" in page and "was-elsewhere" not in page
    detail = client.get(f"/members/{user.account.uin}/").content.decode()
    assert detail.count('data-testid="period-row"') == 1  # only its period in this organization
