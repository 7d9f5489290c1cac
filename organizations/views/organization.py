"""The organization itself: create it (O1), delete it and quit it (O7). Each changes the
user's position, so each forgets the cached console context."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tco_console.viewkit import confirm_view, require_admin, run_action

from .. import services
from ..models import Membership, Organization
from ..scoping import forget_console_context, require_perm


@login_required
@require_POST
def organization_create(request):
    require_perm(request, "organizations.manage_org")
    account = request.console.account

    def action():
        services.organization_create(account=account, acting_user=request.user)
        forget_console_context(request.user)
        return _("Organization created. Your account is its admin account.")

    return run_action(request, action, success_url=reverse("home"))


@login_required
def organization_delete(request):
    org = require_admin(request)
    org = get_object_or_404(Organization.objects.restrict(request.user, "change"), pk=org.pk)

    def on_confirm():
        services.organization_delete(organization=org, acting_user=request.user)
        forget_console_context(request.user)
        return _("The organization was deleted.")

    return confirm_view(
        request,
        title=_("Delete the organization"),
        description=_(
            "This deletes the organization, its departments and its pending invitations. "
            "It needs no members left."
        ),
        submit_label=_("Delete organization"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("home"),
        navigate=True,
    )


@login_required
def organization_quit(request):
    require_perm(request, "organizations.respond_invitation")
    membership = get_object_or_404(Membership.objects.restrict(request.user, "quit"))
    org_name = membership.organization.display_name
    if membership.is_admin:
        # O7: said at once; submitting anyway gets the same refusal from the service.
        description = _(
            "You cannot quit an organization created by yourself. Your account is its admin "
            "account: the organization can only be deleted, once it has no members."
        )
    else:
        description = _(
            "Your account will leave the organization of %(org)s. "
            "The admin will no longer see its new records."
        ) % {"org": org_name}

    def on_confirm():
        services.member_quit(membership=membership, acting_user=request.user)
        forget_console_context(request.user)
        return _("You quit the organization of %(org)s.") % {"org": org_name}

    return confirm_view(
        request,
        title=_("Quit the organization"),
        description=description,
        submit_label=_("Quit organization"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("home"),
        navigate=True,
    )
