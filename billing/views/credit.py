"""F14, F15 pages: the admin's credit limits page (its unallocated credit, each self-pay member
granting 10 with its allocation and bounds, the history) and the form that sets one member's
allocation. The admin account's users with view_finance read it, those with manage_finance
change it (403 otherwise, and for members, as budgets); a member out of reach is a 404 (F1)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, form_view, require_admin

from ..finance import credit as services
from ..finance import credit_reads as sel
from ..finance.forms_credit import CreditForm
from ..finance.reach import member_reach, members_granting_page
from ..models import Wallet

EVENTS = ("creditChanged", "balanceChanged")
LISTED = 50  # members a page (`?page=`); one member by its UIN (`?account=`)


@login_required
def credit(request):
    require_admin(request, "billing.view_finance")
    ctx = request.console
    uin = (request.GET.get("account") or "").strip()
    reach = member_reach(ctx, uin, sel.PERM) if uin else None  # F1: 404 out of reach
    page = 1
    if reach:
        memberships, count = [reach.membership], 1
    else:  # a page of them, and how many there are (an organization of 10,000, issue 16)
        page = parse_page(request.GET.get("page"))
        memberships, count = members_granting_page(
            ctx, sel.PERM, LISTED, offset=(page - 1) * LISTED
        )
        if not memberships and page > 1:  # past the end (members left): the last page
            page = max(1, -(-count // LISTED))
            memberships, count = members_granting_page(
                ctx, sel.PERM, LISTED, offset=(page - 1) * LISTED
            )
    rows = sel.member_credits(ctx, memberships)
    wallet = Wallet.objects.filter(account=ctx.account).first()
    return render(
        request,
        "billing/credit.html#region" if is_partial(request) else "billing/credit.html",
        {
            "viewed": reach,
            "rows": rows,
            "pages": Paginator(range(count), LISTED).page(page),  # where this page stands
            "wallet": wallet,
            "allocated": sel.allocated_by(ctx.account),
            "changes": sel.changes_of(ctx.account, reach.account if reach else None),
            "can_manage": ctx.can("billing.manage_finance"),
        },
    )


def parse_page(value) -> int:
    """`?page=`: a page number from 1 (anything else reads as the first page)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= 100_000 else 1


@login_required
def credit_allocate(request):
    require_admin(request, "billing.manage_finance")
    ctx = request.console
    reach = member_reach(ctx, (request.GET.get("account") or "").strip(), sel.PERM)
    row = sel.member_credits(ctx, [reach.membership])[0]
    allocation = row.allocation
    initial = {"amount": allocation.amount if allocation else "0.00"}
    if allocation and allocation.temporary_amount:
        initial["temporary_amount"] = allocation.temporary_amount
        # F15: the form shows the last whole day; the credit lapses at the next midnight
        last = timezone.localtime(allocation.temporary_until) - dt.timedelta(microseconds=1)
        initial["temporary_until"] = last.date().isoformat()
    form = CreditForm(bound_data(request), initial=initial)  # the bounds: row.bounds

    def on_valid(form):
        services.credit_allocate(
            admin_account=ctx.account,
            member_account=reach.account,
            acting_user=request.user,
            **form.service_kwargs(),
        )
        return _("Credit of %(name)s saved.") % {"name": reach.membership.name}

    return form_view(
        request,
        form=form,
        title=_("Set the credit of %(name)s") % {"name": reach.membership.name},
        submit_label=_("Save"),
        on_valid=on_valid,
        success_url=sel.credit_path(reach.account),
        events=EVENTS,
        template="billing/credit_form.html",
        row=row,
        credit_url=reverse("billing:credit"),
    )
