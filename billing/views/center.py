"""Billing Center (SPEC §5): the account's balance, its own orders, bills (B11), vouchers (B15)
and transaction details (B13) by tab, the transactions CSV export and top-up."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.scoping import require_perm
from tco_console.exports import csv_response
from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, form_view, table_page

from .. import selectors, services
from ..filtersets import OrderFilterSet, TransactionFilterSet, VoucherFilterSet
from ..forms import TopUpForm
from ..models.choices import Book, JournalKind
from ..money import ZERO
from ..tables import OrderTable, TransactionTable, VoucherTable
from ..templatetags.billing_tags import format_cny
from ._common import MONEY_EVENTS, partial_for
from .bills import billing_center_bills


@login_required
def billing_center(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    tab = request.GET.get("tab")
    if tab == "bills":
        return billing_center_bills(
            request,
            {
                "tab": tab,
                "balance": selectors.balance_of(ctx.account),
                "can_top_up": ctx.can("billing.manage_finance"),
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
    return table_page(
        request,
        "billing/billing_center.html",
        table=table,
        filterset=filterset,
        partial=partial,
        tab=tab,
        balance=(
            selectors.balance_of(ctx.account)
            if not is_partial(request) or partial == "balance"
            else None
        ),
        can_top_up=ctx.can("billing.manage_finance"),
    )


TRANSACTION_CSV_HEADER = (
    "time",
    "type",
    "amount",
    "balance_after",
    "order_no",
    "resource_instance_id",
    "owner_uin",
    "memo",
    "cash",
    "voucher_code",
)


@login_required
def transactions_export(request):
    """B13: the filtered transaction details as CSV, streamed (the same filters as the tab)."""
    require_perm(request, "billing.view_finance")
    filterset = TransactionFilterSet(
        request.GET or None, queryset=selectors.transactions(user=request.user)
    )
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
        "voucher__code",
    )

    def rows():
        for row in entries.iterator(chunk_size=2000):
            at, kind, book, amount, after, order_no, instance, owner, memo, voucher = row
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
                memo,
                amount if book == Book.CASH else ZERO,  # B13: a voucher draw moves no cash
                voucher or "",
            )

    name = f"transactions-{request.console.account.uin}-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(TRANSACTION_CSV_HEADER, rows(), name)


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
