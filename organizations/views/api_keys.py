"""API keys page (issue 15, point 3; K1-K5 in docs/api.md), under Users & permissions as in
CAM: a user's SecretId/SecretKey pairs for the TCO API.

Every user of an account manages its own keys; an account's owner also its sub-users' (K3,
A1). A key outside that scope (another user's, another account's, or no such key) is a 404
(A2). The SecretKey is shown once, in the answer to the create POST, and never again (K2):
that answer is not cached and the page lists SecretIds only.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from tco_console.errors import DomainError
from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, confirm_view

from ..forms import ApiKeyCreateForm
from ..models import MAX_KEYS_PER_USER, User
from ..selectors import api_key_list
from ..services import api_keys as keys
from .events import API_KEYS_CHANGED

PAGE = "organizations:api_keys"


def _require_account(request) -> None:
    if request.console.account is None:
        raise PermissionDenied  # operators have no console account


def _key_or_404(request, pk: int):
    _require_account(request)
    return get_object_or_404(api_key_list(user=request.user), pk=pk)


def _users(request):
    """K3: whom the viewer may create keys for: itself; an owner also its sub-users."""
    me = request.user
    if me.is_owner and me.account_id:
        return User.objects.filter(account_id=me.account_id).order_by("-is_owner", "username")
    return User.objects.filter(pk=me.pk)


@login_required
def api_keys_page(request):
    _require_account(request)
    rows = list(api_key_list(user=request.user))
    me = request.user
    context = {
        "keys": rows,
        "owner_view": me.is_owner,
        "max_keys": MAX_KEYS_PER_USER,
        "own_count": sum(1 for k in rows if k.user_id == me.pk),
    }
    if is_partial(request):
        return render(request, "organizations/api_keys.html#list", context)
    return render(request, "organizations/api_keys.html", context)


@login_required
def api_key_create(request):
    _require_account(request)
    me = request.user
    users = _users(request)
    form = ApiKeyCreateForm(
        bound_data(request),
        users=users,
        choose=me.is_owner and users.count() > 1,
        initial={"user": me.pk},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key, secret_key = keys.api_key_create(
                    user=form.cleaned_data["user"], acting_user=me
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                return _created(request, key, secret_key)
        status = 422
    context = {
        "form": form,
        "title": _("Create API key"),
        "submit_label": _("Create key"),
        "description": _(
            "A key signs requests to the TCO API as its user, with that user's groups and "
            "product permissions. A user has at most %(n)s keys. The SecretKey is shown "
            "once, right after it is created."
        )
        % {"n": MAX_KEYS_PER_USER},
        "action": request.get_full_path(),
        "cancel_url": reverse(PAGE),
    }
    template = "inc/modal_form.html"
    if is_partial(request):
        return render(request, template, context, status=status)
    return render(
        request, "inc/form_page.html", {**context, "modal_template": template}, status=status
    )


def _created(request, key, secret_key: str):
    """K2: the one answer that carries the plain SecretKey: never cached."""
    context = {
        "key": key,
        "secret_key": secret_key,
        "title": _("API key created"),
        "page_url": reverse(PAGE),
    }
    template = "organizations/api_key_created.html"
    if is_partial(request):
        response = render(request, template, context)
        response["HX-Trigger"] = json.dumps({API_KEYS_CHANGED: True})
    else:
        response = render(request, "inc/form_page.html", {**context, "modal_template": template})
    add_never_cache_headers(response)
    return response


def _confirm(request, pk: int, *, action: str):
    key = _key_or_404(request, pk)
    sid = key.secret_id
    whose = "" if key.user_id == request.user.pk else f" ({key.user.username})"
    if action == "disable":
        title, label, danger = _("Disable API key"), _("Disable"), True
        description = _(
            "Requests signed with %(id)s%(whose)s are refused until you enable it again."
        )

        def run():
            keys.api_key_disable(key=key, acting_user=request.user)
            return _("Disabled API key %(id)s.") % {"id": sid}

    elif action == "enable":
        title, label, danger = _("Enable API key"), _("Enable"), False
        description = _("Requests signed with %(id)s%(whose)s are accepted again.")

        def run():
            keys.api_key_enable(key=key, acting_user=request.user)
            return _("Enabled API key %(id)s.") % {"id": sid}

    else:
        title, label, danger = _("Delete API key"), _("Delete"), True
        description = _(
            "%(id)s%(whose)s is deleted for good: requests signed with it are refused and "
            "it cannot be restored. Scripts that use it stop working."
        )

        def run():
            keys.api_key_delete(key=key, acting_user=request.user)
            return _("Deleted API key %(id)s.") % {"id": sid}

    return confirm_view(
        request,
        title=title,
        description=description % {"id": sid, "whose": whose},
        submit_label=label,
        danger=danger,
        on_confirm=run,
        success_url=reverse(PAGE),
        events=(API_KEYS_CHANGED,),
    )


@login_required
def api_key_disable(request, pk: int):
    return _confirm(request, pk, action="disable")


@login_required
def api_key_enable(request, pk: int):
    return _confirm(request, pk, action="enable")


@login_required
def api_key_delete(request, pk: int):
    return _confirm(request, pk, action="delete")
