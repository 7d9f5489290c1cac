"""Version 2021-03-31 service control policies (issue 15, P1–P3) through the API, calling the
console's policy services. A policy's CAM-syntax `Content` maps onto the console's model,
one statement of one effect over whole products:

    {"version": "2.0", "statement": [{"effect": "allow" | "deny",
                                      "action": ["cvm:*", "cbs:*"] | ["*"],
                                      "resource": ["*"]}]}

A service name is a product code without its `p_` prefix. Anything else (several statements,
single actions such as `cvm:RunInstances`, conditions, resources other than `*`) is refused
as InvalidParameter.*: the console enforces whole products (docs/api.md). Only
SERVICE_CONTROL_POLICY exists; TAG_POLICY is refused."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from billing.models import Product
from organizations import policies as policy_reads
from organizations.models import (
    Department,
    Membership,
    PolicyAttachment,
    PolicyEffect,
    ServiceControlPolicy,
)
from organizations.services import policies as services

from .actions_2021 import _require_admin, _require_org
from .errors import ApiError
from .params import Params
from .params import api_time as _time

SCP = "SERVICE_CONTROL_POLICY"


def _type(p: Params, name: str) -> None:
    value = p.str(name, default=SCP)
    if value != SCP:
        raise ApiError(
            "InvalidParameter.ParamError", _("Only SERVICE_CONTROL_POLICY is supported here.")
        )


def content_of(policy: ServiceControlPolicy) -> str:
    actions = (
        ["*"]
        if policy.all_products
        else sorted(
            f"{code.removeprefix('p_')}:*"
            for code in policy.products.values_list("code", flat=True)
        )
    )
    statement = {"effect": policy.effect, "action": actions, "resource": ["*"]}
    return json.dumps({"version": "2.0", "statement": [statement]}, separators=(",", ":"))


def parse_content(text: str) -> tuple[str, bool, list[Product]]:
    """(effect, all products, products) of a CAM-syntax document, or InvalidParameter.*."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise ApiError("InvalidParameter.PolicyContentError", _("Content is not JSON.")) from None
    statements = doc.get("statement") if isinstance(doc, dict) else None
    if not isinstance(statements, list) or len(statements) != 1:
        raise ApiError(
            "InvalidParameter.PolicyContentError", _("Content needs exactly one statement.")
        )
    st = statements[0]
    if not isinstance(st, dict):
        raise ApiError("InvalidParameter.PolicyContentError", _("A statement is an object."))
    effect = st.get("effect")
    if effect not in PolicyEffect.values:
        raise ApiError("InvalidParameter.EffectError", _("The effect is allow or deny."))
    if set(st) - {"effect", "action", "resource"}:
        raise ApiError(
            "InvalidParameter.ConditionError", _("Conditions and other keys are not supported.")
        )
    resource = st.get("resource", ["*"])
    if resource not in ("*", ["*"]):
        raise ApiError("InvalidParameter.ResourceError", _("The resource must be *."))
    actions = st.get("action")
    actions = [actions] if isinstance(actions, str) else actions
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
        raise ApiError("InvalidParameter.ActionMiss", _("The statement needs its actions."))
    if "*" in actions:
        return effect, True, []
    codes = []
    for action in actions:
        service, _sep, verb = action.partition(":")
        if verb != "*":
            raise ApiError(
                "InvalidParameter.ActionError",
                _("%(action)s: policies here cover whole products (service:*).")
                % {"action": action},
            )
        codes.append(f"p_{service}")
    products = list(Product.objects.filter(code__in=codes))
    if len(products) != len(set(codes)):
        raise ApiError(
            "InvalidParameter.ActionServiceNotExist", _("An action names an unknown service.")
        )
    return effect, False, products


def _policy(ctx, pk: int, *, code="ResourceNotFound.PolicyNotExist") -> ServiceControlPolicy:
    policy = ServiceControlPolicy.objects.filter(organization_id=ctx.organization_id, pk=pk).first()
    if policy is None:
        raise ApiError(code, _("The policy does not exist."))
    return policy


