"""Sub-users (A1, P2): the users of one account besides its owner.

Only the account's owner manages them: creates them, sets their groups and their product
permissions (which products they may buy, activate and manage), resets their password, and
deactivates or reactivates them. A deactivated user cannot sign in and its sessions end; its
name stays on the audit records it wrote. With service control policies on, an owner cannot
grant products outside its account's effective policy (P2), and grants that a later, tighter
policy blocks are kept and shown as blocked, never removed silently.

Every service is one durable transaction that locks the account row first and writes its
audit record (A4) in the same transaction.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tco_console.errors import DomainError
from tco_console.msg import Msg

from .. import policies
from ..audit import audit_record, organization_of
from ..locks import lock_accounts
from ..models import Account, User
from ..roles import SUB_USER_GROUPS

# CAM's limit on sub-users per account
MAX_SUB_USERS = 1000
ALL = "all"


def _require_owner(account: Account, *, acting_user: User) -> None:
    if not acting_user.is_owner or acting_user.account_id != account.pk:
        raise DomainError(_("Only the account owner manages its sub-users."))


def _groups(names) -> list[Group]:
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in SUB_USER_GROUPS]
    if unknown:
        raise DomainError(
            _("A sub-user cannot be given the group %(name)s.") % {"name": unknown[0]},
            field="groups",
        )
    groups = list(Group.objects.filter(name__in=names).order_by("name"))
    if not groups:
        raise DomainError(_("Choose at least one group."), field="groups")
    return groups


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc


def _grant(user: User, *, all_products: bool, products) -> tuple[object, object]:
    """Check and set the products (P2); the (before, after) for the audit record. Only what
    is newly granted is checked: a grant a tightened policy now blocks may be kept (it shows
    as blocked and is refused when used), never granted afresh. The same holds for "All
    products": kept as it is, but not granted while the policy refuses any product."""
    products = [] if all_products else list(products or [])
    held = dict(user.products.values_list("pk", "code"))
    if all_products:
        if not user.all_products:
            policies.check_grantable(user.account, all_products=True, products=[])
    else:
        new = products if user.all_products else [p for p in products if p.pk not in held]
        policies.check_grantable(user.account, all_products=False, products=new)
    before = ALL if user.all_products else sorted(held.values())
    user.all_products = all_products
    user.save(update_fields=["all_products"])
    user.products.set(products)
    after = ALL if all_products else sorted(p.code for p in products)
    return before, after


def _lock_sub_user(user: User, *, acting_user: User) -> User:
    if user.is_owner or user.account_id is None:
        raise DomainError(_("Only the account owner manages its sub-users."))
    _require_owner(user.account, acting_user=acting_user)
    lock_accounts(user.account)
    return (
        User.objects.select_for_update(no_key=True, of=("self",))
        .select_related("account")
        .get(pk=user.pk)
    )


@transaction.atomic(durable=True)
def sub_user_create(
    *,
    account: Account,
    acting_user: User,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    groups=(),
    all_products: bool = False,
    products=(),
) -> User:
    """A1: a new sub-user of the owner's account, with its groups and products."""
    _require_owner(account, acting_user=acting_user)
    lock_accounts(account)
    if User.objects.filter(account=account, is_owner=False).count() >= MAX_SUB_USERS:
        raise DomainError(
            _("An account has at most %(n)s sub-users.") % {"n": MAX_SUB_USERS},
            code="LimitExceeded.SubUserCount",
        )
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This login name is already taken."), field="username")
    chosen = _groups(groups)
    user = User(
        username=username,
        first_name=display_name,
        email=email,
        account=account,
        is_owner=False,
        all_products=False,  # nothing is held yet: every grant below is checked (P2)
    )
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():  # another account may take the name at the same moment
            user.save()
    except IntegrityError:
        raise DomainError(_("This login name is already taken."), field="username") from None
    user.groups.set(chosen)
    _before, after = _grant(user, all_products=all_products, products=products)
    audit_record(
        actor=acting_user,
        action="user.create",
        message=Msg(gettext_noop("Created sub-user %(name)s"), name=username),
        organization=organization_of(account),
        target_account=account,
        obj=user,
        changes={"groups": [g.name for g in chosen], "products": after},
    )
    return user


@transaction.atomic(durable=True)
def sub_user_update(
    *,
    user: User,
    acting_user: User,
    display_name: str,
    email: str,
    groups,
    all_products: bool,
    products,
    password: str = "",
) -> User:
    """A1/P2: edit a sub-user: name, email, groups, products, and optionally a new password."""
    target = _lock_sub_user(user, acting_user=acting_user)
    chosen = _groups(groups)
    changes = {}
    if target.first_name != display_name:
        changes["display_name"] = [target.first_name, display_name]
    if target.email != email:
        changes["email"] = [target.email, email]
    before_groups = sorted(target.groups.values_list("name", flat=True))
    after_groups = sorted(g.name for g in chosen)
    if before_groups != after_groups:
        changes["groups"] = [before_groups, after_groups]
    if password:
        _check_password(password, target)
        target.set_password(password)
        changes["password"] = _("reset")
    target.first_name, target.email = display_name, email
    target.save(update_fields=["first_name", "email", "password"])
    target.groups.set(chosen)
    before, after = _grant(target, all_products=all_products, products=products)
    if before != after:
        changes["products"] = [before, after]
    audit_record(
        actor=acting_user,
        action="user.update",
        message=Msg(gettext_noop("Edited sub-user %(name)s"), name=target.get_username()),
        organization=organization_of(target.account),
        target_account=target.account,
        obj=target,
        changes=changes,
    )
    return target


@transaction.atomic(durable=True)
def sub_user_set_products(*, user: User, all_products: bool, products, acting_user: User) -> User:
    """A1/P2: the account owner grants a sub-user products, never outside the account's
    effective policy (the refusal names the level)."""
    target = _lock_sub_user(user, acting_user=acting_user)
    before, after = _grant(target, all_products=all_products, products=products)
    audit_record(
        actor=acting_user,
        action="user.products",
        message=Msg(gettext_noop("Set the products of user %(name)s"), name=target.get_username()),
        organization=organization_of(target.account),
        target_account=target.account,
        obj=target,
        changes={"products": [before, after]},
    )
    return target


@transaction.atomic(durable=True)
def sub_user_set_active(*, user: User, active: bool, acting_user: User) -> User:
    """Deactivate a sub-user (it can no longer sign in; its sessions end) or reactivate it."""
    target = _lock_sub_user(user, acting_user=acting_user)
    if target.is_active == active:
        raise DomainError(
            _("%(name)s is already active.") % {"name": target.get_username()}
            if active
            else _("%(name)s is already deactivated.") % {"name": target.get_username()}
        )
    target.is_active = active
    target.save(update_fields=["is_active"])
    audit_record(
        actor=acting_user,
        action="user.reactivate" if active else "user.deactivate",
        message=Msg(
            gettext_noop("Reactivated sub-user %(name)s")
            if active
            else gettext_noop("Deactivated sub-user %(name)s"),
            name=target.get_username(),
        ),
        organization=organization_of(target.account),
        target_account=target.account,
        obj=target,
    )
    return target
