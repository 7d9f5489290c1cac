"""Issue 15, version 2018-12-25 through the official SDK: the invitation lifecycle (send,
list sent and received, accept, deny, cancel) and the reads (GetOrganization,
ListOrganizationNodes, ListOrganizationMembers, GetOrganizationMember)."""

import pytest
from tencentcloud.organization.v20181225 import models, organization_client

from organizations.models import Department, Invitation, Membership
from tests.api.test_api_sdk import call, client_for, error_code, make_key
from tests.factories import UserFactory, join

pytestmark = pytest.mark.django_db(transaction=True)


def client_2018(live_server, sid, secret):
    c = client_for(live_server, sid, secret)
    return organization_client.OrganizationClient(c.credential, "", c.profile)


def _call(api, action, **fields):
    return call(models, api, action, **fields)


def _code(api, action, **fields):
    return error_code(models, api, action, **fields)


def test_the_invitation_lifecycle_and_the_reads(live_server, org, admin):
    api = client_2018(live_server, *make_key(admin))
    got = _call(api, "GetOrganization")
    assert got.OrgId == org.pk and got.HostUin == int(org.admin_account.uin) and got.IsEmpty == 1

    invitee = UserFactory(account__entity=org.admin_account.entity)
    _call(
        api,
        "SendOrganizationInvitation",
        InviteUin=int(invitee.account.uin),
        Name="joiner",
        Remark="hi",
    )
    sent = _call(api, "ListOrganizationInvitations", Invited=0, Offset=0, Limit=10)
    assert sent.TotalCount == 1 and sent.Invitations[0].Status == 0
    assert sent.Invitations[0].Name == "joiner" and sent.Invitations[0].Uin == int(
        invitee.account.uin
    )

    member_api = client_2018(live_server, *make_key(invitee))
    received = _call(member_api, "ListOrganizationInvitations", Invited=1)
    inv_id = received.Invitations[0].Id
    assert _code(member_api, "AcceptOrganizationInvitation", Id=999999) == (
        "ResourceNotFound.InvitationNotExist"
    )
    _call(member_api, "AcceptOrganizationInvitation", Id=inv_id)
    assert Membership.objects.filter(account=invitee.account, name="joiner").exists()
    assert _call(api, "ListOrganizationInvitations", Invited=0).Invitations[0].Status == 1

    members = _call(api, "ListOrganizationMembers", Offset=0, Limit=10)
    assert members.TotalCount == 2 and {m.Name for m in members.Members} >= {"joiner"}
    one = _call(api, "GetOrganizationMember", MemberUin=int(invitee.account.uin))
    root = Department.objects.get(organization=org, parent__isnull=True)
    assert one.NodeId == root.pk and one.NodeName == "Root" and one.ParentNodeId == 0
    nodes = _call(api, "ListOrganizationNodes").Nodes
    assert [(n.Name, n.MemberCount) for n in nodes] == [("Root", 2)]
    assert _call(api, "GetOrganization").IsEmpty == 0


def test_deny_and_cancel(live_server, org, admin):
    api = client_2018(live_server, *make_key(admin))
    a = UserFactory(account__entity=org.admin_account.entity)
    b = UserFactory(account__entity=org.admin_account.entity)
    _call(
        api, "SendOrganizationInvitation", InviteUin=int(a.account.uin), Name="deny-me", Remark=""
    )
    _call(
        api, "SendOrganizationInvitation", InviteUin=int(b.account.uin), Name="cancel-me", Remark=""
    )
    a_api = client_2018(live_server, *make_key(a))
    _call(a_api, "DenyOrganizationInvitation", Id=Invitation.objects.get(invitee=a.account).pk)
    cancel_id = Invitation.objects.get(invitee=b.account).pk
    b_api = client_2018(live_server, *make_key(b))
    assert (
        _code(b_api, "CancelOrganizationInvitation", Id=cancel_id)
        == "ResourceNotFound.OrganizationNotExist"
    )
    _call(api, "CancelOrganizationInvitation", Id=cancel_id)
    statuses = {
        i.Name: i.Status for i in _call(api, "ListOrganizationInvitations", Invited=0).Invitations
    }
    assert statuses == {"deny-me": 2, "cancel-me": 3}
    assert (
        _code(api, "SendOrganizationInvitation", InviteUin=999999999999, Name="x", Remark="") != ""
    )


def test_a_member_cannot_read_the_member_list(live_server, org, admin):
    member = join(org, admin, name="m")
    api = client_2018(live_server, *make_key(member))
    assert _code(api, "ListOrganizationMembers") == "UnauthorizedOperation"
    assert _call(api, "GetOrganization").OrgId == org.pk
