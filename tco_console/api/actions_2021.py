"""Version 2021-03-31 actions, each a function `(ctx, params) -> response fields` reading
through the console's own selectors and scoping (issue 15): the key's user sees exactly what
it sees in the console. Response fields follow ../shared/reference/tco-api.md §1.4–1.5."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from organizations import selectors, services
from organizations.choices import FinancialPermission, MemberType
from organizations.models import Department, Membership
from organizations.models.tags import filter_tagged, validate_pairs

from .errors import ApiError
from .params import Params
from .params import api_time as _time

POLICY_TYPE, POLICY_NAME = "Financial", "Financial management"


def _permissions(ids) -> list[dict]:
    labels = dict(FinancialPermission.choices)
    return [{"Id": int(i), "Name": str(labels.get(int(i), i))} for i in sorted(ids or ())]


def _tags(tag_set) -> list[dict]:
    return [{"TagKey": k, "TagValue": v} for k, v in (tag_set.tags if tag_set else [])]


def _require_org(ctx):
    if ctx.membership is None:
        raise ApiError(
            "ResourceNotFound.OrganizationNotExist", _("The account is not in an organization.")
        )


def _require_admin(ctx, perm="organizations.view_org"):
    _require_org(ctx)
    if not ctx.is_admin or not ctx.can(perm):
        raise ApiError(
            "UnauthorizedOperation",
            _("Only the organization's admin account's users with this right may call it."),
        )


def describe_organization(ctx, p: Params) -> dict:
    p.choice("Lang", ("en", "zh"))
    p.str("Product", max_length=64)
    p.done()
    _require_org(ctx)
    m, org = ctx.membership, ctx.organization
    root = Department.objects.get(organization=org, parent__isnull=True)
    return {
        "OrgId": org.pk,
        "HostUin": int(org.admin_account.uin),
        "NickName": org.admin_account.name,
        "OrgType": 1,
        "IsManager": bool(ctx.is_admin),
        "OrgPolicyType": POLICY_TYPE,
        "OrgPolicyName": POLICY_NAME,
        "OrgPermission": _permissions(m.permissions),
        "RootNodeId": root.pk,
        "CreateTime": _time(org.created_at),
        "JoinTime": _time(m.joined_at),
        "IsAllowQuit": "Allow" if m.allow_quit else "Denied",
        "PayUin": m.payer.uin if m.payer_id else "",
        "PayName": m.payer.name if m.payer_id else "",
        "IsAssignManager": False,
        "IsAuthManager": False,
    }


def describe_organization_nodes(ctx, p: Params) -> dict:
    offset, limit = p.page(max_limit=50)
    tags = p.tags()
    p.done()
    _require_admin(ctx)
    nodes = Department.objects.filter(organization_id=ctx.organization_id).select_related("tag_set")
    if tags:
        nodes = filter_tagged(nodes, tags)
    nodes = nodes.order_by("path", "pk")
    return {
        "Total": nodes.count(),
        "Items": [
            {
                "NodeId": d.pk,
                "Name": d.name,
                "ParentNodeId": d.parent_id or 0,
                "Remark": "",
                "CreateTime": _time(d.created_at),
                "UpdateTime": _time(d.created_at),
                "Tags": _tags(d.tag_set),
            }
            for d in nodes[offset : offset + limit]
        ],
    }


def describe_organization_members(ctx, p: Params) -> dict:
    offset, limit = p.page(max_limit=50)
    p.choice("Lang", ("en", "zh"))
    search = (p.str("SearchKey", max_length=100) or "").strip()
    auth_name = (p.str("AuthName", max_length=100) or "").strip()
    p.str("Product", max_length=64)
    tags = p.tags()
    node_id = p.int("NodeId")
    node_name = (p.str("NodeName", max_length=40) or "").strip()
    p.done()
    _require_admin(ctx)
    members = selectors.member_list(user=ctx.user).select_related("tag_set", "account__entity")
    if search:
        members = members.filter(Q(name__icontains=search) | Q(account__uin=search))
    if auth_name:
        members = members.filter(account__entity__name=auth_name)
    if node_id is not None or node_name:
        node = Department.objects.filter(organization_id=ctx.organization_id)
        node = node.filter(pk=node_id) if node_id is not None else node.filter(name=node_name)
        node = node.first()
        if node is None:
            raise ApiError(
                "ResourceNotFound.OrganizationNodeNotExist",
                _("The organization node does not exist."),
            )
        members = members.filter(department=node)
    if tags:
        members = filter_tagged(members, tags)
    members = members.order_by("name_lower", "pk")
    return {
        "Total": members.count(),
        "Items": [_member(m) for m in members[offset : offset + limit]],
    }


def _member(m: Membership) -> dict:
    return {
        "MemberUin": int(m.account.uin),
        "Name": m.name,
        "MemberType": "Create" if m.member_type == MemberType.CREATED else "Invite",
        "OrgPolicyType": POLICY_TYPE,
        "OrgPolicyName": POLICY_NAME,
        "OrgPermission": _permissions(m.permissions),
        "NodeId": m.department_id,
        "NodeName": m.department.name,
        "Remark": m.remark,
        "CreateTime": _time(m.joined_at),
        "UpdateTime": _time(m.updated_at),
        "IsAllowQuit": "Allow" if m.allow_quit else "Denied",
        "PayUin": m.payer.uin if m.payer_id else "",
        "PayName": m.payer.name if m.payer_id else "",
        "OrgIdentity": [],
        "BindStatus": "Unbound",
        "PermissionStatus": "UnConfirmed" if m.permission_unconfirmed else "Confirmed",
        "Tags": _tags(m.tag_set),
        "NickName": m.account.name,
    }


def _node(ctx, node_id: int, *, code="ResourceNotFound.OrganizationNodeNotExist") -> Department:
    node = Department.objects.filter(organization_id=ctx.organization_id, pk=node_id).first()
    if node is None:
        raise ApiError(code, _("The organization node does not exist."))
    return node


def _checked_tags(tags) -> list[list[str]]:
    try:
        return validate_pairs([[k, v or ""] for k, v in tags])
    except ValidationError as error:
        raise ApiError("InvalidParameter.TagError", " ".join(error.messages)) from None


def add_organization_node(ctx, p: Params) -> dict:
    parent_id = p.int("ParentNodeId", required=True)
    name = p.str("Name", required=True, max_length=40)
    p.str("Remark", max_length=200)  # not kept: the console's departments have no remark
    tags = p.tags()
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    pairs = _checked_tags(tags)  # before anything is written: nothing half-saved
    parent = _node(ctx, parent_id, code="InvalidParameter.OrganizationNodeNotExist")
    node = services.department_create(
        organization=ctx.organization, parent=parent, name=name, acting_user=ctx.user
    )
    if pairs:
        services.department_tags_set(department=node, pairs=pairs, acting_user=ctx.user)
    return {"NodeId": node.pk}


def update_organization_node(ctx, p: Params) -> dict:
    node_id = p.int("NodeId", required=True)
    name = p.str("Name", max_length=40)
    p.str("Remark", max_length=200)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    node = _node(ctx, node_id, code="FailedOperation.OrganizationNodeNotExist")
    if name is not None and name != node.name:
        services.department_rename(department=node, name=name, acting_user=ctx.user)
    return {}


def delete_organization_nodes(ctx, p: Params) -> dict:
    ids = p.int_list("NodeId", required=True, max_items=100)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    nodes = [_node(ctx, i, code="ResourceNotFound.OrganizationNodeNotExist") for i in ids]
    doomed = {n.pk for n in nodes}
    for n in nodes:  # refuse the whole batch before deleting any (nothing half-done)
        if n.is_root:
            raise ApiError("InvalidParameter", _("The Root node cannot be deleted."))
        if Membership.objects.filter(department=n).exists():
            raise ApiError(
                "FailedOperation.NodeNotEmpty",
                _("The node %(name)s still has members.") % {"name": n.name},
            )
        if n.children.exclude(pk__in=doomed).exists():
            raise ApiError(
                "FailedOperation.OrganizationNodeNotEmpty",
                _("The node %(name)s has sub-nodes.") % {"name": n.name},
            )
    for n in sorted(nodes, key=lambda n: -n.depth):  # children before their parents
        services.department_delete(department=n, acting_user=ctx.user)
    return {}


def move_organization_node_members(ctx, p: Params) -> dict:
    node_id = p.int("NodeId", required=True)
    uins = p.int_list("MemberUin", required=True, max_items=100)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    node = _node(ctx, node_id)
    services.members_move(
        organization=ctx.organization,
        uins=[str(u) for u in uins],
        department=node,
        acting_user=ctx.user,
    )
    return {}


def _policy(p: Params, *, required: bool) -> list[int] | None:
    policy = p.str("PolicyType", required=required)
    ids = p.int_list("PermissionIds", required=required, max_items=10)
    if policy is not None and policy != POLICY_TYPE:
        raise ApiError(
            "FailedOperation.OrganizationPolicyIllegal", _("PolicyType must be Financial.")
        )
    if (policy is None) != (not ids):
        raise ApiError(
            "InvalidParameter", _("PolicyType and PermissionIds are given together or not at all.")
        )
    return ids or None


def _payer(ctx, uin: str | None):
    """PayUin: "" or absent is self-pay; otherwise an account of the organization (O10)."""
    if not uin:
        return None
    m = Membership.objects.filter(organization_id=ctx.organization_id, account__uin=uin).first()
    if m is None:
        raise ApiError("FailedOperation.PayUinIllegal", _("The payer is not in the organization."))
    return m.account


def _allow_quit(p: Params, default: bool | None = None) -> bool | None:
    value = p.choice("IsAllowQuit", ("Allow", "Denied", "allow", "denied"))
    return default if value is None else value.lower() == "allow"


def invite_organization_member(ctx, p: Params) -> dict:
    uin = p.int("MemberUin", required=True)
    name = p.str("Name", required=True, max_length=25)
    permissions = _policy(p, required=True)
    node_id = p.int("NodeId", required=True)
    remark = p.str("Remark", default="", max_length=40)
    allow_quit = _allow_quit(p, default=False)
    pay_uin = p.str("PayUin", max_length=20)
    p.str("RelationAuthName", max_length=100)
    p._get("AuthFile", False)  # cross-entity proof files: not supported (docs/api.md)
    tags = p.tags()
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    if tags:
        raise ApiError(
            "InvalidParameter.TagError",
            _(
                "Tags are set on a member once it has joined (UpdateOrganizationMember cannot; use "
                "the console), not on an invitation."
            ),
        )
    node = _node(ctx, node_id, code="FailedOperation.OrganizationNodeNotExist")
    services.invitation_send(
        organization=ctx.organization,
        acting_user=ctx.user,
        uin=str(uin),
        name=name,
        remark=remark,
        department=node,
        permissions=permissions,
        payer=_payer(ctx, pay_uin),
        allow_quit=allow_quit,
    )
    return {}


def _membership(ctx, uin: int, *, code="ResourceNotFound.MemberNotExist") -> Membership:
    m = (
        Membership.objects.filter(organization_id=ctx.organization_id, account__uin=str(uin))
        .select_related("account", "payer", "organization")
        .first()
    )
    if m is None:
        raise ApiError(code, _("The member does not exist in the organization."))
    return m


def update_organization_member(ctx, p: Params) -> dict:
    uin = p.int("MemberUin", required=True)
    name = p.str("Name", max_length=25)
    remark = p.str("Remark", max_length=40)
    permissions = _policy(p, required=False)
    allow_quit = _allow_quit(p)
    pay_uin = p.str("PayUin", max_length=20)
    p.int("IsModifyNickName", min=0, max=1)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    m = _membership(ctx, uin)
    services.member_update(
        membership=m,
        acting_user=ctx.user,
        name=m.name if name is None else name,
        remark=m.remark if remark is None else remark,
        permissions=m.permissions if permissions is None else permissions,
        payer=(m.payer if pay_uin is None else _payer(ctx, pay_uin)),
        allow_quit=m.allow_quit if allow_quit is None else allow_quit,
    )
    return {}


def delete_organization_members(ctx, p: Params) -> dict:
    uins = p.int_list("MemberUin", required=True, max_items=100)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    members = [_membership(ctx, u, code="InvalidParameter") for u in uins]
    for m in members:  # the refusal any member of the batch would meet, before removing any
        services.member_removal_refusal(m)
    for m in members:
        services.member_remove(membership=m, acting_user=ctx.user)
    return {}


def create_organization(ctx, p: Params) -> dict:
    p.done()
    if ctx.account is None or not ctx.user.is_owner:
        raise ApiError(
            "UnauthorizedOperation", _("Only the account's owner creates an organization.")
        )
    org = services.organization_create(account=ctx.account, acting_user=ctx.user)
    return {"OrgId": org.pk, "NickName": ctx.account.name}


def delete_organization(ctx, p: Params) -> dict:
    p.done()
    _require_org(ctx)
    if not ctx.is_admin or not ctx.user.is_owner:
        raise ApiError(
            "UnauthorizedOperation", _("Only the admin account's owner deletes the organization.")
        )
    services.organization_delete(organization=ctx.organization, acting_user=ctx.user)
    return {}


def quit_organization(ctx, p: Params) -> dict:
    org_id = p.int("OrgId", required=True)
    p.done()
    _require_org(ctx)
    if org_id != ctx.organization_id:
        raise ApiError(
            "ResourceNotFound.OrganizationNotExist", _("The organization does not exist.")
        )
    if not ctx.can("organizations.respond_invitation"):
        raise ApiError("UnauthorizedOperation", _("This user may not make its account quit."))
    services.member_quit(membership=ctx.membership, acting_user=ctx.user)
    return {}


def create_organization_member(ctx, p: Params) -> dict:
    name = p.str("Name", required=True, max_length=25)
    permissions = _policy(p, required=True)
    node_id = p.int("NodeId", required=True)
    account_name = p.str("AccountName", required=True, max_length=25)
    remark = p.str("Remark", default="", max_length=40)
    p.int("RecordId")
    pay_uin = p.str("PayUin", max_length=20)
    p._get("IdentityRoleID", False)
    p.int("AuthRelationId")
    tags = p.tags()
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    pairs = _checked_tags(tags)
    node = _node(ctx, node_id, code="FailedOperation.OrganizationNodeNotExist")
    membership = services.member_create(
        organization=ctx.organization,
        acting_user=ctx.user,
        name=name,
        username=account_name,  # the new account's owner login; no password until one is set
        password="",
        remark=remark,
        department=node,
        permissions=permissions,
        payer=_payer(ctx, pay_uin),
    )
    if pairs:
        services.member_tags_set(membership=membership, pairs=pairs, acting_user=ctx.user)
    return {"Uin": int(membership.account.uin)}


ACTIONS = {
    "CreateOrganization": create_organization,
    "DeleteOrganization": delete_organization,
    "QuitOrganization": quit_organization,
    "CreateOrganizationMember": create_organization_member,
    "InviteOrganizationMember": invite_organization_member,
    "UpdateOrganizationMember": update_organization_member,
    "DeleteOrganizationMembers": delete_organization_members,
    "AddOrganizationNode": add_organization_node,
    "UpdateOrganizationNode": update_organization_node,
    "DeleteOrganizationNodes": delete_organization_nodes,
    "MoveOrganizationNodeMembers": move_organization_node_members,
    "DescribeOrganization": describe_organization,
    "DescribeOrganizationNodes": describe_organization_nodes,
    "DescribeOrganizationMembers": describe_organization_members,
}
