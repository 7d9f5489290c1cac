"""Who the user is in console terms, and the one scoping function every view goes through.

A1: what a user may do = its groups' permissions, limited by its account's position.
A2: every query is scoped; an object outside the scope is a 404, never a 403.

`request.console` (ConsoleContext) answers "which account, which organization, admin or
member?" once per request. `Model.objects.restrict(user, action)` returns only the rows that
user may see (or act on) and nothing at all when the user lacks the action's permission; a
view that fetches through it gets 404 for anything outside the scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

T = TypeVar("T")


@dataclass
class ConsoleContext:
    # organizations.models builds its querysets on ScopedQuerySet, so this module does not
    # import it, not even for type checkers (issue 12: no import cycle).
    user: Any  # organizations.User
    account: models.Model | None  # organizations.Account
    membership: models.Model | None  # organizations.Membership
    # Answers the layers above compute once per request (billing's sidebar reads): see
    # `remember`. This layer cannot know them by name, so they are kept by key.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_user(cls, user) -> ConsoleContext:
        if not getattr(user, "is_authenticated", False) or not user.account_id:
            return cls(user=user, account=None, membership=None)
        # By name, not by import: models.py builds its querysets on ScopedQuerySet below, so an
        # import back would be a cycle (issue 12's contract), hidden inside a function.
        membership = (
            apps.get_model("organizations", "Membership")
            .objects.select_related(
                "organization", "organization__admin_account", "department", "payer", "account"
            )
            .filter(account_id=user.account_id, organization__deleted_at__isnull=True)
            .first()
        )
        account = membership.account if membership else user.account
        return cls(user=user, account=account, membership=membership)

    @property
    def organization(self) -> models.Model | None:  # organizations.Organization
        return self.membership.organization if self.membership else None

    @property
    def organization_id(self) -> int | None:
        return self.membership.organization_id if self.membership else None

    @property
    def is_admin(self) -> bool:
        """The user's account is the admin (management) account of its organization."""
        return self.membership is not None and self.membership.is_admin

    @property
    def is_member(self) -> bool:
        return self.membership is not None and not self.membership.is_admin

    @property
    def is_outsider(self) -> bool:
        return self.account is not None and self.membership is None

    @cached_property
    def role_label(self) -> str:
        if self.account is None:
            return str(_("Operator"))
        position = (
            _("Organization admin")
            if self.is_admin
            else _("Member")
            if self.is_member
            else _("Not in an organization")
        )
        # Issue 17: "owner" alone is also a resource's owner (使用者); here it is the
        # account's owner, 主账号 in TCO's Chinese (docs/glossary-zh.md)
        who = pgettext_lazy("console role", "owner") if self.user.is_owner else _("sub-user")
        return f"{position} · {who}"

    def can(self, perm: str) -> bool:
        return self.account is not None and self.user.has_perm(perm)

    def require(self, perm: str) -> None:
        """403 when the user's groups lack `perm` (A1). A method, so that the kernel's view
        kit (which imports no app) guards admin pages with the same check as `require_perm`."""
        if not self.can(perm):
            raise PermissionDenied(_("Your user lacks the permission for this action."))

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()` once per request: the sidebar asks the same questions on every render
        (django-tables2 re-runs context processors for each template cell), and the layers
        above keep their answers here rather than on private attributes."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def console_context(user) -> ConsoleContext:
    """The (cached) console context of a user object."""
    ctx = getattr(user, "_console_ctx", None)
    if ctx is None:
        ctx = ConsoleContext.for_user(user)
        if getattr(user, "is_authenticated", False):
            user._console_ctx = ctx
    return ctx


def forget_console_context(user) -> None:
    """Call after a service changed the user's position (joined, quit, created an org)."""
    if hasattr(user, "_console_ctx"):
        del user._console_ctx


class ConsoleContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.console = SimpleLazyObject(lambda: console_context(request.user))
        return self.get_response(request)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may see or act on.

    Subclasses define `permissions` (action -> permission codename) and `scope(ctx, action)`,
    which returns a filtered queryset. `restrict` is the only entry point views use.
    """

    permissions: dict[str, str] = {}

    def restrict(self, user, action: str = "view"):
        ctx = console_context(user)
        if ctx.account is None:
            return self.none()
        perm = self.permissions.get(action)
        if perm is None:
            raise ValueError(f"{self.model.__name__} has no action {action!r}")
        if not user.has_perm(perm):
            return self.none()
        return self.scope(ctx, action)

    def scope(self, ctx: ConsoleContext, action: str):  # pragma: no cover - abstract
        return self.none()

    def in_scope(self, user, action: str = "view"):
        """The rows within reach of the user's account and position, whatever its groups:
        for object pages, which answer 404 outside it and only then check the permission
        (`object_or_404`)."""
        ctx = console_context(user)
        if ctx.account is None:
            return self.none()
        if action not in self.permissions:
            raise ValueError(f"{self.model.__name__} has no action {action!r}")
        return self.scope(ctx, action)


def object_or_404(queryset: ScopedQuerySet, request, action: str = "view", **lookup):
    """A2 for an object URL: an object outside the scope of the user's account and position
    (another organization's, or any object for an outsider) is a 404, before anything says
    whether the user may act on it; a user of the account that lacks the action's permission
    then gets a 403 (A1: it sees the object exists anyway)."""
    from django.shortcuts import get_object_or_404

    obj = get_object_or_404(queryset.in_scope(request.user, action), **lookup)
    require_perm(request, queryset.permissions[action])
    return obj


def require_perm(request, perm: str) -> None:
    """403 when the user's groups lack `perm` (A1). Pages are not secret; objects are (A2)."""
    request.console.require(perm)
