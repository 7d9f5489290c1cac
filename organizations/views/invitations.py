"""Invitations (O5): the admin sends one from the members page and sees those it sent; the
invited account sees those it received and accepts or declines them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin, table_page

from .. import selectors, services
from ..choices import FinancialPermission, InvitationStatus
from ..filtersets import InvitationFilterSet
from ..forms import InviteForm
from ..models import Invitation
from ..scoping import forget_console_context, object_or_404, require_perm
from ..tables import ReceivedInvitationTable, SentInvitationTable
from .departments import department_or_404
from .events import INVITATIONS_CHANGED, MEMBERS_CHANGED


@login_required
def member_invite(request):
    org = require_admin(request)
    form = InviteForm(
        bound_data(request),
        departments=selectors.department_choices(user=request.user),
        payers=selectors.payer_choices(user=request.user),
        initial={"department": request.GET.get("department")},
    )

    def on_valid(form):
        d = form.cleaned_data
        inv = services.invitation_send(
            organization=org,
            acting_user=request.user,
            uin=d["uin"],
            name=d["name"],
            remark=d["remark"],
            department=department_or_404(request, d["department"]),
            permissions=d["permissions"],
            payer=d["payer"],
            allow_quit=d["allow_quit"],
        )
        return _("Invitation sent to %(uin)s. It expires on %(date)s.") % {
            "uin": inv.invitee.uin,
            "date": inv.expires_at.strftime("%Y-%m-%d"),
        }

    return form_view(
        request,
        form=form,
        title=_("Invite member"),
        description=_(
            "Invite an existing Tencent Cloud account by its UIN. "
            "The invitation is valid for 15 days."
        ),
        submit_label=_("Send invitation"),
        on_valid=on_valid,
        success_url=reverse("organizations:members"),
        events=(MEMBERS_CHANGED, INVITATIONS_CHANGED),
        template="organizations/member_form.html",
    )


@login_required
def invitations(request):
    require_perm(request, "organizations.view_org")
    ctx = request.console
    tab = request.GET.get("tab") or ("sent" if ctx.is_admin else "received")
    if tab == "sent" and ctx.is_admin:
        qs = selectors.invitations_sent(user=request.user)
        table_class = SentInvitationTable
    else:
        tab = "received"
        qs = selectors.invitations_received(user=request.user)
        table_class = ReceivedInvitationTable
    filterset = InvitationFilterSet(request.GET or None, queryset=qs)
    return table_page(
        request,
        "organizations/invitations.html",
        table=table_class(filterset.qs),
        filterset=filterset,
        tab=tab,
        pending=InvitationStatus.PENDING,
    )


@login_required
def invitation_cancel(request, pk):
    inv = object_or_404(Invitation.objects.select_related("invitee"), request, "cancel", pk=pk)
    require_admin(request)

    def on_confirm():
        services.invitation_cancel(invitation=inv, acting_user=request.user)
        return _("The invitation to %(uin)s was cancelled.") % {"uin": inv.invitee.uin}

    return confirm_view(
        request,
        title=_("Cancel invitation"),
        description=_("Cancel the invitation to %(uin)s (%(name)s)?")
        % {"uin": inv.invitee.uin, "name": inv.name},
        submit_label=_("Cancel invitation"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("organizations:invitations") + "?tab=sent",
        events=(INVITATIONS_CHANGED,),
    )


def _received_or_404(request, pk) -> Invitation:
    return get_object_or_404(
        Invitation.objects.restrict(request.user, "respond").select_related(
            "organization__admin_account", "payer"
        ),
        pk=pk,
    )


@login_required
def invitation_accept(request, pk):
    inv = _received_or_404(request, pk)

    def on_confirm():
        services.invitation_accept(invitation=inv, acting_user=request.user)
        forget_console_context(request.user)
        return _("You joined the organization of %(org)s.") % {"org": inv.organization.display_name}

    payer_text = (
        _("Pay-on-behalf: %(payer)s pays your orders and usage.") % {"payer": inv.payer.name}
        if inv.payer_id
        else _("Self-pay: your account keeps paying for itself.")
    )
    return confirm_view(
        request,
        title=_("Accept invitation"),
        description=_("Join the organization of %(org)s as “%(name)s”. %(payer)s")
        % {"org": inv.organization.display_name, "name": inv.name, "payer": payer_text},
        submit_label=_("Accept and join"),
        on_confirm=on_confirm,
        success_url=reverse("home"),
        navigate=True,
        template="organizations/invitation_confirm.html",
        invitation=inv,
        permission_labels=[FinancialPermission(p) for p in inv.permissions],
    )


@login_required
def invitation_decline(request, pk):
    inv = _received_or_404(request, pk)

    def on_confirm():
        services.invitation_decline(invitation=inv, acting_user=request.user)
        return _("You declined the invitation from %(org)s.") % {
            "org": inv.organization.display_name
        }

    return confirm_view(
        request,
        title=_("Decline invitation"),
        description=_("Decline the invitation from %(org)s?")
        % {"org": inv.organization.display_name},
        submit_label=_("Decline"),
        danger=True,
        on_confirm=on_confirm,
        success_url=reverse("organizations:invitations"),
        events=(INVITATIONS_CHANGED,),
    )