def _target(ctx, target_id: int, target_type: str):
    """(department, account) of a NODE (department id) or MEMBER (UIN) target."""
    if target_type == "NODE":
        node = Department.objects.filter(organization_id=ctx.organization_id, pk=target_id).first()
        if node is None:
            raise ApiError(
                "ResourceNotFound.OrganizationNodeNotExist",
                _("The organization node does not exist."),
            )
        return node, None
    m = (
        Membership.objects.filter(organization_id=ctx.organization_id, account__uin=str(target_id))
        .select_related("account")
        .first()
    )
    if m is None:
        raise ApiError(
            "ResourceNotFound.OrganizationMemberNotExist", _("The member does not exist.")
        )
    return None, m.account


def _org_id(ctx, p: Params) -> None:
    org_id = p.int("OrganizationId", required=True)
    _require_admin(ctx, "organizations.manage_org")
    if org_id != ctx.organization_id:
        raise ApiError(
            "InvalidParameter.OrganizationNotExist", _("The organization does not exist.")
        )


def enable_policy_type(ctx, p: Params) -> dict:
    _type(p, "PolicyType")
    _org_id(ctx, p)
    p.done()
    if ctx.organization.scp_enabled:
        raise ApiError(
            "FailedOperation.OrganizationPolicyIsNotDisabled",
            _("The policy type is enabled already."),
        )
    services.policy_type_enable(organization=ctx.organization, acting_user=ctx.user)
    return {}


def disable_policy_type(ctx, p: Params) -> dict:
    _type(p, "PolicyType")
    _org_id(ctx, p)
    p.done()
    if not ctx.organization.scp_enabled:
        raise ApiError(
            "FailedOperation.OrganizationPolicyIsNotEnabled", _("The policy type is not enabled.")
        )
    services.policy_type_disable(organization=ctx.organization, acting_user=ctx.user)
    return {}


def describe_policy_config(ctx, p: Params) -> dict:
    org_id = p.int("OrganizationId", required=True)
    kind = p.int("Type", default=0, min=0, max=1)
    p.done()
    _require_admin(ctx)
    if org_id != ctx.organization_id:
        raise ApiError(
            "InvalidParameter.OrganizationNotExist", _("The organization does not exist.")
        )
    enabled = kind == 0 and ctx.organization.scp_enabled
    return {"Status": 1 if enabled else 0, "Type": SCP if kind == 0 else "TAG_POLICY"}


def create_policy(ctx, p: Params) -> dict:
    name = p.str("Name", required=True, max_length=128)
    content = p.str("Content", required=True, max_length=20000)
    _type(p, "Type")
    description = p.str("Description", default="", max_length=200)
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    effect, all_products, products = parse_content(content)
    policy = services.policy_create(
        organization=ctx.organization,
        name=name,
        description=description,
        effect=effect,
        all_products=all_products,
        products=products,
        acting_user=ctx.user,
    )
    return {"PolicyId": policy.pk}


def update_policy(ctx, p: Params) -> dict:
    pk = p.int("PolicyId", required=True)
    description = p.str("Description", max_length=200)
    content = p.str("Content", max_length=20000)
    name = p.str("Name", max_length=128)
    _type(p, "Type")
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    policy = _policy(ctx, pk)
    if content is not None:
        effect, all_products, products = parse_content(content)
    else:
        effect, all_products = policy.effect, policy.all_products
        products = list(policy.products.all())
    services.policy_update(
        policy=policy,
        name=policy.name if name is None else name,
        description=policy.description if description is None else description,
        effect=effect,
        all_products=all_products,
        products=products,
        acting_user=ctx.user,
    )
    return {}


def delete_policy(ctx, p: Params) -> dict:
    pk = p.int("PolicyId", required=True)
    _type(p, "Type")
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    services.policy_delete(policy=_policy(ctx, pk), acting_user=ctx.user)
    return {}


