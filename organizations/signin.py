"""Sign-in throttling (django-axes), the console's side of it: the client's address behind the
proxy, the lockout page, the audit of a lockout and of an operator lifting it.

The policy (settings.AXES_*; docs/rules.md "Sign-in throttling"): SIGNIN_FAILURE_LIMIT failed
sign-ins (5) for one login name, or from one client address, lock that name or address for
SIGNIN_LOCKOUT_MINUTES (15). A locked-out attempt is refused before its password is checked,
even when the password is right, and restarts the lock. Operators lift a lock in the Django
admin (Axes › Access attempts: delete the attempts), which is audited.
"""

from __future__ import annotations

import ipaddress

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.db.models import Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.translation import gettext_noop, ngettext

from tco_console.admin import ReadOnlyAdmin, ServiceAdmin
from tco_console.msg import Msg

from .audit import audit_record
from .models import AuditRecord, User


class SignInThrottleBackend(AxesStandaloneBackend):
    """Axes' gate, first in AUTHENTICATION_BACKENDS: refuses a locked-out sign-in.

    Every web sign-in (the console's and the admin's login forms) passes its request; an
    `authenticate()` without one (a shell, the test client's `login()`) has no client to
    throttle, so the gate lets the next backend decide instead of raising as axes does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str | None:
    """The client's address: the one the outermost of TRUSTED_PROXY_COUNT proxies saw, read
    from X-Forwarded-For counted from the right (each proxy appends the address it received
    the request from, so entries left of that are the client's own claims); REMOTE_ADDR when
    no proxy is trusted or the request did not come through them."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def lockout_minutes() -> int:
    return round(settings.AXES_COOLOFF_TIME * 60)


def lockout_message() -> str:
    minutes = lockout_minutes()
    return ngettext(
        "Too many failed sign-in attempts. Sign-in with this login name or from this address "
        "is locked for %(minutes)d minute; try again later, or ask an operator to lift the lock.",
        "Too many failed sign-in attempts. Sign-in with this login name or from this address "
        "is locked for %(minutes)d minutes; try again later, or ask an operator to lift the "
        "lock.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page again, with the lock explained, as 429."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    response = render(
        request,
        "registration/login.html",
        {
            "form": form,
            "next": request.POST.get("next", request.GET.get("next", "")),
            "lockout_message": lockout_message(),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(lockout_minutes() * 60)
    return response


def _failures(**filters) -> int:
    return (
        AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0
    )


def _account_of(username: str | None):
    user = User.objects.filter(username=username).select_related("account").first()
    return user.account if user is not None else None


@transaction.atomic(durable=True)
def signin_lockout_record(*, username: str | None, ip_address: str | None) -> AuditRecord:
    """A4: the lock that just started, with what it counted. No actor: nobody signed in."""
    by_name = _failures(username=username) if username else 0
    by_address = _failures(ip_address=ip_address) if ip_address else 0
    return audit_record(
        actor=None,
        action="signin.locked_out",
        message=Msg(
            gettext_noop(
                "Sign-in locked for %(minutes)d minutes after failed attempts: login name "
                "“%(username)s” (%(by_name)d failed), address %(ip)s (%(by_address)d failed)"
            ),
            minutes=lockout_minutes(),
            username=username or "",
            by_name=by_name,
            ip=ip_address or "?",
            by_address=by_address,
        ),
        target_account=_account_of(username),
        changes={
            "login_name": username or "",
            "ip_address": ip_address or "",
            "failures_by_login_name": by_name,
            "failures_by_address": by_address,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": lockout_minutes(),
        },
    )


@receiver(user_locked_out, dispatch_uid="tco-signin-locked-out")
def _record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    # Axes signals every refused attempt while a lock lasts; the audit records the lock once,
    # when the count first reaches the limit (a lock that ran out starts counting afresh).
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    signin_lockout_record(username=username, ip_address=ip_address)


@transaction.atomic  # inside the admin's own delete transaction, so not durable
def signin_lockout_lift(*, attempts, acting_user) -> int:
    """A4: an operator deletes failed-attempt records, lifting the lock they hold."""
    lifted = 0
    for attempt in attempts:
        audit_record(
            actor=acting_user,
            action="signin.lock_lifted",
            message=Msg(
                gettext_noop(
                    "Lifted the sign-in lock of login name “%(username)s”, address %(ip)s "
                    "(%(failures)d failed attempts cleared)"
                ),
                username=attempt.username or "",
                ip=attempt.ip_address or "?",
                failures=attempt.failures_since_start,
            ),
            target_account=_account_of(attempt.username),
            changes={
                "login_name": attempt.username or "",
                "ip_address": attempt.ip_address or "",
                "failures_cleared": attempt.failures_since_start,
                "last_failed_at": attempt.attempt_time.isoformat() if attempt.attempt_time else "",
            },
        )
        attempt.delete()
        lifted += 1
    return lifted


class SignInLockAdmin(ServiceAdmin, AccessAttemptAdmin):
    """Axes' access attempts, where operators lift a lock by deleting its attempts (audited,
    through signin_lockout_lift). Attempts are written by sign-ins only: no add, no edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        signin_lockout_lift(attempts=[obj], acting_user=request.user)

    def delete_queryset(self, request, queryset):
        signin_lockout_lift(attempts=list(queryset), acting_user=request.user)


def register_admin() -> None:
    """Called from OrganizationsConfig.ready(), after the admin's autodiscovery registered
    axes' own AccessAttemptAdmin."""
    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, SignInLockAdmin)
    # The sign-in logs are evidence: operators read them, nobody edits or deletes them (A4).
    for model, base in ((AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, type(base.__name__, (ReadOnlyAdmin, base), {}))
