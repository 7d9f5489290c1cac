"""F17: the member accepts or denies a change of its financial permissions or payer (from
its Overview), and the admin cancels it (from the member's page). Button actions: POST only,
CSRF-protected; a record outside the user's scope is a 404 (A2) before the permission's 403."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tco_console.viewkit import run_action

from .. import services
from ..models import PermissionChange
from ..scoping import forget_console_context, object_or_404


def _change_or_404(request, pk, action) -> PermissionChange:
    return object_or_404(PermissionChange.objects.select_related("account"), request, action, pk=pk)


@login_required
@require_POST
def permission_change_accept(request, pk):
    change = _change_or_404(request, pk, "respond")

    def action():
        services.permission_change_accept(change=change, acting_user=request.user)
        forget_console_context(request.user)  # its membership's settings changed
        return _("You accepted the permission change; it applies from now on.")

    return run_action(request, action, success_url=reverse("home"))


@login_required
@require_POST
def permission_change_deny(request, pk):
    change = _change_or_404(request, pk, "respond")

    def action():
        services.permission_change_deny(change=change, acting_user=request.user)
        return _("You denied the permission change; your permissions did not change.")

    return run_action(request, action, success_url=reverse("home"))


@login_required
@require_POST
def permission_change_cancel(request, pk):
    change = _change_or_404(request, pk, "cancel")

    def action():
        services.permission_change_cancel(change=change, acting_user=request.user)
        return _("The permission change was cancelled; the member's permissions did not change.")

    return run_action(
        request,
        action,
        success_url=reverse("organizations:member_detail", args=[change.account.uin]),
    )