def describe_policy(ctx, p: Params) -> dict:
    pk = p.int("PolicyId", required=True)
    _type(p, "PolicyType")
    p.done()
    _require_admin(ctx)
    policy = _policy(ctx, pk, code="ResourceNotFound.PolicyNotExist")
    return {
        "PolicyId": policy.pk,
        "PolicyName": policy.name,
        "Type": 2 if policy.preset else 1,
        "Description": policy.description,
        "PolicyDocument": content_of(policy),
        "UpdateTime": _time(policy.updated_at),
        "AddTime": _time(policy.created_at),
    }


def _rp_page(p: Params) -> tuple[int, int]:
    rp = p.int("Rp", default=20, min=1, max=200)
    page = p.int("Page", default=1, min=1, max=200)
    return (page - 1) * rp, rp


def list_policies(ctx, p: Params) -> dict:
    offset, rp = _rp_page(p)
    scope = p.choice("Scope", ("All", "QCS", "Local"), default="All")
    keyword = (p.str("Keyword", max_length=128) or "").strip()
    _type(p, "PolicyType")
    p.done()
    _require_admin(ctx)
    policies = ServiceControlPolicy.objects.filter(organization_id=ctx.organization_id)
    if scope != "All":
        policies = policies.filter(preset=scope == "QCS")
    if keyword:
        policies = policies.filter(name__icontains=keyword)
    from django.db.models import Count

    policies = policies.annotate(attached=Count("attachments")).order_by("pk")
    return {
        "TotalNum": policies.count(),
        "List": [
            {
                "PolicyId": x.pk,
                "PolicyName": x.name,
                "Description": x.description,
                "Type": 2 if x.preset else 1,
                "AttachedTimes": x.attached,
                "AddTime": _time(x.created_at),
                "UpdateTime": _time(x.updated_at),
            }
            for x in policies[offset : offset + rp]
        ],
    }


def _attach_params(ctx, p: Params):
    target_id = p.int("TargetId", required=True)
    target_type = p.choice("TargetType", ("NODE", "MEMBER"))
    if target_type is None:
        raise ApiError("MissingParameter", _("The request is missing `TargetType`."))
    pk = p.int("PolicyId", required=True)
    _type(p, "Type")
    p.done()
    _require_admin(ctx, "organizations.manage_org")
    policy = _policy(ctx, pk, code="InvalidParameter.PolicyIdNotExist")
    department, account = _target(ctx, target_id, target_type)
    return policy, department, account


def attach_policy(ctx, p: Params) -> dict:
    policy, department, account = _attach_params(ctx, p)
    services.policy_attach(
        policy=policy, department=department, account=account, acting_user=ctx.user
    )
    return {}


def detach_policy(ctx, p: Params) -> dict:
    policy, department, account = _attach_params(ctx, p)
    services.policy_detach(
        policy=policy, department=department, account=account, acting_user=ctx.user
    )
    return {}


def _target_of_id(ctx, target_id: int):
    """A TargetId is a member's UIN or a node id (TCO does not say which): UINs are 12 digits."""
    if target_id >= 10**11:
        return _target(ctx, target_id, "MEMBER")
    return _target(ctx, target_id, "NODE")


def list_policies_for_target(ctx, p: Params) -> dict:
    target_id = p.int("TargetId", required=True)
    offset, rp = _rp_page(p)
    _type(p, "PolicyType")
    keyword = (p.str("Keyword", max_length=128) or "").strip()
    p.done()
    _require_admin(ctx)
    department, account = _target_of_id(ctx, target_id)
    rows = PolicyAttachment.objects.filter(
        policy__organization_id=ctx.organization_id
    ).select_related("policy", "department", "account")
    rows = rows.filter(department=department) if department else rows.filter(account=account)
    if keyword:
        rows = rows.filter(policy__name__icontains=keyword)
    rows = rows.order_by("pk")
    return {
        "TotalNum": rows.count(),
        "List": [
            {
                "StrategyId": a.policy_id,
                "StrategyName": a.policy.name,
                "Remark": a.policy.description,
                "Uin": target_id,
                "Type": 1 if a.department_id else 2,
                "AddTime": _time(a.policy.created_at),
                "UpdateTime": _time(a.policy.updated_at),
                "Name": a.department.name if a.department_id else "",
                "AttachTime": _time(a.created_at),
            }
            for a in rows[offset : offset + rp]
        ],
    }


