"""P1: managing service control policies (tco-api.md: EnablePolicyType, DisablePolicyType,
CreatePolicy, UpdatePolicy, DeletePolicy, AttachPolicy, DetachPolicy).

Every function is one durable transaction that locks the organization row first (the lock
order of `organizations.locks`) and writes its audit record in the same transaction (A4).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from ..audit import audit_record
from ..choices import MemberType
from ..locks import lock_org
from ..models import (
    POLICY_NAME_VALIDATOR,
    Account,
    Department,
    Membership,
    Organization,
    PolicyAttachment,
    PolicyEffect,
    ServiceControlPolicy,
    User,
)

FULL_ACCESS = "FullAccessPolicy"


def _not_enabled():
    return DomainError(
        _("Service control policies are not enabled for this organization."),
        code="FailedOperation.OrganizationPolicyIsNotEnabled",
    )


def bind_full_access(org: Organization, *, department=None, account=None) -> None:
    """P1: while the policy type is enabled, a new department or member is bound to the preset
    FullAccessPolicy, as TCO does, so every target has at least one policy. No-op when
    disabled (enabling binds the targets that have none)."""
    if not org.scp_enabled:
        return
    preset = ServiceControlPolicy.objects.get(organization=org, preset=True)
    PolicyAttachment.objects.create(policy=preset, department=department, account=account)


@transaction.atomic(durable=True)
def policy_type_enable(*, organization: Organization, acting_user: User) -> Organization:
    """Enable the type. The preset FullAccessPolicy is created the first time and bound to
    every target (Root, each department, each member) that has no policy attached, as TCO
    binds it to all departments and members: nothing changes until narrower policies replace
    it, and every target has at least one policy (see `policy_detach`)."""
    org = lock_org(organization)
    if org.scp_enabled:
        raise DomainError(
            _("Service control policies are already enabled."),
            code="FailedOperation.PolicyEnableInvalid",
        )
    org.scp_enabled = True
    org.save(update_fields=["scp_enabled"])
    preset, _created = ServiceControlPolicy.objects.get_or_create(
        organization=org,
        preset=True,
        defaults={
            "name": FULL_ACCESS,
            "description": _("Allows every product (preset)."),
            "all_products": True,
        },
    )
    bound = PolicyAttachment.objects.filter(policy__organization=org)
    departments = Department.objects.filter(organization=org).exclude(
        pk__in=bound.filter(department__isnull=False).values("department_id")
    )
    members = (
        Membership.objects.filter(organization=org)
        .exclude(member_type=MemberType.ADMIN)  # the management account has no policies
        .exclude(account_id__in=bound.filter(account__isnull=False).values("account_id"))
    )
    new = [
        PolicyAttachment(policy=preset, department_id=pk)
        for pk in departments.values_list("pk", flat=True)
    ]
    new += [
        PolicyAttachment(policy=preset, account_id=pk)
        for pk in members.values_list("account_id", flat=True)
    ]
    PolicyAttachment.objects.bulk_create(new)
    audit_record(
        actor=acting_user,
        action="policy.enable",
        message=Msg(gettext_noop("Enabled service control policies")),
        organization=org,
        obj=org,
        changes={"full_access_bound_to": len(new)} if new else None,
    )
    return org


@transaction.atomic(durable=True)
def policy_type_disable(*, organization: Organization, acting_user: User) -> Organization:
    """Disable the type: policies and attachments stay, nothing is enforced."""
    org = lock_org(organization)
    if not org.scp_enabled:
        raise DomainError(
            _("Service control policies are not enabled."),
            code="FailedOperation.OrganizationPolicyIsNotEnabled",
        )
    org.scp_enabled = False
    org.save(update_fields=["scp_enabled"])
    audit_record(
        actor=acting_user,
        action="policy.disable",
        message=Msg(gettext_noop("Disabled service control policies")),
        organization=org,
        obj=org,
    )
    return org


def _check_name(org: Organization, name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 128:
        raise DomainError(_("A policy name has 1 to 128 characters."), field="name")
    try:
        POLICY_NAME_VALIDATOR(name)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="name") from None
    clash = ServiceControlPolicy.objects.filter(organization=org, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(
            _("A policy named %(name)s already exists.") % {"name": name},
            code="FailedOperation.PolicyNameInUse",
            field="name",
        )
    return name


def _check_content(effect: str, all_products: bool, products) -> list:
    if effect not in PolicyEffect.values:
        raise DomainError(_("Choose allow or deny."), field="effect")
    products = list(products or [])
    if not all_products and not products:
        raise DomainError(
            _("Choose the products the policy allows or denies, or all products."),
            field="products",
        )
    return [] if all_products else products


@transaction.atomic(durable=True)
def policy_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    effect: str = PolicyEffect.ALLOW,
    all_products: bool = False,
    products=(),
    acting_user: User,
) -> ServiceControlPolicy:
    org = lock_org(organization)
    if not org.scp_enabled:
        raise _not_enabled()
    name = _check_name(org, name)
    chosen = _check_content(effect, all_products, products)
    policy = ServiceControlPolicy.objects.create(
        organization=org,
        name=name,
        description=(description or "").strip()[:200],
        effect=effect,
        all_products=all_products,
    )
    policy.products.set(chosen)
    audit_record(
        actor=acting_user,
        action="policy.create",
        message=Msg(gettext_noop("Created policy %(name)s"), name=name),
        organization=org,
        obj=policy,
        changes=_content(policy),
    )
    return policy


def _content(policy: ServiceControlPolicy) -> dict:
    return {
        "effect": policy.effect,
        "products": "all"
        if policy.all_products
        else sorted(policy.products.values_list("code", flat=True)),
    }


def _lock_policy(
    policy: ServiceControlPolicy, *, for_delete: bool = False
) -> tuple[Organization, ServiceControlPolicy]:
    """The organization row, then the policy (FOR UPDATE when it is about to be deleted)."""
    org = lock_org(policy.organization)
    locked = ServiceControlPolicy.objects.select_for_update(no_key=not for_delete).get(
        pk=policy.pk, organization=org
    )
    if not org.scp_enabled:
        raise _not_enabled()
    return org, locked


@transaction.atomic(durable=True)
def policy_update(
    *,
    policy: ServiceControlPolicy,
    name: str,
    description: str,
    effect: str,
    all_products: bool,
    products,
    acting_user: User,
) -> ServiceControlPolicy:
    org, p = _lock_policy(policy)
    if p.preset:
        raise DomainError(_("The preset FullAccessPolicy cannot be edited."))
    before = _content(p) | {"name": p.name}
    p.name = _check_name(org, name, exclude_pk=p.pk)
    p.description = (description or "").strip()[:200]
    p.effect = effect
    chosen = _check_content(effect, all_products, products)
    p.all_products = all_products
    p.save()
    p.products.set(chosen)
    after = _content(p) | {"name": p.name}
    audit_record(
        actor=acting_user,
        action="policy.update",
        message=Msg(gettext_noop("Edited policy %(name)s"), name=p.name),
        organization=org,
        obj=p,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return p


@transaction.atomic(durable=True)
def policy_delete(*, policy: ServiceControlPolicy, acting_user: User) -> None:
    org, p = _lock_policy(policy, for_delete=True)
    if p.preset:
        raise DomainError(_("The preset FullAccessPolicy cannot be deleted."))
    if p.attachments.exists():
        raise DomainError(
            _("The policy is attached. Detach it everywhere before deleting it."),
            code="FailedOperation.OrganizationPolicyInUsed",
        )
    audit_record(
        actor=acting_user,
        action="policy.delete",
        message=Msg(gettext_noop("Deleted policy %(name)s"), name=p.name),
        organization=org,
        obj=p,
    )
    p.products.clear()
    p.delete()


def _target(org: Organization, department: Department | None, account: Account | None):
    if (department is None) == (account is None):
        raise DomainError(_("Attach a policy to Root, a department or a member."))
    if department is not None:
        if not Department.objects.filter(pk=department.pk, organization=org).exists():
            raise DomainError(
                _("The department does not exist."),
                code="ResourceNotFound.OrganizationNodeNotExist",
            )
        if department.is_root:
            return {"department": department}, Msg(gettext_noop("Root"))
        return {"department": department}, Msg(
            gettext_noop("department %(name)s"), name=department.name
        )
    member = Membership.objects.filter(account=account, organization=org).first()
    if member is None or member.is_admin:
        raise DomainError(
            _("The account is not a member of this organization."),
            code="ResourceNotFound.OrganizationMemberNotExist",
        )
    # issue 17: the label is a Msg, read in the language of each reader of the audit record
    return {"account": account}, Msg(gettext_noop("member %(name)s"), name=member.name)


@transaction.atomic(durable=True)
def policy_attach(
    *,
    policy: ServiceControlPolicy,
    acting_user: User,
    department: Department | None = None,
    account: Account | None = None,
) -> PolicyAttachment:
    org, p = _lock_policy(policy)
    target, label = _target(org, department, account)
    if PolicyAttachment.objects.filter(policy=p, **target).exists():
        raise DomainError(
            _("%(policy)s is already attached to %(target)s.") % {"policy": p.name, "target": label}
        )
    attachment = PolicyAttachment.objects.create(policy=p, **target)
    audit_record(
        actor=acting_user,
        action="policy.attach",
        message=Msg(gettext_noop("Attached %(policy)s to %(target)s"), policy=p.name, target=label),
        organization=org,
        target_account=account,
        obj=p,
    )
    return attachment


def _check_detachable(policy: ServiceControlPolicy, target: dict, label: Msg) -> None:
    attached = PolicyAttachment.objects.filter(**target)
    if not attached.filter(policy=policy).exists():
        raise DomainError(
            _("%(policy)s is not attached to %(target)s.")
            % {"policy": policy.name, "target": label}
        )
    if not attached.exclude(policy=policy).exists():
        # P1: every target keeps at least one policy (tco-api.md, DetachPolicy)
        raise DomainError(
            _(
                "%(policy)s is the last policy attached to %(target)s, and every target "
                "keeps at least one. Attach another policy to it first."
            )
            % {"policy": policy.name, "target": label},
            code="FailedOperation.OrganizationDetachLastPolicyError",
        )


def check_detachable(
    *, policy: ServiceControlPolicy, department: Department | None = None, account=None
) -> None:
    """P1: the refusal `policy_detach` would give, for the dry run (no lock, no change)."""
    target, label = _target(policy.organization, department, account)
    _check_detachable(policy, target, label)


@transaction.atomic(durable=True)
def policy_detach(
    *,
    policy: ServiceControlPolicy,
    acting_user: User,
    department: Department | None = None,
    account: Account | None = None,
) -> None:
    org, p = _lock_policy(policy)
    target, label = _target(org, department, account)
    _check_detachable(p, target, label)
    PolicyAttachment.objects.filter(policy=p, **target).delete()
    audit_record(
        actor=acting_user,
        action="policy.detach",
        message=Msg(
            gettext_noop("Detached %(policy)s from %(target)s"), policy=p.name, target=label
        ),
        organization=org,
        target_account=account,
        obj=p,
    )
