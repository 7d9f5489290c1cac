"""Service control policies in the console (SPEC §4, §5): the admin sees the organization's
policies and where they are attached; a member sees its effective policy level by level (P3),
and the admin sees any member's. Management forms come next (issue 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from billing.models import Product
from tco_console.permissions import require_perm

from . import policies
from .models import Membership, PolicyAttachment, ServiceControlPolicy
from .policy_eval import explain


def _explainer(membership: Membership) -> dict:
    """P3: every level with its policies, and each product's verdict with the level that
    refused it."""
    levels = policies.levels_for(membership)
    products = list(Product.objects.order_by("position", "code"))
    verdicts = explain(levels, [p.code for p in products])
    rows = []
    for product in products:
        v = verdicts[product.code]
        rows.append(
            {
                "product": product,
                "allowed": v.allowed,
                "why": "" if v.allowed else policies.refusal(v, product.name),
                "level": None if v.allowed else policies.level_label(v.level),
            }
        )
    return {
        "levels": [
            {"label": policies.level_label(level), "kind": level.kind, "policies": level.policies}
            for level in levels
        ],
        "rows": rows,
        "product_names": {p.code: p.name for p in products},
        "enforced": membership.organization.scp_enabled and not membership.is_admin,
    }


@login_required
def policies_page(request):
    require_perm(request, "organizations.view_org")
    ctx = request.console
    context = {"organization": ctx.organization}
    if ctx.is_admin:
        org = ctx.organization
        context["policies"] = (
            ServiceControlPolicy.objects.filter(organization=org)
            .prefetch_related("products")
            .order_by("-preset", "name", "pk")
        )
        context["attachments"] = (
            PolicyAttachment.objects.filter(policy__organization=org)
            .select_related("policy", "department", "account__membership")
            .order_by("policy__name", "department__path", "account__uin")
        )
    elif ctx.is_member:
        membership = Membership.objects.select_related("organization", "department").get(
            pk=ctx.membership.pk
        )
        context |= {"member": membership, **_explainer(membership)}
    return render(request, "organizations/policies.html", context)


@login_required
def member_policy(request, uin):
    """The admin's view of one member's effective policy (P3)."""
    if not request.console.is_admin:
        raise PermissionDenied(_("This page is for the organization's admin account."))
    require_perm(request, "organizations.view_org")
    membership = get_object_or_404(
        Membership.objects.restrict(request.user, "view").select_related(
            "organization", "department", "account"
        ),
        account__uin=uin,
    )
    context = {"organization": membership.organization, "member": membership}
    return render(request, "organizations/policies.html", context | _explainer(membership))