def list_targets_for_policy(ctx, p: Params) -> dict:
    pk = p.int("PolicyId", required=True)
    offset, rp = _rp_page(p)
    kind = p.choice("TargetType", ("All", "User", "Node"), default="All")
    _type(p, "PolicyType")
    p.str("Keyword", max_length=200)
    p.done()
    _require_admin(ctx)
    policy = _policy(ctx, pk)
    rows = policy.attachments.select_related("department", "account", "account__membership")
    if kind == "User":
        rows = rows.filter(account__isnull=False)
    elif kind == "Node":
        rows = rows.filter(department__isnull=False)
    rows = rows.order_by("pk")
    page = list(rows[offset : offset + rp])
    departments = Department.objects.in_bulk(
        {int(i) for a in page if a.department_id for i in a.department.path.split("/") if i}
    )
    items = []
    for a in page:
        if a.department_id:
            ids = [int(i) for i in a.department.path.split("/") if i]
            items.append(
                {
                    "Uin": a.department_id,
                    "RelatedType": 1,
                    "Name": a.department.name,
                    "AddTime": _time(a.created_at),
                    "NodePath": [departments[i].name for i in ids if i in departments],
                    "NodePathIds": ids,
                }
            )
        else:
            membership = getattr(a.account, "membership", None)
            items.append(
                {
                    "Uin": int(a.account.uin),
                    "RelatedType": 2,
                    "Name": membership.name if membership else a.account.name,
                    "AddTime": _time(a.created_at),
                    "NodePath": [],
                    "NodePathIds": [],
                }
            )
    return {"TotalNum": rows.count(), "List": items}


def describe_effective_policy(ctx, p: Params) -> dict:
    target_id = p.int("TargetId", required=True)
    p.done()
    _require_org(ctx)
    _require_admin(ctx)
    _department, account = _target(ctx, target_id, "MEMBER")
    membership = Membership.objects.select_related("department").get(account=account)
    if not ctx.organization.scp_enabled:
        raise ApiError(
            "ResourceNotFound.EffectivePolicyNotFound",
            _("Service control policies are not enabled."),
        )
    codes = policy_reads.effective_map(ctx.organization, [membership])[account.pk]
    actions = sorted(f"{c.removeprefix('p_')}:*" for c in codes)
    content = {
        "version": "2.0",
        "statement": [{"effect": "allow", "action": actions, "resource": ["*"]}],
    }
    latest = (
        ServiceControlPolicy.objects.filter(organization=ctx.organization)
        .order_by("-updated_at")
        .first()
    )
    return {
        "EffectivePolicy": {
            "TargetId": target_id,
            "PolicyContent": json.dumps(content, separators=(",", ":")),
            "LastUpdatedTimestamp": int(latest.updated_at.timestamp()) if latest else 0,
        }
    }


ACTIONS = {
    "EnablePolicyType": enable_policy_type,
    "DisablePolicyType": disable_policy_type,
    "DescribePolicyConfig": describe_policy_config,
    "CreatePolicy": create_policy,
    "UpdatePolicy": update_policy,
    "DeletePolicy": delete_policy,
    "DescribePolicy": describe_policy,
    "ListPolicies": list_policies,
    "AttachPolicy": attach_policy,
    "DetachPolicy": detach_policy,
    "ListPoliciesForTarget": list_policies_for_target,
    "ListTargetsForPolicy": list_targets_for_policy,
    "DescribeEffectivePolicy": describe_effective_policy,
}
