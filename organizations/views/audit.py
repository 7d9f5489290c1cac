"""The audit log (A4): who did what in the organization, filtered and paged."""

from django.contrib.auth.decorators import login_required

from tco_console.viewkit import table_page

from .. import selectors
from ..filtersets import AuditFilterSet
from ..scoping import require_perm
from ..tables import AuditTable


@login_required
def audit(request):
    require_perm(request, "organizations.view_audit")
    filterset = AuditFilterSet(request.GET or None, queryset=selectors.audit_log(user=request.user))
    return table_page(
        request, "organizations/audit.html", table=AuditTable(filterset.qs), filterset=filterset
    )
