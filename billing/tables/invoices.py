"""B12: the account's invoices."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy, pgettext_lazy

from tco_console.tables import ConsoleTable, DateTimeColumn

from ..models import Invoice


class InvoiceTable(ConsoleTable):
    created_at = DateTimeColumn(verbose_name=pgettext_lazy("time", "Requested"), format="Y-m-d H:i")
    title = tables.Column(verbose_name=gettext_lazy("Invoice title"))
    tax_number = tables.Column(verbose_name=gettext_lazy("Tax number"))
    amount = tables.Column(
        verbose_name=gettext_lazy("Amount (CNY)"), attrs={"td": {"class": "text-end"}}
    )
    status = tables.Column(verbose_name=gettext_lazy("Status"))
    reason = tables.Column(verbose_name=gettext_lazy("Reason"), orderable=False, default="")
    # F16: the organization's admin account requested it for this member
    requested_by_admin = tables.Column(
        verbose_name=gettext_lazy("Requested by the admin"),
        accessor="requested_by_admin__name",
        orderable=False,
        default="",
    )
    decided_at = DateTimeColumn(
        verbose_name=gettext_lazy("Decided"), format="Y-m-d H:i", default="—"
    )

    class Meta(ConsoleTable.Meta):
        model = Invoice
        fields = (
            "created_at",
            "title",
            "tax_number",
            "amount",
            "status",
            "reason",
            "requested_by_admin",
            "decided_at",
        )
        order_by = ("-created_at",)
        empty_text = gettext_lazy("No invoices requested yet.")
