"""Pay-on-behalf bill management (SPEC B11, §5): by member, by product, by department subtree
with drill-down, by month (a trend of up to 6 months), details, and a CSV export of exactly
the filtered details; and Billing Center's self-paid bills by month, product and resource.

The payer sees the pay-on-behalf items of all its members; any other account only its own
items paid by another account; self-paid items only in Billing Center. Totals come from the
rollups, never summed from lines, so each page reads a bounded number of rows.
"""

from __future__ import annotations

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from organizations.models import Department
from organizations.scoping import require_perm
from tco_console.exports import csv_language, csv_response
from tco_console.viewkit import table_page

from .. import bill_selectors as bills
from .. import charts
from ..filtersets import BillLineFilterSet, SelfPaidLineFilterSet
from ..finance.member_view import export_reach
from ..selectors import is_payer
from ..tables import (
    BillLineTable,
    MemberTotalsTable,
    ProductTotalsTable,
    ResourceTotalsTable,
    member_name,
)
from ..tables.bills import pob_bills_url

TABS = (
    ("members", _("By member")),
    ("products", _("By product")),
    ("departments", _("By department")),
    ("trend", _("By month")),
    ("details", _("Details")),
)

CSV_HEADER = bills.CSV_HEADER  # the one B11 CSV format (F4 writes it too)


def _table(table, request, per_page=25):
    tables.RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return table


def _side(request) -> bool:
    return is_payer(request.console)


def _details(request, payer_side: bool) -> BillLineFilterSet:
    return BillLineFilterSet(
        request.GET or None,
        queryset=bills.lines(user=request.user, payer_side=payer_side),
        request=request,
    )


def _drill_down(rows: list, month) -> list:
    """Link each sub-department's row to its own drill-down for the month."""
    m = f"{month:%Y-%m}" if month else ""
    for row in rows:
        if row.department and not row.direct:
            row.href = pob_bills_url("departments", month=m, department=row.department.pk)
    return rows


def _department_label(row) -> str:
    return row.department.name if row.department else _("Former members")


def _department(request, value) -> Department:
    """The department to drill into: one of the admin's organization, else its Root."""
    scoped = Department.objects.restrict(request.user, "view")
    if value:
        try:
            return scoped.get(pk=int(value))
        except (ValueError, Department.DoesNotExist):
            raise Http404 from None
    root = scoped.filter(depth=0).first()
    if root is None:
        raise Http404
    return root


# ------------------------------------------------------------------ pages


