"""Service control policies in the console (SPEC §4, §5): the admin sees the organization's
policies and where they are attached, and manages them (the policy type, create, edit, delete,
attach and detach with a preview of who gains or loses which products); a member sees its
effective policy level by level (P3), and the admin sees any member's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models.catalog import Product, localized
from tco_console.errors import DomainError
from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin

from .. import policies, selectors
from ..forms import AttachForm, PolicyForm
from ..models import (
    Account,
    Department,
    Membership,
    PolicyAttachment,
    PolicyEffect,
    ServiceControlPolicy,
)
from ..policy_eval import explain
from ..scoping import object_or_404, require_perm
from ..services import policies as scp
from .events import POLICIES_CHANGED


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
                "why": "" if v.allowed else policies.refusal(v, product.display_name),
                "level": None if v.allowed else policies.level_label(v.level),
            }
        )
    return {
        "levels": [
            {"label": policies.level_label(level), "kind": level.kind, "policies": level.policies}
            for level in levels
        ],
        "rows": rows,
        "product_names": {p.code: p.display_name for p in products},
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
            ServiceControlPolicy.objects.restrict(request.user, "view")
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
    membership = object_or_404(
        Membership.objects.select_related("organization", "department", "account"),
        request,
        "view",
        account__uin=uin,
    )  # A2: another organization's member is a 404, before the admin check (403)
    require_admin(request, "organizations.view_org")  # the permission object_or_404 checked
    context = {"organization": membership.organization, "member": membership}
    return render(request, "organizations/policies.html", context | _explainer(membership))


# ------------------------------------------------------------------ management (admin)


def _policy_or_404(request, pk) -> ServiceControlPolicy:
    """A2: a policy is the admin account's to see; anyone else's lookup is a 404, which
    comes before the permission check of `require_admin` (403): `in_scope`, not `restrict`."""
    return get_object_or_404(ServiceControlPolicy.objects.in_scope(request.user, "change"), pk=pk)


def _success():
    return reverse("organizations:policies")


@login_required
def policy_type_toggle(request):
    """EnablePolicyType / DisablePolicyType."""
    org = require_admin(request)
    enabling = not org.scp_enabled

    def on_confirm():
        if enabling:
            scp.policy_type_enable(organization=org, acting_user=request.user)
            return _("Service control policies enabled.")
        scp.policy_type_disable(organization=org, acting_user=request.user)
        return _("Service control policies disabled.")

    return confirm_view(
        request,
        title=_("Enable service control policies") if enabling else _("Disable them"),
        submit_label=_("Enable") if enabling else _("Disable"),
        danger=not enabling,
        description=_(
            "Members will be able to use only the products their policies allow. The preset "
            "FullAccessPolicy is attached to Root and to every department and member without a "
            "policy, as it will be to new ones, so nothing changes until you replace it with "
            "narrower policies."
        )
        if enabling
        else _("Policies stay as they are, but nothing is enforced until you enable them again."),
        on_confirm=on_confirm,
        success_url=_success(),
        events=(POLICIES_CHANGED,),
        navigate=True,
    )


def _policy_form_view(request, *, policy=None):
    org = require_admin(request)
    initial = {"effect": PolicyEffect.ALLOW}
    if policy is not None:
        initial = {
            "name": policy.name,
            "description": policy.description,
            "effect": policy.effect,
            "all_products": policy.all_products,
            "products": list(policy.products.all()),
        }
    form = PolicyForm(bound_data(request), initial=initial)

    def on_valid(form):
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "effect": data["effect"],
            "all_products": data["all_products"],
            "products": data["products"],
            "acting_user": request.user,
        }
        if policy is None:
            created = scp.policy_create(organization=org, **fields)
            return _("Policy %(name)s created.") % {"name": created.name}
        scp.policy_update(policy=policy, **fields)
        return _("Policy %(name)s saved.") % {"name": data["name"]}

    return form_view(
        request,
        form=form,
        title=_("New policy")
        if policy is None
        else _("Edit policy %(name)s") % {"name": policy.name},
        submit_label=_("Create") if policy is None else _("Save"),
        on_valid=on_valid,
        success_url=_success(),
        navigate=True,
    )


@login_required
def policy_create(request):
    return _policy_form_view(request)


@login_required
def policy_edit(request, pk):
    return _policy_form_view(request, policy=_policy_or_404(request, pk))


@login_required
def policy_delete(request, pk):
    policy = _policy_or_404(request, pk)
    require_admin(request)

    def on_confirm():
        scp.policy_delete(policy=policy, acting_user=request.user)
        return _("Policy %(name)s deleted.") % {"name": policy.name}

    return confirm_view(
        request,
        title=_("Delete policy %(name)s") % {"name": policy.name},
        submit_label=_("Delete"),
        danger=True,
        on_confirm=on_confirm,
        success_url=_success(),
        navigate=True,
    )


def _target(request, org, data):
    if data.get("department"):
        try:
            return {"department": Department.objects.get(pk=data["department"], organization=org)}
        except Department.DoesNotExist:
            raise Http404 from None
    uin = data["member_uin"].strip()
    account = Account.objects.filter(uin=uin, membership__organization=org).first()
    if account is None:
        raise DomainError(
            _("No member of this organization has the UIN %(uin)s.") % {"uin": uin},
            code="ResourceNotFound.OrganizationMemberNotExist",
            field="member_uin",
        )
    return {"account": account}


@login_required
def policy_attach(request, pk):
    """AttachPolicy, with a dry run: "Preview" lists who would gain or lose which products."""
    policy = _policy_or_404(request, pk)
    org = require_admin(request)
    return _attachment_view(request, org, policy, attach=True)


@login_required
def policy_detach(request, pk):
    policy = _policy_or_404(request, pk)
    org = require_admin(request)
    return _attachment_view(request, org, policy, attach=False)


def _attachment_view(request, org, policy, *, attach: bool):
    form = AttachForm(
        bound_data(request),
        departments=selectors.department_choices(user=request.user),
        initial={
            "department": request.GET.get("department") or None,
            "member_uin": request.GET.get("member", ""),
        },
    )
    verb = scp.policy_attach if attach else scp.policy_detach
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        names = dict(Product.objects.values_list("code", localized("name")))
        try:
            target = _target(request, org, form.cleaned_data)
            if not attach:  # P1: say now that detaching the last policy will be refused
                scp.check_detachable(policy=policy, **target)
        except DomainError as error:
            form.add_error(error.field, error.message)
            rows, previewed = [], False
        else:
            rows = [
                {
                    "member": r["member"],
                    "gained": [names[c] for c in r["gained"]],
                    "lost": [names[c] for c in r["lost"]],
                }
                for r in policies.impact(org, policy=policy, attach=attach, **target)
            ]
            previewed = True
        return render(
            request,
            "organizations/policy_attach_form.html",
            {
                "form": form,
                "title": _attach_title(policy, attach),
                "submit_label": _("Attach") if attach else _("Detach"),
                "action": request.get_full_path(),
                "cancel_url": _success(),
                "preview": rows,
                "previewed": previewed,
            },
            status=200 if previewed else 422,
        )

    def on_valid(form):
        target = _target(request, org, form.cleaned_data)
        verb(policy=policy, acting_user=request.user, **target)
        if attach:
            return _("Attached %(policy)s.") % {"policy": policy.name}
        return _("Detached %(policy)s.") % {"policy": policy.name}

    return form_view(
        request,
        form=form,
        title=_attach_title(policy, attach),
        submit_label=_("Attach") if attach else _("Detach"),
        on_valid=on_valid,
        success_url=_success(),
        navigate=True,
        template="organizations/policy_attach_form.html",
    )


def _attach_title(policy, attach: bool) -> str:
    if attach:
        return _("Attach %(name)s") % {"name": policy.name}
    return _("Detach %(name)s") % {"name": policy.name}
