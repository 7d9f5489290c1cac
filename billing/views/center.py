"""Billing Center (SPEC §5): the account's balance, its own orders, bills (B11), vouchers (B15)
and transaction details (B13) by tab, the transactions CSV export and top-up; and, for the
admin account's users, the same read-only for a member chosen with `?account=<UIN>` (F3)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from organizations.scoping import require_perm
from tco_console.exports import csv_language, csv_response
from tco_console.htmx import is_partial
from tco_console.msg import shown
from tco_console.viewkit import bound_data, form_view, table_page

from .. import selectors, services
from ..filtersets import OrderFilterSet, TransactionFilterSet, VoucherFilterSet
from ..finance import credit_reads as credit
from ..finance.member_view import (
    account_choices,
    export_reach,
    member_transactions,
    member_view,
)
from ..forms import TopUpForm
from ..models.choices import Book, JournalKind
from ..money import ZERO
from ..tables import OrderTable, TransactionTable, VoucherTable
from ..tables.bills import pob_bills_url
from ..templatetags.billing_tags import format_cny
from ._common import MONEY_EVENTS, partial_for
from .bills import billing_center_bills


@login_required
def billing_center(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    viewed = member_view(ctx, request.GET.get("account"))  # F3; a 404 outside reach (F1)
    if viewed is not None:
        return _member_center(request, viewed)
    tab = request.GET.get("tab")
    if tab == "bills":
        return billing_center_bills(
            request,
            {
                "tab": tab,
                "balance": selectors.balance_of(ctx.account),
                "credit": _credit_source(ctx),
                "can_top_up": ctx.can("billing.manage_finance"),
                "accounts": account_choices(ctx),
            },
        )
    if tab == "vouchers":
        filterset = VoucherFilterSet(
            request.GET or None, queryset=selectors.vouchers(user=request.user)
        )
        table = VoucherTable(filterset.qs)
    elif tab == "transactions":
        filterset = TransactionFilterSet(
            request.GET or None,
            queryset=selectors.transactions(user=request.user).select_related("owner__membership"),
        )
        table = TransactionTable(
            filterset.qs, account=ctx.account, organization_id=request.console.organization_id
        )
    else:
        tab = "orders"
        filterset = OrderFilterSet(
            request.GET or None, queryset=selectors.own_orders(user=request.user)
        )
        table = OrderTable(filterset.qs)
    partial = partial_for(request)
    full = not is_partial(request)
    return table_page(
        request,
        "billing/billing_center.html",
        table=table,
        filterset=filterset,
        partial=partial,
        tab=tab,
        balance=(selectors.balance_of(ctx.account) if full or partial == "balance" else None),
        credit=_credit_source(ctx) if full or partial == "balance" else None,
        can_top_up=ctx.can("billing.manage_finance"),
        accounts=account_choices(ctx) if full else None,
    )


def _credit_source(ctx) -> dict:
    """F14: where the account's credit limit comes from: a member's part allocated by its
    admin (one query), or what the admin allocated to its members (one query)."""
    if ctx.is_admin:
        return {"admin": True, "allocated": credit.allocated_by(ctx.account)}
    return {"admin": False, "allocation": credit.allocation_of(ctx.account)}


MEMBER_TABS = ("bills", "transactions")


def _member_center(request, viewed):
    """F3: a member's Billing Center, read-only: its balance card with 2; with 1 its bills
    and transaction details on its F2 days; a pay-on-behalf member points to the admin's own
    bills by owner. No top-up, pay, order, voucher or invoice action."""
    ctx = request.console
    partial = partial_for(request)
    full = not is_partial(request)
    tab = request.GET.get("tab") if viewed.bills else None
    if viewed.bills and tab not in MEMBER_TABS:
        tab = MEMBER_TABS[0]
    context = {
        "viewed": viewed,
        "tab": tab,
        "balance": (
            selectors.balance_of(viewed.account)
            if viewed.balance and (full or partial == "balance")
            else None
        ),
        "can_top_up": False,
        "accounts": account_choices(ctx) if full else None,
    }
    if viewed.pay_on_behalf:
        context["pob_url"] = pob_bills_url("details", member=viewed.account.uin)
    if not full and partial == "balance":
        if not viewed.balance:
            raise Http404
        return render(request, "billing/billing_center.html#balance", context)
    if tab == "bills":
        return billing_center_bills(request, context, reach=viewed.reach)
    if tab == "transactions":
        filterset = TransactionFilterSet(
            request.GET or None, queryset=member_transactions(viewed.reach)
        )
        table = TransactionTable(
            filterset.qs, account=viewed.account, organization_id=ctx.organization_id
        )
        return table_page(
            request,
            "billing/billing_center.html",
            table=table,
            filterset=filterset,
            partial=partial,
            **context,
        )
    return render(request, "billing/billing_center.html", context)


TRANSACTION_CSV_HEADER = (  # issue 17: English keys, Chinese column names
    pgettext_lazy("CSV column", "time"),
    pgettext_lazy("CSV column", "type"),
    pgettext_lazy("CSV column", "amount"),
    pgettext_lazy("CSV column", "balance_after"),
    pgettext_lazy("CSV column", "order_no"),
    pgettext_lazy("CSV column", "resource_instance_id"),
    pgettext_lazy("CSV column", "owner_uin"),
    pgettext_lazy("CSV column", "memo"),
    pgettext_lazy("CSV column", "cash"),
    pgettext_lazy("CSV column", "voucher_code"),
)


@login_required
def transactions_export(request):
    """B13: the filtered transaction details as CSV, streamed (the same filters as the tab)."""
    require_perm(request, "billing.view_finance")
    reach = export_reach(request.console, request.GET.get("account"))  # F3: a 404 outside F1
    queryset = (
        selectors.transactions(user=request.user)
        if reach.own
        else member_transactions(reach)  # F2: the member's whole days only
    )
    filterset = TransactionFilterSet(request.GET or None, queryset=queryset)
    entries = filterset.qs.order_by("-created_at", "-pk").values_list(
        "created_at",
        "journal__kind",
        "book",
        "amount",
        "balance_after",
        "order__order_no",
        "resource__instance_id",
        "owner__uin",
        "journal__memo",
        "journal__memo_i18n",
        "voucher__code",
    )

    def rows():
        for row in entries.iterator(chunk_size=2000):
            at, kind, book, amount, after, order_no, instance, owner, memo, memo_i18n, voucher = row
            if book == Book.FROZEN:
                kind = JournalKind.FREEZE if amount > 0 else JournalKind.UNFREEZE
            yield (
                timezone.localtime(at).isoformat(),
                kind,
                amount,
                "" if after is None else after,
                order_no or "",
                instance or "",
                owner or "",
                shown(memo, memo_i18n),  # in the export's language (issue 17)
                amount if book == Book.CASH else ZERO,  # B13: a voucher draw moves no cash
                voucher or "",
            )

    name = f"transactions-{reach.account.uin}-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(TRANSACTION_CSV_HEADER, rows(), name, language=csv_language(request))


@login_required
def top_up(request):
    require_perm(request, "billing.manage_finance")
    account = request.console.account
    form = TopUpForm(bound_data(request))

    def on_valid(form):
        d = form.cleaned_data
        services.wallet_top_up(
            account=account,
            amount=d["amount"],
            acting_user=request.user,
            idempotency_key=d["idempotency_key"],  # the service keeps each account's keys apart
        )
        return _("Topped up %(amount)s. Available balance: %(available)s.") % {
            "amount": format_cny(d["amount"]),
            "available": format_cny(selectors.balance_of(account).available),
        }

    return form_view(
        request,
        form=form,
        title=_("Top up"),
        description=_(
            "A simulated online payment: the amount is credited to %(name)s (%(uin)s) at once."
        )
        % {"name": account.name, "uin": account.uin},
        submit_label=_("Pay and top up"),
        on_valid=on_valid,
        success_url=reverse("billing:billing_center"),
        events=MONEY_EVENTS,
    )
