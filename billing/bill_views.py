"""Pay-on-behalf bill management (SPEC B11, §5): by member, by product, by month (a trend of
up to 6 months), details, and a CSV export of the filtered details.

The payer sees the pay-on-behalf items of all its members; any other account only its own
items paid by another account. Totals are read from `BillSummary`, never summed from lines.
"""

from __future__ import annotations

import csv
from datetime import date

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.filtersets import SearchMixin
from tco_console.permissions import require_perm
from tco_console.tables import ConsoleTable
from tco_console.views import table_page

from . import bill_selectors
from .models import BillLine, Product
from .models.choices import BillingMode, TransactionType
from .tables import MoneyColumn, account_label
from .views import _organization_id, is_payer

TABS = (
    ("members", _("By member")),
    ("products", _("By product")),
    ("trend", _("By month")),
    ("details", _("Details")),
)
TAB_NAMES = {name for name, _label in TABS}

CSV_HEADER = (
    "bill_month",
    "owner_uin",
    "payer_uin",
    "product_code",
    "resource_instance_id",
    "region",
    "billing_mode",
    "transaction_type",
    "list_cost",
    "discount",
    "voucher_deduction",
    "cash_paid",
    "time",
)


def _parse_month(value) -> date | None:
    try:
        year, month = (int(part) for part in str(value).split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


class MonthFilter(django_filters.CharFilter):
    """`YYYY-MM` (an `<input type="month">`) compared with the bill month."""

    def filter(self, qs, value):
        month = _parse_month(value) if value else None
        if month is None:
            return qs
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": month})


def _month_input():
    return forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"})


class BillLineFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("owner__name", "owner__uin", "owner__membership__name")
    q = django_filters.CharFilter(method="search", label=_("Member"))
    since = MonthFilter(
        field_name="bill_month", lookup_expr="gte", label=_("Month from"), widget=_month_input()
    )
    until = MonthFilter(
        field_name="bill_month", lookup_expr="lte", label=_("to"), widget=_month_input()
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.order_by("position", "code"),
        label=_("Product"),
        empty_label=_("All products"),
    )
    billing_mode = django_filters.ChoiceFilter(
        choices=BillingMode.choices, label=_("Billing mode"), empty_label=_("All billing modes")
    )
    transaction_type = django_filters.ChoiceFilter(
        choices=TransactionType.choices,
        label=_("Transaction type"),
        empty_label=_("All transaction types"),
    )

    class Meta:
        model = BillLine
        fields = ["q", "since", "until", "product", "billing_mode", "transaction_type"]


class BillLineTable(ConsoleTable):
    bill_month = tables.DateColumn(verbose_name=_("Bill month"), format="Y-m")
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__uin",))
    payer = tables.Column(accessor="payer__uin", verbose_name=_("Payer UIN"))
    product = tables.Column(accessor="product__code", verbose_name=_("Product"))
    resource = tables.Column(
        accessor="resource__instance_id", verbose_name=_("Resource"), default="—"
    )
    region = tables.Column(accessor="region__code", verbose_name=_("Region"))
    billing_mode = tables.Column(verbose_name=_("Billing mode"))
    transaction_type = tables.Column(verbose_name=_("Transaction type"))
    list_cost = MoneyColumn(verbose_name=_("List cost"))
    discount = MoneyColumn(verbose_name=_("Discount"))
    voucher_amount = MoneyColumn(verbose_name=_("Voucher deduction"))
    cash_amount = MoneyColumn(verbose_name=_("Cash paid"))
    created_at = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")

    class Meta(ConsoleTable.Meta):
        model = BillLine
        fields = (
            "bill_month",
            "owner",
            "payer",
            "product",
            "resource",
            "region",
            "billing_mode",
            "transaction_type",
            "list_cost",
            "discount",
            "voucher_amount",
            "cash_amount",
            "created_at",
        )
        order_by = ("-created_at",)
        empty_text = _("No pay-on-behalf bill items match these filters.")
        row_attrs = {"data-bill-line": lambda record: record.pk}

    def __init__(self, *args, organization_id=None, **kwargs):
        self.organization_id = organization_id
        super().__init__(*args, **kwargs)

    def render_owner(self, record):
        return account_label(record.owner, self.organization_id)


def _side(request) -> bool:
    return is_payer(request.console)


def _details(request, payer_side: bool) -> BillLineFilterSet:
    return BillLineFilterSet(
        request.GET or None,
        queryset=bill_selectors.lines(user=request.user, payer_side=payer_side),
    )


def _chart(rows: list[dict], field: str = "cash_amount") -> dict:
    """A server-rendered bar chart: one bar per month, scaled to the largest value."""
    width, height, gap, top, bottom = 480, 180, 16, 20, 24
    bar = (width - gap * (len(rows) + 1)) / max(len(rows), 1)
    peak = max((abs(r[field]) for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows):
        value = row[field]
        h = float(abs(value) / peak) * (height - top - bottom)
        x = gap + i * (bar + gap)
        bars.append(
            {
                "x": round(x, 1),
                "y": round(height - bottom - h, 1),
                "w": round(bar, 1),
                "h": round(h, 1),
                "cx": round(x + bar / 2, 1),
                "month": row["bill_month"],
                "value": value,
            }
        )
    return {"width": width, "height": height, "base": height - bottom, "bars": bars}


@login_required
def pob_bills(request):
    require_perm(request, "billing.view_finance")
    payer_side = _side(request)
    tab = request.GET.get("tab")
    if tab not in TAB_NAMES:
        tab = TABS[0][0]
    context = {"tabs": TABS, "tab": tab, "payer_side": payer_side}
    if tab == "details":
        filterset = _details(request, payer_side)
        table = BillLineTable(
            filterset.qs,
            organization_id=_organization_id(request),
            exclude=() if payer_side else ("owner",),
        )
        return table_page(
            request,
            "billing/bills.html",
            table=table,
            filterset=filterset,
            export_query=request.GET.urlencode(),
            **context,
        )
    if tab == "trend":
        rows = bill_selectors.trend(
            user=request.user, payer_side=payer_side, until=timezone.localdate()
        )
        context |= {"rows": rows, "chart": _chart(rows), "totals": bill_selectors.total(rows)}
        return render(request, "billing/bills.html", context)
    months = bill_selectors.months(user=request.user, payer_side=payer_side)
    month = _parse_month(request.GET.get("month"))
    if month not in months:
        month = months[0] if months else None
    if tab == "products":
        rows = bill_selectors.by_product(user=request.user, payer_side=payer_side, month=month)
    else:
        rows = bill_selectors.by_member(
            user=request.user,
            payer_side=payer_side,
            month=month,
            organization_id=_organization_id(request),
        )
    context |= {
        "months": months,
        "month": month,
        "rows": rows,
        "totals": bill_selectors.total(rows),
    }
    return render(request, "billing/bills.html", context)


class _Echo:
    def write(self, value):
        return value


@login_required
def pob_bills_export(request):
    """The filtered detail rows as CSV, streamed (B11 fields)."""
    require_perm(request, "billing.view_finance")
    filterset = _details(request, _side(request))
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_HEADER)
        for row in bill_selectors.export_rows(filterset.qs):
            *fields, created_at = row
            fields[0] = fields[0].strftime("%Y-%m")
            fields[4] = fields[4] or ""
            yield writer.writerow([*fields, timezone.localtime(created_at).isoformat()])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"pay-on-behalf-bills-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
