"""F4 Consolidated bills: the request form, the organization's exports with their progress
(htmx polling while one is being prepared) and the download of a ready ZIP for 24 hours.

The admin account's users with `billing.view_finance` only: a member gets 403 for the page
and 404 for a file (A2), as does anyone for another organization's file or an expired one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.scoping import object_or_404
from tco_console.errors import DomainError
from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, require_admin

from ..finance import exports as export_services
from ..finance.export_files import export_targets
from ..finance.forms import LISTED as MEMBERS_LISTED
from ..finance.forms import BillExportForm
from ..models import BillExport

LISTED = 20  # the newest exports (files live 24 hours; older rows are history)


def _exports(request) -> list[BillExport]:
    return list(
        BillExport.objects.restrict(request.user, "view")
        .listing()
        .select_related("requested_by")[:LISTED]
    )


@login_required
def bill_exports(request):
    """F4: request an export; list the organization's exports."""
    require_admin(request, "billing.view_finance")
    ctx = request.console
    if is_partial(request) and request.method == "GET" and "list" in request.GET:
        return render(request, "billing/exports.html#exports", _context(request, None))
    # a request is checked against every member in reach; the page lists a page of them
    listed = None if request.method == "POST" else MEMBERS_LISTED
    form = BillExportForm(
        bound_data(request), targets=export_targets(ctx, listed=listed), today=timezone.localdate()
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                export_services.bill_export_request(
                    organization=ctx.organization,
                    accounts=data["chosen"],
                    month_from=data["month_from"],
                    month_to=data["month_to"],
                    mode=data["mode"],
                    acting_user=request.user,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request, _("Consolidated bills requested; the file is being prepared.")
                )
                return redirect(reverse("billing:bill_exports"))
        status = 422
    return render(request, "billing/exports.html", _context(request, form), status=status)


def _context(request, form) -> dict:
    rows = _exports(request)
    return {
        "form": form,
        "exports": rows,
        "polling": any(e.in_progress for e in rows),
        "now": timezone.now(),
        "tab": "exports",
    }


@login_required
def bill_export_download(request, pk: int):
    """F4: the ZIP, as an attachment, audited (A4); 404 once expired or out of scope."""
    export = object_or_404(
        BillExport.objects.defer("result").select_related("organization", "account"),
        request,
        pk=pk,
    )
    try:
        filename, data = export_services.bill_export_download(
            export=export, acting_user=request.user
        )
    except DomainError as error:
        if error.code == export_services.EXPIRED:
            raise Http404(error.message) from None
        messages.error(request, error.message)  # F1: an account in the file left reach
        return redirect(reverse("billing:bill_exports"))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(len(data))
    return response