@login_required
def pob_bills(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    payer_side = _side(request)
    by_department = payer_side and ctx.is_admin
    tabs = [(n, label) for n, label in TABS if n != "departments" or by_department]
    tab = request.GET.get("tab")
    if tab not in {n for n, _label in tabs}:
        tab = tabs[0][0]
    context = {"tabs": tabs, "tab": tab, "payer_side": payer_side}
    org_id = request.console.organization_id
    if tab == "details":
        filterset = _details(request, payer_side)
        table = BillLineTable(
            filterset.qs,
            organization_id=org_id,
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
    rows = bills.by_product_rows(user=request.user, payer_side=payer_side)
    if tab == "trend":
        trend = bills.trend(rows, until=timezone.localdate())
        target = "departments" if by_department else "members"
        context |= {
            "rows": trend,
            "totals": bills.total(trend),
            "chart": charts.trend(trend, href=lambda m: pob_bills_url(target, month=f"{m:%Y-%m}")),
            "month_link": f"?tab={target}&month=",
        }
        return render(request, "billing/bills.html", context)
    months, month = bills.pick_month(rows, request.GET.get("month"))
    context |= {"months": months, "month": month}
    if tab == "products":
        product_rows = bills.by_product(rows, month)
        context |= {
            "rows": product_rows,
            "totals": bills.total(product_rows),
            "chart": charts.split(bills.split(product_rows, label=lambda r: r["product_name"])),
        }
    elif tab == "departments":
        department = _department(request, request.GET.get("department"))
        dept_rows = _drill_down(
            bills.by_department(user=request.user, month=month, department=department), month
        )
        members = MemberTotalsTable(
            bills.department_members(user=request.user, month=month, department=department),
            organization_id=org_id,
            month=month,
            exclude=("department", "payer"),
        )
        context |= {
            "department": department,
            "chain": bills.department_chain(department),
            "rows": dept_rows,
            "subtree": bills.total(dept_rows),
            "table": _table(members, request),
            "chart": charts.split(bills.split(dept_rows, label=_department_label)),
        }
    else:
        table = MemberTotalsTable(
            bills.by_member(user=request.user, payer_side=payer_side, month=month),
            organization_id=org_id,
            month=month,
            exclude=("payer",) if payer_side else ("member", "department"),
        )
        context |= {"table": _table(table, request), "totals": bills.month_total(rows, month)}
    return render(request, "billing/bills.html", context)


def stream_csv(request, lines, filename: str):
    """B11 exports: the bill lines as CSV, streamed from the database (no size limit), the
    header in the language asked for (issue 17)."""
    language = csv_language(request)
    return csv_response(CSV_HEADER, bills.csv_rows(lines), filename, language=language)


@login_required
def pob_bills_export(request):
    """The filtered detail rows as CSV, streamed (B11 fields)."""
    require_perm(request, "billing.view_finance")
    filterset = _details(request, _side(request))
    return stream_csv(
        request,
        filterset.qs.order_by("-created_at", "-pk"),
        f"pay-on-behalf-bills-{timezone.localdate():%Y%m%d}.csv",
    )


# ------------------------------------------------------------------ Billing Center bills


BILL_VIEWS = (
    ("month", _("By month")),
    ("product", _("By product")),
    ("resource", _("By resource")),
)


def billing_center_bills(request, context: dict, reach=None):
    """Billing Center's Bills tab: the account's self-paid bills (B11); with `reach`, a
    self-pay member's (F3) on its F2 days: its months from the monthly rollup less its days
    outside (`member_trend`), its products from the daily rollup of its days, its resources
    from its own lines of those days."""
    member = reach is not None and not reach.own
    if member:
        rows = bills.member_daily_rows(reach)
        account_q = {"account": reach.account.uin}
    else:
        rows = bills.self_paid_rows(user=request.user)
        account_q = {}
    view = request.GET.get("view")
    if view not in dict(BILL_VIEWS):
        view = "month"
    context |= {
        "bill_views": BILL_VIEWS,
        "bill_view": view,
        "account_query": urlencode(account_q) + "&" if account_q else "",
    }
    if view == "month":
        if member:
            trend = bills.member_trend(reach, until=timezone.localdate(), n=12)
        else:
            trend = bills.trend(rows, until=timezone.localdate(), n=12)

        def month_url(m):
            query = {**account_q, "tab": "bills", "view": "product", "month": f"{m:%Y-%m}"}
            return f"{reverse('billing:billing_center')}?{urlencode(query)}"

        context |= {
            "rows": trend,
            "totals": bills.total(trend),
            "month_link": f"?{urlencode({**account_q, 'tab': 'bills', 'view': 'product'})}&month=",
            "chart": charts.trend(trend, href=month_url),
        }
        return render(request, "billing/billing_center.html", context)
    months, month = bills.pick_month(rows, request.GET.get("month"))
    context |= {"months": months, "month": month}
    if view == "product":
        product_rows = bills.by_product(rows, month)
        context["totals"] = bills.total(product_rows)
        table = ProductTotalsTable(product_rows)
        context["chart"] = charts.split(
            bills.split(product_rows, label=lambda r: r["product_name"])
        )
    elif member:
        context["totals"] = bills.month_total(rows, month)
        table = MemberResourceTotalsTable(bills.member_by_resource(reach, month))
    else:
        context["totals"] = bills.month_total(rows, month)
        table = ResourceTotalsTable(bills.by_resource(user=request.user, month=month))
    context["table"] = _table(table, request)
    context["export_query"] = urlencode({**account_q, "month": f"{month:%Y-%m}" if month else ""})
    return render(request, "billing/billing_center.html", context)


class MemberResourceTotalsTable(ResourceTotalsTable):
    """F3: a member's totals by resource, summed from its lines (rows are dicts)."""

    product = tables.Column(accessor="product_name", verbose_name=_("Product"), orderable=False)

    class Meta(ResourceTotalsTable.Meta):
        pass

    def render_resource(self, record):
        if record["resource_id"] is None:
            return _("Orders without a resource")
        return format_html(
            '<code class="text-body">{}</code><div class="small text-body-secondary">{}</div>',
            record["resource__instance_id"],
            record["spec_name"],
        )


@login_required
def self_paid_export(request):
    """Billing Center: the account's self-paid line items of a month as CSV, streamed; with
    `?account=`, a self-pay member's granting 1, on its F2 days only (F3; else a 404)."""
    require_perm(request, "billing.view_finance")
    reach = export_reach(request.console, request.GET.get("account"))
    lines = bills.self_paid_lines(user=request.user) if reach.own else bills.member_lines(reach)
    filterset = SelfPaidLineFilterSet(request.GET or None, queryset=lines)
    return stream_csv(
        request,
        filterset.qs.order_by("-created_at", "-pk"),
        f"bills-{reach.account.uin}-{timezone.localdate():%Y%m%d}.csv",
    )


# ------------------------------------------------------------------ Overview


def overview_spend(request, root: Department | None = None) -> dict | None:
    """Overview's spend charts for a payer (SPEC §5): the 6-month trend and this month's split
    by member, product and department, from the rollups (a handful of small queries). `root`:
    the organization's Root department when the caller has read it already."""
    if not (request.console.can("billing.view_finance") and _side(request)):
        return None
    user = request.user
    rows = bills.by_product_rows(user=user, payer_side=True)
    trend = bills.trend(rows, until=timezone.localdate())
    month = trend[-1]["bill_month"]
    m = f"{month:%Y-%m}"
    products = bills.by_product(rows, month)
    total = bills.total(products)
    top = list(bills.by_member(user=user, payer_side=True, month=month)[:4])
    members = [
        {
            "label": member_name(r.owner, request.console.organization_id),
            "value": r.cash_amount,
            "href": pob_bills_url("details", member=r.owner.uin, since=m, until=m),
        }
        for r in top
    ]
    rest = total["cash_amount"] - sum((r["value"] for r in members), bills.ZERO)
    if rest and total["line_count"] > sum(r.line_count for r in top):
        members.append({"label": None, "value": rest})
    departments = []
    if root is None:
        root = Department.objects.restrict(user, "view").filter(depth=0).first()
    if root is not None and request.console.is_admin:
        departments = _drill_down(
            bills.by_department(user=user, month=month, department=root), month
        )
    return {
        "month": month,
        "total": total,
        "trend": charts.trend(trend, href=lambda d: pob_bills_url("members", month=f"{d:%Y-%m}")),
        "members": charts.split(members),
        "products": charts.split(bills.split(products, label=lambda r: r["product_name"])),
        "departments": charts.split(bills.split(departments, label=_department_label)),
    }
