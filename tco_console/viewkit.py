"""Project-wide views and the helpers every console view uses.

Views are thin (STYLE.md): authenticate, authorize, parse a form, call one service, choose a
response. `form_view` is that sequence for every modal form; `table_page` for every list.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from tco_console.errors import DomainError
from tco_console.htmx import is_partial, modal_success

# SPEC §5 sidebar, in its order: label, url name, icon, view names that light it up, who sees it.
SIDEBAR = [
    (_("Overview"), "home", "speedometer2", ("home",), lambda c: True),
    (
        _("Member account management"),
        "organizations:members",
        "diagram-3",
        ("organizations:member", "organizations:department"),
        lambda c: c.is_admin and c.can("organizations.view_org"),
    ),
    (
        _("Invitations"),
        "organizations:invitations",
        "envelope",
        ("organizations:invitation",),
        lambda c: c.can("organizations.view_org"),
    ),
    (
        _("Pay-on-behalf order management"),
        "billing:pay_on_behalf_orders",
        "credit-card-2-front",
        ("billing:pay_on_behalf_orders", "billing:order"),
        lambda c: _pay_on_behalf_visible(c),
    ),
    (
        _("Pay-on-behalf bill management"),
        "billing:pob_bills",
        "receipt",
        ("billing:pob_bills",),
        lambda c: _pay_on_behalf_visible(c),
    ),
    (
        _("Billing Center"),
        "billing:billing_center",
        "wallet2",
        ("billing:billing_center", "billing:top_up"),
        lambda c: c.can("billing.view_finance"),
    ),
    (
        _("Products"),
        "billing:products",
        "box-seam",
        ("billing:products", "billing:buy", "billing:activate", "billing:resource"),
        lambda c: c.can("billing.view_finance"),
    ),
    (
        _("Message center"),
        "billing:messages",
        "bell",
        ("billing:message",),
        lambda c: c.can("organizations.view_org"),
    ),
    (
        _("Service control policies"),
        "organizations:policies",
        "shield-check",
        ("organizations:policies", "organizations:member_policy"),
        lambda c: c.membership is not None and c.can("organizations.view_org"),
    ),
    (
        _("Users & permissions"),
        "organizations:users",
        "people",
        ("organizations:user",),
        lambda c: True,
    ),
    (
        _("Audit log"),
        "organizations:audit",
        "journal-text",
        ("organizations:audit",),
        lambda c: c.can("organizations.view_audit"),
    ),
]


def _pay_on_behalf_visible(ctx) -> bool:
    from billing.views import pay_on_behalf_visible  # billing.views imports this module

    return pay_on_behalf_visible(ctx)


def _unread_messages(ctx):
    """The top bar's unread badge, or None for a user who may not read messages. A callable:
    the template calls it only when it renders the badge (full pages, not htmx partials), and
    the count is remembered on the console context, so a page costs one query at most."""
    if not ctx.can("organizations.view_org"):
        return None
    from billing.views import unread_messages

    return lambda: unread_messages(ctx)


def console_context(request):
    ctx = getattr(request, "console", None)
    if ctx is None or not request.user.is_authenticated or ctx.account is None:
        return {}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {
            "label": label,
            "url": reverse(name),
            "icon": icon,
            "active": any(current.startswith(prefix) for prefix in prefixes),
        }
        for label, name, icon, prefixes, visible in SIDEBAR
        if visible(ctx)
    ]
    return {"sidebar": items, "unread_messages": _unread_messages(ctx)}


def bound_data(request):
    """Bind forms on POST even when the body is empty (a confirmation has no fields)."""
    return request.POST if request.method == "POST" else None


def table_page(request, template: str, *, table, filterset=None, partial: str = "table", **extra):
    """Render a list page: the whole page, or only its table partial for htmx requests."""
    paginate = {"per_page": table._meta.per_page}
    if getattr(table, "paginator_class", None):
        paginate["paginator_class"] = table.paginator_class
    RequestConfig(request, paginate=paginate).configure(table)
    context = {"table": table, "filter": filterset, **extra}
    if is_partial(request):
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context)


def form_view(
    request,
    *,
    form,
    title: str,
    submit_label: str,
    on_valid: Callable[[object], str],
    success_url: str,
    events: tuple[str, ...] = (),
    template: str = "inc/modal_form.html",
    danger: bool = False,
    description: str = "",
    navigate: bool = False,
    **extra,
):
    """GET shows the form (as a modal for htmx, as a page otherwise); POST calls the service.

    A DomainError from the service is shown on its field (or above the form) and the form is
    re-rendered with status 422, so nothing is half-saved and the user sees why. `navigate`
    sends the browser to `success_url` afterwards (for actions that change what the user is,
    such as joining or leaving an organization); the message then shows on that page.
    """
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message = on_valid(form)
            except DomainError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                if error.link:
                    extra["error_link"] = {
                        "field": field,
                        "label": error.link[0],
                        "url": error.link[1],
                    }
            else:
                messages.success(request, message)
                if is_partial(request) and navigate:
                    return HttpResponse(status=204, headers={"HX-Redirect": success_url})
                if is_partial(request):
                    return modal_success(*events)
                return redirect(success_url)
        status = 422
    context = {
        "form": form,
        "title": title,
        "submit_label": submit_label,
        "danger": danger,
        "description": description,
        "action": request.get_full_path(),
        "cancel_url": success_url,
        **extra,
    }
    if is_partial(request):
        return render(request, template, context, status=status)
    return render(
        request, "inc/form_page.html", {**context, "modal_template": template}, status=status
    )


def run_action(
    request, action: Callable[[], str], *, success_url: str, events: tuple[str, ...] = ()
):
    """A POST without a form (button actions): call the service, report, go back."""
    try:
        message = action()
    except DomainError as error:
        messages.error(request, error.message)
        if is_partial(request):
            response = modal_success(*events)
            response.status_code = 200
            return response
    else:
        messages.success(request, message)
        if is_partial(request):
            return modal_success(*events)
    return redirect(success_url)


@login_required
def home(request):
    """Overview: outsiders create an organization; admins see a summary; members their org."""
    from organizations import selectors
    from organizations.choices import FinancialPermission

    ctx = request.console
    context = {}
    if ctx.account is None:
        return (
            redirect("admin:index") if request.user.is_staff else render(request, "no_account.html")
        )
    if ctx.is_admin and ctx.can("organizations.view_org"):
        context["summary"] = selectors.organization_summary(
            user=request.user, organization=ctx.organization
        )
        context["tree"] = selectors.department_tree(user=request.user)
        from billing.bill_views import overview_spend

        context["spend"] = overview_spend(request)
        context["recent"] = (
            selectors.audit_log(user=request.user).filter(organization=ctx.organization)[:8]
            if ctx.can("organizations.view_audit")
            else []
        )
    elif ctx.is_member:
        context["permission_labels"] = [
            FinancialPermission(p)
            for p in ctx.membership.permissions
            if p in FinancialPermission.values
        ]
    else:
        context["pending_invitations"] = selectors.invitations_received(
            user=request.user
        ).with_status("pending")[:5]  # O5: unexpired as of now
    return render(request, "overview.html", context)
