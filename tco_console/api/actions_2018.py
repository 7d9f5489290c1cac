"""Version 2018-12-25 (issue 15): the invitation lifecycle and the organization's reads, with
that version's field names (`Nickname`, `Mail`, `TotalCount`, OrgInvitation.Status as an
integer: -1 expired, 0 pending, 1 accepted, 2 invalid or declined, 3 cancelled). Each calls
the console's own services and scoping, like the 2021-03-31 actions."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from organizations import selectors, services
from organizations.choices import InvitationStatus
from organizations.models import Department, Invitation, Membership

from .actions_2021 import _membership, _require_admin, _require_org
from .errors import ApiError
from .params import Params
from .params import api_time as _time

STATUS = {
    InvitationStatus.EXPIRED: -1,
    InvitationStatus.PENDING: 0,
    InvitationStatus.ACCEPTED: 1,
    InvitationStatus.DECLINED: 2,
    InvitationStatus.INVALID: 2,
    InvitationStatus.CANCELLED: 3,
}


def _page(p: Params) -> tuple[int, int]:
    offset = p.int("Offset", default=0)
    limit = p.int("Limit", default=10, min=1, max=50)
    return offset, limit


def get_organization(ctx, p: Params) -> dict:
    p.done()
    _require_org(ctx)
    org = ctx.organization
    admin = org.admin_account
    return {
        "OrgId": org.pk,
        "HostUin": int(admin.uin),
        "Nickname": admin.name,
        "Mail": admin.email,
        "OrgType": 1,
        "IsEmpty": 0
        if Membership.objects.filter(organization=org).exclude(account=admin).exists()
        else 1,
    }


def _invitation(i: Invitation) -> dict:
    admin = i.organization.admin_account
    return {
        "Id": i.pk,
        "Uin": int(i.invitee.uin),
        "HostUin": int(admin.uin),
        "HostName": admin.name,
        "HostMail": "",
        "Status": STATUS.get(i.effective_status, 2),
        "Name": i.name,
        "Remark": i.remark,
        "OrgType": 1,
        "InviteTime": _time(i.created_at),
        "ExpireTime": _time(i.expires_at),
    }


def send_organization_invitation(ctx, p: Params) -> dict:
    uin = p.int("InviteUin", required=True)
    name = p.str("Name", required=True, max_length=25)
    remark = p.str("Remark", required=True, max_length=40)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    services.invitation_send(
        organization=ctx.organization,
        acting_user=ctx.user,
        uin=str(uin),
        name=name,
        remark=remark,
    )
    return {}


def list_organization_invitations(ctx, p: Params) -> dict:
    invited = p.int("Invited", required=True, min=0, max=1)
    offset, limit = _page(p)
    p.done()
    if ctx.account is None:
        raise ApiError("ResourceNotFound.UserNotExist", _("The user has no account."))
    if invited:
        rows = selectors.invitations_received(user=ctx.user)
    else:
        if not ctx.is_admin:
            return {"Invitations": [], "TotalCount": 0}
        rows = selectors.invitations_sent(user=ctx.user)
    rows = rows.select_related("invitee", "organization__admin_account").order_by(
        "-created_at", "-pk"
    )
    return {
        "TotalCount": rows.count(),
        "Invitations": [_invitation(i) for i in rows[offset : offset + limit]],
    }


def _received(ctx, pk: int) -> Invitation:
    invitation = (
        Invitation.objects.restrict(ctx.user, "respond").filter(pk=pk).first()
        if ctx.account is not None and ctx.can("organizations.respond_invitation")
        else None
    )
    if invitation is None:
        raise ApiError("ResourceNotFound.InvitationNotExist", _("The invitation does not exist."))
    return invitation


def accept_organization_invitation(ctx, p: Params) -> dict:
    pk = p.int("Id", required=True)
    p.done()
    services.invitation_accept(invitation=_received(ctx, pk), acting_user=ctx.user)
    return {}


def deny_organization_invitation(ctx, p: Params) -> dict:
    pk = p.int("Id", required=True)
    p.done()
    services.invitation_decline(invitation=_received(ctx, pk), acting_user=ctx.user)
    return {}


def cancel_organization_invitation(ctx, p: Params) -> dict:
    pk = p.int("Id", required=True)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    invitation = Invitation.objects.restrict(ctx.user, "cancel").filter(pk=pk).first()
    if invitation is None:
        raise ApiError("ResourceNotFound.InvitationNotExist", _("The invitation does not exist."))
    services.invitation_cancel(invitation=invitation, acting_user=ctx.user)
    return {}


def list_organization_nodes(ctx, p: Params) -> dict:
    p.done()
    _require_admin(ctx)
    nodes = (
        Department.objects.filter(organization_id=ctx.organization_id)
        .annotate(member_count=Count("members"))
        .order_by("path", "pk")
    )
    return {
        "Nodes": [
            {
                "NodeId": d.pk,
                "Name": d.name,
                "ParentNodeId": d.parent_id or 0,
                "MemberCount": d.member_count,
            }
            for d in nodes
        ]
    }


def list_organization_members(ctx, p: Params) -> dict:
    offset, limit = _page(p)
    p.done()
    _require_admin(ctx)
    members = selectors.member_list(user=ctx.user).order_by("name_lower", "pk")
    return {
        "TotalCount": members.count(),
        "Members": [
            {
                "Uin": int(m.account.uin),
                "Name": m.name,
                "Remark": m.remark,
                "JoinTime": _time(m.joined_at),
            }
            for m in members[offset : offset + limit]
        ],
    }


def get_organization_member(ctx, p: Params) -> dict:
    uin = p.int("MemberUin", required=True)
    p.done()
    _require_admin(ctx)
    m = _membership(ctx, uin)
    department = Department.objects.get(pk=m.department_id)
    return {
        "Uin": int(m.account.uin),
        "Name": m.name,
        "Remark": m.remark,
        "JoinTime": _time(m.joined_at),
        "NodeId": department.pk,
        "NodeName": department.name,
        "ParentNodeId": department.parent_id or 0,
    }


ACTIONS = {
    "GetOrganization": get_organization,
    "SendOrganizationInvitation": send_organization_invitation,
    "ListOrganizationInvitations": list_organization_invitations,
    "AcceptOrganizationInvitation": accept_organization_invitation,
    "DenyOrganizationInvitation": deny_organization_invitation,
    "CancelOrganizationInvitation": cancel_organization_invitation,
    "ListOrganizationNodes": list_organization_nodes,
    "ListOrganizationMembers": list_organization_members,
    "GetOrganizationMember": get_organization_member,
}
