"""The view kit: the helpers every console view uses (the kernel layer, issue 12).

Views are thin (STYLE.md): authenticate, authorize, parse a form, call one service, choose a
response. `form_view` is that sequence for every modal form; `table_page` for every list.
Both apps' views build on this module, so it imports no app: what it needs of the user's
position it asks `request.console` (organizations.scoping.ConsoleContext) by duck typing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from tco_console.errors import DomainError
from tco_console.forms import ConfirmForm
from tco_console.htmx import is_partial, modal_success


def bound_data(request):
    """Bind forms on POST even when the body is empty (a confirmation has no fields)."""
    return request.POST if request.method == "POST" else None


def require_admin(request, perm: str = "organizations.manage_org"):
    """Admin pages need the organization's admin account (A1) and the group permission:
    403 otherwise. The one guard of the console's admin pages; returns the organization."""
    ctx = request.console
    if not ctx.is_admin:
        raise PermissionDenied(_("This page is for the organization's admin account."))
    ctx.require(perm)
    return ctx.organization


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


def confirm_view(request, *, on_confirm: Callable[[], str], **options):
    """`form_view` for an action that only needs a "yes" (a ConfirmForm: the CSRF token and
    nothing else): GET shows the question, POST calls `on_confirm()` and reports its message.
    `options` are form_view's (title, submit_label, success_url, events, template, ...)."""
    return form_view(
        request,
        form=ConfirmForm(bound_data(request)),
        on_valid=lambda form: on_confirm(),
        **options,
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
