"""Users & permissions (SPEC §5, §6; A1, P2): the account owner's sub-users, their groups and
their product permissions; a sub-user sees what it may do itself.

Only the owner (the Account owner group's manage_account_users, on its own account) lists and
manages sub-users; another account's user is a 404 (A2). Products the account's service
control policy refuses are marked in the form and refused by the service with the level that
refused them; grants a tightened policy blocks are shown as blocked (P2).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.models.catalog import Product
from tco_console.viewkit import bound_data, confirm_view, form_view, table_page

from .. import policies
from ..filtersets import SubUserFilterSet
from ..forms import SubUserForm
from ..models import User
from ..roles import ROLE_LABELS
from ..services import sub_users as users
from ..tables import SubUserTable
from .events import USERS_CHANGED


def _is_manager(request) -> bool:
    user = request.user
    return bool(user.is_owner and request.console.can("organizations.manage_account_users"))


def _require_manager(request) -> None:
    if not _is_manager(request):
        raise PermissionDenied(_("Only the account owner manages its sub-users."))


def _sub_user_or_404(request, pk: int) -> User:
    """A2: only a sub-user of the owner's own account; anything else is a 404."""
    _require_manager(request)
    return get_object_or_404(
        User.sub_users.restrict(request.user, "change").select_related("account"), pk=pk
    )


def _products():
    return list(Product.objects.order_by("position", "code"))


@login_required
def users_page(request):
    ctx = request.console
    if ctx.account is None:
        raise PermissionDenied
    if not _is_manager(request):
        # A sub-user: what its groups and product permissions let it do, read-only.
        me = request.user
        blocked = policies.blocked_grants(me)
        return render(
            request,
            "organizations/users.html",
            {
                "me": me,
                "groups": [ROLE_LABELS.get(g.name, g.name) for g in me.groups.order_by("name")],
                "granted": None if me.all_products else list(me.products.order_by("position")),
                "blocked": {p.code for p in blocked},
                "blocked_products": blocked,
            },
        )
    queryset = (
        User.sub_users.restrict(request.user, "view")
        .prefetch_related("groups", "products")
        .order_by("username")
    )
    filterset = SubUserFilterSet(request.GET or None, queryset=queryset)
    allowed = policies.effective_products(ctx.account)
    refused = [] if allowed is None else [p for p in _products() if p.code not in allowed]
    return table_page(
        request,
        "organizations/users.html",
        table=SubUserTable(filterset.qs, blocked=frozenset(p.code for p in refused)),
        filterset=filterset,
        refused=refused,
        enforced=allowed is not None,
    )


def _form(request, *, editing: User | None = None) -> SubUserForm:
    products = _products()
    initial = {"scope": "chosen"}
    if editing is not None:
        initial = {
            "display_name": editing.first_name,
            "email": editing.email,
            "groups": list(editing.groups.values_list("name", flat=True)),
            "scope": "all" if editing.all_products else "chosen",
            "products": list(editing.products.values_list("code", flat=True)),
        }
    return SubUserForm(
        bound_data(request),
        products=products,
        refused=policies.refusals(request.user.account, products),
        editing=editing is not None,
        initial=initial,
    )


@login_required
def user_create(request):
    _require_manager(request)
    form = _form(request)

    def on_valid(form):
        user = users.sub_user_create(
            account=request.user.account,
            acting_user=request.user,
            username=form.cleaned_data["username"],
            **form.settings(),
        )
        return _("Created sub-user %(name)s.") % {"name": user.username}

    return form_view(
        request,
        form=form,
        title=_("Create sub-user"),
        description=_(
            "A sub-user signs in with its own login and works in this account: its groups "
            "decide what it may do, its product permissions which products it may buy, "
            "activate and manage."
        ),
        submit_label=_("Create sub-user"),
        on_valid=on_valid,
        success_url=reverse("organizations:users"),
        events=(USERS_CHANGED,),
    )


@login_required
def user_edit(request, pk: int):
    target = _sub_user_or_404(request, pk)
    form = _form(request, editing=target)

    def on_valid(form):
        users.sub_user_update(user=target, acting_user=request.user, **form.settings())
        return _("Saved sub-user %(name)s.") % {"name": target.username}

    return form_view(
        request,
        form=form,
        title=_("Edit sub-user %(name)s") % {"name": target.username},
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=reverse("organizations:users"),
        events=(USERS_CHANGED,),
    )


def _set_active(request, pk: int, *, active: bool):
    target = _sub_user_or_404(request, pk)
    name = target.username
    if active:
        title, label = _("Reactivate %(name)s") % {"name": name}, _("Reactivate")
        description = _("%(name)s can sign in again, with the groups and products it had.")
        done = _("Reactivated %(name)s.")
    else:
        title, label = _("Deactivate %(name)s") % {"name": name}, _("Deactivate")
        description = _(
            "%(name)s can no longer sign in and its open sessions end. Its groups, products "
            "and the audit records of what it did are kept; you can reactivate it later."
        )
        done = _("Deactivated %(name)s.")

    def on_confirm():
        users.sub_user_set_active(user=target, active=active, acting_user=request.user)
        return done % {"name": name}

    return confirm_view(
        request,
        title=title,
        description=description % {"name": name},
        submit_label=label,
        danger=not active,
        on_confirm=on_confirm,
        success_url=reverse("organizations:users"),
        events=(USERS_CHANGED,),
    )


@login_required
def user_deactivate(request, pk: int):
    return _set_active(request, pk, active=False)


@login_required
def user_reactivate(request, pk: int):
    return _set_active(request, pk, active=True)
