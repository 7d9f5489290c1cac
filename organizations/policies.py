"""P1/P2: service control policies read from the database and enforced.

`levels_for(membership)` builds a member's path (Root → departments → the member) with the
policies attached at each level, in three queries whatever the depth; `policy_eval` decides.
`require_allowed` is what purchases and activations call (P2): with the policy type enabled in
the member's organization, a product outside the member's effective policy is refused with a
message that names the level that refused it. The organization's admin account (the
management account) is not subject to its own policies.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from billing.models.catalog import Product
from tco_console.errors import DomainError

from .models import Department, Membership, PolicyAttachment, PolicyEffect, User
from .policy_eval import ALLOW, DENY, Level, PolicyView, Verdict, effective, verdict

CODE_DENIED = "UnsupportedOperation.ServiceControlPolicyDenied"


def _view(policy) -> PolicyView:
    products = None if policy.all_products else frozenset(p.code for p in policy.products.all())
    effect = ALLOW if policy.effect == PolicyEffect.ALLOW else DENY
    return PolicyView(policy.pk, policy.name, effect, products)


def _grouped(attachments) -> tuple[dict[int, list[PolicyView]], dict[int, list[PolicyView]]]:
    """(policy, department id, account id) attachments → policies by department, by account."""
    by_department: dict[int, list[PolicyView]] = {}
    by_account: dict[int, list[PolicyView]] = {}
    for policy, department_id, account_id in attachments:
        view = _view(policy)
        if account_id is not None:
            by_account.setdefault(account_id, []).append(view)
        else:
            by_department.setdefault(department_id, []).append(view)
    return by_department, by_account


def _path(membership, departments: dict, by_department: dict, by_account: dict) -> list[Level]:
    """Root → … → the member's department → the member, each with its policies."""
    levels = []
    for pk in (int(i) for i in departments[membership.department_id].path.split("/") if i):
        department = departments.get(pk)
        if department is None:
            continue
        kind = "root" if department.is_root else "department"
        levels.append(Level(kind, department.name, by_department.get(pk, [])))
    levels.append(Level("member", membership.name, by_account.get(membership.account_id, [])))
    return levels


def levels_for(membership: Membership) -> list[Level]:
    """The member's path with the policies attached at each level (3 queries)."""
    ids = [int(i) for i in membership.department.path.split("/") if i]
    departments = Department.objects.in_bulk(ids)
    attachments = (
        PolicyAttachment.objects.filter(
            Q(department_id__in=ids) | Q(account_id=membership.account_id)
        )
        .select_related("policy")
        .prefetch_related("policy__products")
        .order_by("policy__name", "pk")
    )
    grouped = _grouped((a.policy, a.department_id, a.account_id) for a in attachments)
    return _path(membership, departments, *grouped)


def level_label(level: Level) -> str:
    if level.kind == "root":
        return _("Root")
    if level.kind == "department":
        return _("department %(name)s") % {"name": level.label}
    return _("member %(name)s") % {"name": level.label}


def refusal(v: Verdict, product_name: str) -> str:
    """P2/P3: why a product is refused, naming the level (and the policy for a deny)."""
    where = level_label(v.level)
    if v.reason == "denied":
        return _("%(product)s is denied by the policy %(policy)s attached to %(level)s.") % {
            "product": product_name,
            "policy": v.policy.name,
            "level": where,
        }
    return _("No service control policy attached to %(level)s allows %(product)s.") % {
        "level": where,
        "product": product_name,
    }


def explainer_link() -> tuple[str, str]:
    """P3: a refusal links to the member's effective-policy page, level by level."""
    from django.urls import reverse

    return _("Why? See your effective policy, level by level"), reverse("organizations:policies")


def subject_membership(account) -> Membership | None:
    """The membership whose policies apply to `account`, or None when none do."""
    membership = (
        Membership.objects.select_related("organization", "department")
        .filter(account=account, organization__deleted_at__isnull=True)
        .first()
    )
    if membership is None or membership.is_admin or not membership.organization.scp_enabled:
        return None
    return membership


def require_allowed(account, product, user=None) -> None:
    """P2: refuse a purchase or activation of `product` outside the account's policy, or,
    by a sub-user, outside the products granted to it."""
    require_user_may(user, account, product)
    membership = subject_membership(account)
    if membership is None:
        return
    v = verdict(levels_for(membership), product.code)
    if not v.allowed:
        raise DomainError(
            refusal(v, product.display_name), code=CODE_DENIED, field="spec", link=explainer_link()
        )


# ------------------------------------------------------------------ P3: dry runs


