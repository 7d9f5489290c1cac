"""B12 pages: the account's invoices, its invoiceable amount, and the request form.

F16: the same page with `?account=<member UIN>` is the admin account's view of a self-pay
member that grants Invoicing (5) now: the member's invoiceable amount, titles and invoices,
a request for it, and the self-invoicing switch. Anything else is a 404 (F1), read on every
request, so revoking 5 hides it on the next one. Every account keeps its own saved titles.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _

from organizations.scoping import require_perm
from tco_console.viewkit import bound_data, confirm_view, form_view, require_admin, table_page

from ..finance import invoicing as svc
from ..finance.reach import member_reach, members_granting_listed
from ..forms import InvoiceRequestForm, InvoiceTitleForm, SelfInvoicingForm
from ..models import Invoice, InvoiceTitle
from ..services import invoices as invoice_services
from ..tables import InvoiceTable
from ..templatetags.billing_tags import format_cny

EVENTS = ("ordersChanged", "invoicesChanged")
LISTED = 200  # members offered in the "Invoices for members" selector


def _reach(ctx, uin: str):
    """F1/F16: the self-pay member with this UIN that grants 5 now, or 404."""
    uin = (uin or "").strip()
    if not uin.isdigit() or len(uin) > 12:
        raise Http404
    return member_reach(ctx, uin, svc.PERM)


def _members(ctx):
    return members_granting_listed(ctx, svc.PERM, LISTED)[0] if ctx.is_admin else []


@login_required
def invoices(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    account = ctx.account
    uin = (request.GET.get("account") or "").strip()
    if uin and (account is None or uin != account.uin):
        return _member_invoices(request, _reach(ctx, uin))
    titles = InvoiceTitle.objects.filter(account=account)
    blocked_by = invoice_services.self_invoicing_block(account)
    return table_page(
        request,
        "billing/invoices.html",
        table=InvoiceTable(
            Invoice.objects.restrict(request.user, "view").select_related("requested_by_admin")
        ),
        invoiceable=invoice_services.invoiceable(account),
        can_request=ctx.can("billing.manage_finance") and blocked_by is None,
        can_manage=ctx.can("billing.manage_finance"),
        blocked_by=blocked_by,
        titles=list(titles),
        members=_members(ctx),
        tab="invoices",
    )


def _member_invoices(request, reach):
    member = reach.membership
    account = reach.account
    return table_page(
        request,
        "billing/invoices.html",
        table=InvoiceTable(
            Invoice.objects.filter(account=account).select_related("requested_by_admin")
        ),
        invoiceable=invoice_services.invoiceable(account),
        member=member,
        can_manage=request.console.can("billing.manage_finance"),
        titles=list(InvoiceTitle.objects.filter(account=account)),
        self_blocked=svc.self_invoicing_blocked(account),
        members=_members(request.console),
        tab="invoices",
    )


@login_required
def invoice_request(request):
    require_perm(request, "billing.manage_finance")
    account = request.console.account
    available = invoice_services.invoiceable(account)
    form = InvoiceRequestForm(
        bound_data(request),
        initial={"amount": available},
        titles=InvoiceTitle.objects.filter(account=account),
    )

    def on_valid(form):
        inv = invoice_services.invoice_request(
            account=account, acting_user=request.user, **form.request_fields()
        )
        return _("Invoice of %(amount)s CNY requested; an operator will issue it.") % {
            "amount": inv.amount
        }

    description = _(
        "Invoiceable now: %(amount)s CNY (cash you paid, less refunds and invoices)."
    ) % {"amount": available}
    blocked_by = invoice_services.self_invoicing_block(account)
    if blocked_by is not None:
        description += " " + _(
            "The admin account %(name)s of your organization requests this account's "
            "invoices: it has stopped the account requesting them itself."
        ) % {"name": blocked_by.admin_account.name}
    return form_view(
        request,
        form=form,
        title=_("Request an invoice"),
        description=description,
        submit_label=_("Request"),
        on_valid=on_valid,
        success_url=svc.page_url(),
        events=EVENTS,
    )


# ------------------------------------------------------------------ F16: titles


def _title_owner(request, uin: str):
    """The account whose titles change and, for the admin acting for a member, its membership:
    404 before 403 (A2)."""
    ctx = request.console
    if ctx.account is None:
        raise Http404
    if uin and uin != ctx.account.uin:
        reach = _reach(ctx, uin)
        require_admin(request, "billing.manage_finance")
        return reach.account, reach.membership
    require_perm(request, "billing.manage_finance")
    return ctx.account, None


def _title_of(request, pk):
    row = InvoiceTitle.objects.select_related("account").filter(pk=pk).first()
    if row is None:
        raise Http404
    account, membership = _title_owner(request, row.account.uin)
    if row.account_id != account.pk:  # pragma: no cover - _title_owner reaches its account
        raise Http404
    return row, membership


def _whose(membership) -> str:
    return membership.name if membership is not None else _("this account")


@login_required
def invoice_title_add(request):
    uin = (request.GET.get("account") or "").strip()
    account, membership = _title_owner(request, uin)
    form = InvoiceTitleForm(bound_data(request))

    def on_valid(form):
        row = svc.invoice_title_create(
            account=account, membership=membership, acting_user=request.user, **form.cleaned_data
        )
        return _("Saved the invoice title %(title)s.") % {"title": row.title}

    return form_view(
        request,
        form=form,
        title=_("Add an invoice title for %(whose)s") % {"whose": _whose(membership)},
        description=_(
            "A saved title is offered when an invoice is requested. The invoice copies it, so "
            "later edits do not change invoices already requested."
        ),
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=svc.page_url(membership.account.uin if membership else ""),
        events=EVENTS,
    )


@login_required
def invoice_title_edit(request, pk):
    row, membership = _title_of(request, pk)
    initial = {
        "title": row.title,
        "tax_number": row.tax_number,
        "recipient": row.recipient,
        "address": row.address,
        "is_default": row.is_default,
    }
    form = InvoiceTitleForm(bound_data(request), initial=initial)

    def on_valid(form):
        done = svc.invoice_title_edit(
            invoice_title=row, membership=membership, acting_user=request.user, **form.cleaned_data
        )
        return _("Saved the invoice title %(title)s.") % {"title": done.title}

    return form_view(
        request,
        form=form,
        title=_("Edit the invoice title of %(whose)s") % {"whose": _whose(membership)},
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=svc.page_url(membership.account.uin if membership else ""),
        events=EVENTS,
    )


@login_required
def invoice_title_delete(request, pk):
    row, membership = _title_of(request, pk)

    def on_confirm():
        svc.invoice_title_delete(invoice_title=row, membership=membership, acting_user=request.user)
        return _("Deleted the invoice title %(title)s.") % {"title": row.title}

    return confirm_view(
        request,
        on_confirm=on_confirm,
        title=_("Delete the invoice title %(title)s?") % {"title": row.title},
        description=_("Invoices already requested with it keep their title."),
        submit_label=_("Delete"),
        danger=True,
        success_url=svc.page_url(membership.account.uin if membership else ""),
        events=EVENTS,
    )


# ------------------------------------------------------------------ F16: for a member


@login_required
def member_invoice_request(request, uin):
    reach = _reach(request.console, uin)  # A2: 404 before 403
    require_admin(request, "billing.manage_finance")
    member = reach.membership
    available = invoice_services.invoiceable(reach.account)
    form = InvoiceRequestForm(
        bound_data(request),
        initial={"amount": available},
        titles=InvoiceTitle.objects.filter(account=reach.account),
    )

    def on_valid(form):
        inv = svc.member_invoice_request(
            membership=member, acting_user=request.user, **form.request_fields()
        )
        return _("Invoice of %(amount)s requested for %(name)s; an operator will issue it.") % {
            "amount": format_cny(inv.amount),
            "name": member.name,
        }

    return form_view(
        request,
        form=form,
        title=_("Request an invoice for %(name)s") % {"name": member.name},
        description=_(
            "Invoiceable now for %(name)s (%(uin)s): %(amount)s (cash it paid, less refunds "
            "and invoices). The invoice is the member's: it is issued to its title and shows "
            "in its invoice history."
        )
        % {"name": member.name, "uin": member.account.uin, "amount": format_cny(available)},
        submit_label=_("Request"),
        on_valid=on_valid,
        success_url=svc.page_url(member.account.uin),
        events=EVENTS,
    )


@login_required
def member_self_invoicing(request, uin):
    reach = _reach(request.console, uin)
    require_admin(request, "billing.manage_finance")
    member = reach.membership
    current = svc.self_invoicing_blocked(reach.account)
    form = SelfInvoicingForm(bound_data(request), initial={"blocked": "1" if current else "0"})

    def on_valid(form):
        blocked = form.cleaned_data["blocked"]
        svc.member_self_invoicing_set(membership=member, acting_user=request.user, blocked=blocked)
        if blocked:
            return _("%(name)s can no longer request invoices for itself.") % {"name": member.name}
        return _("%(name)s can request invoices for itself again.") % {"name": member.name}

    return form_view(
        request,
        form=form,
        title=_("Invoicing by %(name)s itself") % {"name": member.name},
        description=_(
            "Stopped: while %(name)s grants Invoicing (5), only this account requests its "
            "invoices. Revoking 5 lifts it at once."
        )
        % {"name": member.name},
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=svc.page_url(member.account.uin),
        events=EVENTS,
    )
