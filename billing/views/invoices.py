"""B12 pages: the account's invoices, its invoiceable amount, and the request form."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.scoping import require_perm
from tco_console.viewkit import bound_data, form_view, table_page

from ..forms import InvoiceRequestForm
from ..models import Invoice
from ..services import invoices as invoice_services
from ..tables import InvoiceTable


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
