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

from tco_console.errors import DomainError

from .models import Department, Membership, PolicyAttachment, PolicyEffect
from .policy_eval import ALLOW, DENY, Level, PolicyView, Verdict, verdict

CODE_DENIED = "UnsupportedOperation.ServiceControlPolicyDenied"


def _view(policy) -> PolicyView:
    products = None if policy.all_products else frozenset(p.code for p in policy.products.all())
    effect = ALLOW if policy.effect == PolicyEffect.ALLOW else DENY
    return PolicyView(policy.pk, policy.name, effect, products)


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
    by_department: dict[int, list[PolicyView]] = {}
    mine: list[PolicyView] = []
    for attachment in attachments:
        view = _view(attachment.policy)
        if attachment.account_id is not None:
            mine.append(view)
        else:
            by_department.setdefault(attachment.department_id, []).append(view)
    levels = []
    for pk in ids:
        department = departments.get(pk)
        if department is None:
            continue
        kind = "root" if department.is_root else "department"
        levels.append(Level(kind, department.name, by_department.get(pk, [])))
    levels.append(Level("member", membership.name, mine))
    return levels


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


def require_allowed(account, product) -> None:
    """P2: refuse a purchase or activation of `product` outside the account's policy."""
    membership = subject_membership(account)
    if membership is None:
        return
    v = verdict(levels_for(membership), product.code)
    if not v.allowed:
        raise DomainError(refusal(v, product.name), code=CODE_DENIED, field="spec")
