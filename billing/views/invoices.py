"""B12 pages: the account's invoices, its invoiceable amount, and the request form."""

import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.scoping import require_perm
from tco_console.tables import ConsoleTable, DateTimeColumn
from tco_console.viewkit import bound_data, form_view, table_page

from ..models import Invoice
from ..services import invoices as invoice_services


class InvoiceTable(ConsoleTable):
    created_at = DateTimeColumn(verbose_name=gettext_lazy("Requested"), format="Y-m-d H:i")
    title = tables.Column(verbose_name=gettext_lazy("Invoice title"))
    tax_number = tables.Column(verbose_name=gettext_lazy("Tax number"))
    amount = tables.Column(
        verbose_name=gettext_lazy("Amount (CNY)"), attrs={"td": {"class": "text-end"}}
    )
    status = tables.Column(verbose_name=gettext_lazy("Status"))
    reason = tables.Column(verbose_name=gettext_lazy("Reason"), orderable=False, default="")
    decided_at = DateTimeColumn(
        verbose_name=gettext_lazy("Decided"), format="Y-m-d H:i", default="—"
    )

    class Meta(ConsoleTable.Meta):
        model = Invoice
        fields = ("created_at", "title", "tax_number", "amount", "status", "reason", "decided_at")
        order_by = ("-created_at",)
        empty_text = gettext_lazy("No invoices requested yet.")


class InvoiceRequestForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Invoice title"),
        max_length=100,
        help_text=gettext_lazy("The company name printed on the invoice."),
    )
    tax_number = forms.CharField(
        label=gettext_lazy("Tax number"),
        max_length=20,
        help_text=gettext_lazy("Unified social credit code: 15 to 20 letters and digits."),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (CNY)"), max_digits=18, decimal_places=2, min_value=0
    )


@login_required
def invoices(request):
    require_perm(request, "billing.view_finance")
    account = request.console.account
    return table_page(
        request,
        "billing/invoices.html",
        table=InvoiceTable(Invoice.objects.restrict(request.user, "view")),
        invoiceable=invoice_services.invoiceable(account),
        can_request=request.console.can("billing.manage_finance"),
        tab="invoices",
    )


@login_required
def invoice_request(request):
    require_perm(request, "billing.manage_finance")
    account = request.console.account
    available = invoice_services.invoiceable(account)
    form = InvoiceRequestForm(bound_data(request), initial={"amount": available})

    def on_valid(form):
        inv = invoice_services.invoice_request(
            account=account, acting_user=request.user, **form.cleaned_data
        )
        return _("Invoice of %(amount)s CNY requested; an operator will issue it.") % {
            "amount": inv.amount
        }

    return form_view(
        request,
        form=form,
        title=_("Request an invoice"),
        description=_("Invoiceable now: %(amount)s CNY (cash you paid, less refunds and invoices).")
        % {"amount": available},
        submit_label=_("Request"),
        on_valid=on_valid,
        success_url=reverse("billing:invoices"),
        events=("ordersChanged",),
    )
