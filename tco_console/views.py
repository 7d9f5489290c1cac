"""The shell's one page: the Overview (issue 12, Step C).

The shell sits above both apps, so it may read from either; the helpers the apps' views share
are in the kernel's `tco_console.viewkit`, the sidebar in `tco_console.navigation`.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.views.bills import overview_spend
from organizations import selectors, services
from organizations.choices import FinancialPermission
from tco_console.api.endpoint import api_endpoint, is_api_request
from tco_console.middleware import set_language_cookie


@csrf_exempt  # the API authenticates by signature; the console's GET needs no token
def root(request):
    """`/`: an API request (the SDK's `POST /` with `X-TC-Action`, issue 15) or the console's
    Overview. Anything else posted here is refused without reading it."""
    if is_api_request(request):
        return api_endpoint(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return home(request)


@login_required
def home(request):
    """Overview: outsiders create an organization; admins see a summary; members their org."""
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
        context["tree"] = tree = selectors.department_tree(user=request.user)
        context["spend"] = overview_spend(request, root=tree.department if tree else None)
        context["recent"] = (
            selectors.audit_log(user=request.user).filter(organization=ctx.organization)[:8]
            if ctx.can("organizations.view_audit")
            else []
        )
    elif ctx.is_member:
        changes = selectors.permission_changes(user=request.user, account=ctx.account, limit=5)
        context["permission_changes"] = changes  # F17: the member's consent
        context["pending_change"] = selectors.pending_change(changes)
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


@require_POST
def set_language(request):
    """Issue 17: the header's (and the sign-in page's) language switcher. A signed-in user's
    choice is saved on the user (`User.language`: it holds at the next sign-in, on any
    browser); everyone gets the language cookie. The same URL then renders in the chosen
    language (no language prefix in URLs). `next` must be this site's, as in Django's own
    set_language; an htmx request is told to reload the page it is on."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest()
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    back = request.POST.get("next") or request.headers.get("referer") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    response = HttpResponseRedirect(back)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204, headers={"HX-Redirect": back})
    set_language_cookie(response, language)
    return response