def effective_map(org, memberships, *, plus=None, minus=None) -> dict[int, set[str]]:
    """Each membership's effective product codes, computed in memory from the organization's
    attachments (4 queries for any number of members). `plus` is a (policy, department,
    account) attachment to pretend exists; `minus` the pk of one to pretend does not."""
    codes = list(Product.objects.order_by("position").values_list("code", flat=True))
    departments = {d.pk: d for d in Department.objects.filter(organization=org)}
    attachments = [
        (a.policy, a.department_id, a.account_id)
        for a in PolicyAttachment.objects.filter(policy__organization=org)
        .exclude(pk=minus)
        .select_related("policy")
        .prefetch_related("policy__products")
        .order_by("policy__name", "pk")
    ]
    if plus is not None:
        attachments.append(plus)
    grouped = _grouped(attachments)
    return {m.account_id: effective(_path(m, departments, *grouped), codes) for m in memberships}


def impact(org, *, policy, department=None, account=None, attach: bool) -> list[dict]:
    """P3 dry run: which members would gain or lose which products if `policy` were attached
    to (or detached from) the target, before anything changes."""
    members = Membership.objects.filter(organization=org).exclude(member_type="admin")
    if department is not None:
        members = members.filter(department__path__startswith=department.path)
    else:
        members = members.filter(account=account)
    members = list(members.select_related("account").order_by("name"))
    before = effective_map(org, members)
    if attach:
        after = effective_map(
            org,
            members,
            plus=(policy, getattr(department, "pk", None), getattr(account, "pk", None)),
        )
    else:
        target = {"department": department} if department is not None else {"account": account}
        existing = PolicyAttachment.objects.filter(policy=policy, **target).first()
        after = effective_map(org, members, minus=existing.pk if existing else None)
    rows = []
    for m in members:
        gained = sorted(after[m.account_id] - before[m.account_id])
        lost = sorted(before[m.account_id] - after[m.account_id])
        if gained or lost:
            rows.append({"member": m, "gained": gained, "lost": lost})
    return rows


# ------------------------------------------------------------------ A1/P2: sub-users


def effective_products(account) -> set[str] | None:
    """The product codes the account's policies allow, or None when no policy applies."""
    membership = subject_membership(account)
    if membership is None:
        return None
    return effective(levels_for(membership), Product.objects.values_list("code", flat=True))


def refusals(account, products) -> dict[str, str]:
    """P2/P3: product code → why the account's policy refuses it, for the products refused
    (empty when no policy applies). Forms show these beside the products they offer."""
    membership = subject_membership(account)
    if membership is None:
        return {}
    levels = levels_for(membership)
    out = {}
    for product in products:
        v = verdict(levels, product.code)
        if not v.allowed:
            out[product.code] = refusal(v, product.display_name)
    return out


def check_grantable(account, *, all_products: bool, products) -> None:
    """P2: a member cannot grant its sub-users products outside its effective policy; the
    refusal names the level. "All products" is refused when any product is refused."""
    asked = list(Product.objects.order_by("position", "code")) if all_products else products
    refused = refusals(account, asked)
    if not refused:
        return
    why = " ".join(refused.values())  # every refused product, each with its level
    if all_products:
        why = next(iter(refused.values()))
        why = _("Not every product may be granted: %(why)s Choose the products instead.") % {
            "why": why
        }
    raise DomainError(why, code=CODE_DENIED, field="products", link=explainer_link())


def blocked_grants(user) -> list:
    """P2: products granted to a sub-user that its account's policy no longer allows: kept
    (nothing is removed silently) but shown as blocked, and refused when used. For an "all
    products" grant, every product the policy refuses."""
    if user.is_owner:
        return []
    allowed = effective_products(user.account)
    if allowed is None:
        return []
    granted = Product.objects.all() if user.all_products else user.products.all()
    return [p for p in granted.order_by("position", "code") if p.code not in allowed]


def require_user_may(user, account, product) -> None:
    """A1/P2: a sub-user buys, activates and manages only its granted products. Read from
    the database, not from the request's user: the owner may have narrowed it a moment ago."""
    if user is None or getattr(user, "is_owner", True) or user.account_id != account.pk:
        return
    granted = Q(all_products=True) | Q(products=product)
    if not User.objects.filter(pk=user.pk).filter(granted).exists():
        raise DomainError(
            _("Your user may not use %(product)s: ask the account owner to grant it.")
            % {"product": product.display_name},
            code="UnauthorizedOperation.ProductNotGranted",
            field="spec",
        )
