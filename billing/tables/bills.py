"""B11 bill tables: the details list (10 million lines, paged without COUNT(*)), the month's
totals by member, and Billing Center's self-paid totals by product and by resource."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from tco_console.html import format_html
from tco_console.tables import (
    ConsoleTable,
    DateColumn,
    DateTimeColumn,
    LazyCountPaginator,
    OrganizationScopedTable,
)

from ..models import BillLine
from .columns import MoneyColumn, account_label, member_name


def pob_bills_url(tab: str, **params) -> str:
    """A tab of pay-on-behalf bill management with its filters: the drill-down links."""
    return f"{reverse('billing:pob_bills')}?{urlencode({'tab': tab, **params})}"


class BillLineTable(OrganizationScopedTable):
    bill_month = DateColumn(verbose_name=_("Bill month"), format="Y-m", orderable=False)
    owner = tables.Column(verbose_name=_("Owner"), orderable=False)
    payer = tables.Column(accessor="payer__uin", verbose_name=_("Payer UIN"), orderable=False)
    product = tables.Column(accessor="product__code", verbose_name=_("Product"), orderable=False)
    resource = tables.Column(
        accessor="resource__instance_id",
        verbose_name=_("Resource"),
        default="—",
        orderable=False,
    )
    region = tables.Column(accessor="region__code", verbose_name=_("Region"), orderable=False)
    billing_mode = tables.Column(verbose_name=_("Billing mode"), orderable=False)
    transaction_type = tables.Column(verbose_name=_("Transaction type"), orderable=False)
    list_cost = MoneyColumn(verbose_name=_("List cost"), orderable=False)
    discount = MoneyColumn(verbose_name=_("Discount"), orderable=False)
    voucher_amount = MoneyColumn(verbose_name=_("Voucher deduction"), orderable=False)
    cash_amount = MoneyColumn(verbose_name=_("Cash paid"), orderable=False)
    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")

    class Meta(ConsoleTable.Meta):
        model = BillLine
        fields = BillLine.B11_FIELDS  # B11: the one field list, in its order
        order_by = ("-created_at",)
        empty_text = _("No bill items match these filters.")
        row_attrs = {"data-bill-line": lambda record: record.pk}

    # 10 million lines: no COUNT(*) per page; the newest-first index serves each page.
    paginator_class = LazyCountPaginator

    def render_owner(self, record):
        return account_label(record.owner, self.organization_id)


class TotalsColumns(tables.Table):
    cash_amount = MoneyColumn(verbose_name=_("Cash paid"), orderable=False)
    voucher_amount = MoneyColumn(verbose_name=_("Voucher deduction"), orderable=False)
    discount = MoneyColumn(verbose_name=_("Discount"), orderable=False)
    list_cost = MoneyColumn(verbose_name=_("List cost"), orderable=False)
    line_count = tables.Column(
        verbose_name=_("Line items"),
        orderable=False,
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )


class MemberTotalsTable(TotalsColumns, OrganizationScopedTable):
    """A month's totals by member (`PobMemberMonth`), largest first, paged in the database."""

    member = tables.Column(accessor="owner", verbose_name=_("Member"), orderable=False)
    department = tables.Column(
        accessor="department__name", verbose_name=_("Department"), default="—", orderable=False
    )
    payer = tables.Column(accessor="payer__uin", verbose_name=_("Paid by"), orderable=False)

    class Meta(ConsoleTable.Meta):
        sequence = ("member", "department", "payer", "...")
        empty_text = _("No pay-on-behalf bill items in this month.")
        row_attrs = {"data-testid": "summary-row"}

    def __init__(self, *args, month=None, **kwargs):
        self.month = month
        super().__init__(*args, **kwargs)

    def render_member(self, record):
        month = f"{self.month:%Y-%m}" if self.month else ""
        return format_html(
            '<a href="{}" data-member="{}">{}</a><div class="text-body-secondary small">{}</div>',
            pob_bills_url("details", member=record.owner.uin, since=month, until=month),
            record.owner.uin,
            member_name(record.owner, self.organization_id),
            record.owner.uin,
        )


class ProductTotalsTable(TotalsColumns, ConsoleTable):
    """Rows of `bill_selectors.by_product`: the product's name is read in the reader's
    language by the query (`product_name`)."""

    product = tables.Column(accessor="product_name", verbose_name=_("Product"), orderable=False)

    class Meta(ConsoleTable.Meta):
        sequence = ("product", "...")
        empty_text = _("Nothing billed in this month.")
        row_attrs = {"data-testid": "summary-row"}


class ResourceTotalsTable(TotalsColumns, ConsoleTable):
    resource = tables.Column(verbose_name=_("Resource"), orderable=False, empty_values=())
    product = tables.Column(
        accessor="product__display_name", verbose_name=_("Product"), orderable=False
    )

    class Meta(ConsoleTable.Meta):
        sequence = ("resource", "product", "...")
        empty_text = _("Nothing billed in this month.")
        row_attrs = {"data-testid": "summary-row"}

    def render_resource(self, record):
        if record.resource is None:
            return _("Orders without a resource")
        return format_html(
            '<code class="text-body">{}</code><div class="small text-body-secondary">{}</div>',
            record.resource.instance_id,
            record.resource.spec.display_name,
        )
