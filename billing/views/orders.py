"""Pay-on-behalf order management (SPEC §5): the payer's view of its members' orders by status
and of the resources it pays for (B9), a member's view of its own orders paid by the payer,
and the order actions: pay, cancel, apply for pay-on-behalf (B4), one by one or in bulk."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.scoping import require_perm
from tco_console.converters import OrderNoConverter, well_formed
from tco_console.errors import DomainError
from tco_console.htmx import is_partial, modal_success
from tco_console.viewkit import bound_data, confirm_view, form_view, table_page

from .. import selectors, services
from ..filtersets import PaidResourceFilterSet, PayOnBehalfOrderFilterSet
from ..forms import BulkOrdersForm
from ..models import Order
from ..models.choices import OrderStatus, PayMode
from ..selectors import is_payer, payment_method
from ..tables import PaidResourceTable, PayOnBehalfOrderTable, member_name
from ..templatetags.billing_tags import format_cny
from ._common import MONEY_EVENTS, ORDERS_CHANGED, paid_parts

# Pay-on-behalf order management: the status tabs, in TCO's order.
POB_TABS = (
    OrderStatus.TO_BE_PAID,
    OrderStatus.PAID,
    OrderStatus.CANCELLED,
    OrderStatus.REFUNDED,
)
MAX_SELECTED = 100


@login_required
def pay_on_behalf_orders(request):
    require_perm(request, "billing.view_finance")
    ctx = request.console
    payer_side = is_payer(ctx)
    if payer_side and request.GET.get("tab") == "resources":
        return _paid_resources(request)
    if payer_side:
        qs = selectors.pay_on_behalf_orders_as_payer(user=request.user)
    else:
        qs = selectors.pay_on_behalf_orders_as_member(user=request.user)
    filterset = PayOnBehalfOrderFilterSet(
        request.GET or None, queryset=qs.select_related("owner__membership")
    )
    status = request.GET.get("status")
    if status not in POB_TABS:
        status = OrderStatus.TO_BE_PAID
    counts = filterset.qs.aggregate(
        **{value: Count("pk", filter=Q(status=value)) for value in POB_TABS}
    )
    can_pay = payer_side and ctx.can("billing.manage_finance")
    bulk = can_pay and status == OrderStatus.TO_BE_PAID
    exclude = [] if bulk else ["select"]
    if not payer_side:
        exclude.append("member")
    table = PayOnBehalfOrderTable(
        filterset.qs.filter(status=status),
        organization_id=request.console.organization_id,
        exclude=exclude,
    )
    return table_page(
        request,
        "billing/pay_on_behalf_orders.html",
        table=table,
        filterset=filterset,
        payer_side=payer_side,
        status=status,
        tabs=[(value, OrderStatus(value).label, counts[value]) for value in POB_TABS],
        bulk=bulk,
        tab="orders",
    )


def _paid_resources(request):
    """B9: the status of every resource the payer pays for, its members' and its own, so the
    payer sees what its arrears suspended and what a top-up recovered."""
    resources = selectors.resources_paid_by(user=request.user)
    user = request.user
    if user.product_limited:  # A1: of its own account's resources, the granted ones only
        own = resources.filter(owner_id=user.account_id)
        resources = resources.exclude(owner_id=user.account_id) | user.granted(own)
    filterset = PaidResourceFilterSet(request.GET or None, queryset=resources)
    return table_page(
        request,
        "billing/pay_on_behalf_orders.html",
        table=PaidResourceTable(filterset.qs, organization_id=request.console.organization_id),
        filterset=filterset,
        partial="resources",
        payer_side=True,
        tab="resources",
    )


def _order_url(order: Order) -> str:
    """Where a finished order action goes back to (without JavaScript)."""
    if order.pay_mode == PayMode.ON_BEHALF:
        return reverse("billing:pay_on_behalf_orders")
    return reverse("billing:billing_center")


class OrderClosed(Exception):
    def __init__(self, order: Order):
        self.order = order

    def response(self, request):
        messages.error(request, _closed_reason(self.order))
        if is_partial(request):
            return modal_success(*MONEY_EVENTS)  # no swap: close the modal, refresh the lists
        return redirect(_order_url(self.order))


def _actionable_order(request, order_no: str, action: str) -> Order:
    """The order through `restrict(action)`. One the account can still see but that is no
    longer to be paid (paid or cancelled meanwhile, in another tab or by another user) raises
    OrderClosed, so the user is told what happened (B4); anything else is a 404 (A2)."""
    order = (
        Order.objects.restrict(request.user, action)
        .select_related("owner__membership", "payer", "product", "spec")
        .filter(order_no=order_no)
        .first()
    )
    if order is not None:
        return order
    seen = (
        Order.objects.restrict(request.user, "view")
        .exclude(status=OrderStatus.TO_BE_PAID)
        .filter(order_no=order_no)
        .first()
    )
    if seen is None:
        raise Http404
    raise OrderClosed(seen)


def _closed_reason(order: Order) -> str:
    if order.status == OrderStatus.PAID:
        return _("Order %(no)s is already paid.") % {"no": order.order_no}
    return _("Order %(no)s is %(status)s; only orders to be paid can be paid or cancelled.") % {
        "no": order.order_no,
        "status": order.get_status_display().lower(),
    }


def _order_summary(request, order: Order) -> str:
    return _(
        "Order %(no)s: %(kind)s of %(product)s (%(spec)s) for %(owner)s (%(uin)s), %(amount)s."
    ) % {
        "no": order.order_no,
        "kind": order.get_kind_display().lower(),
        "product": order.product.display_name,
        "spec": order.spec.display_name,
        "owner": member_name(order.owner, request.console.organization_id),
        "uin": order.owner.uin,
        "amount": format_cny(order.payable),
    }


@login_required
def order_pay(request, order_no):
    require_perm(request, "billing.manage_finance")
    try:
        order = _actionable_order(request, order_no, "pay")
    except OrderClosed as closed:
        return closed.response(request)

    def on_confirm():
        paid = services.order_pay(order=order, acting_user=request.user)
        return _("Order %(no)s is paid: %(amount)s.") % {
            "no": paid.order_no,
            "amount": format_cny(paid.payable),
        } + paid_parts(paid)

    return confirm_view(
        request,
        title=_("Pay order %(no)s") % {"no": order.order_no},
        description=_order_summary(request, order)
        + " "
        + _("It is paid from your vouchers, cash and credit, in that order."),
        submit_label=_("Pay now"),
        on_confirm=on_confirm,
        success_url=_order_url(order),
        events=MONEY_EVENTS,
        template="billing/order_confirm.html",
        payment=payment_method(order.payer),
    )


@login_required
def order_cancel(request, order_no):
    require_perm(request, "billing.manage_finance")
    try:
        order = _actionable_order(request, order_no, "cancel")
    except OrderClosed as closed:
        return closed.response(request)

    def on_confirm():
        services.order_cancel(order=order, acting_user=request.user)
        return _("Order %(no)s was cancelled.") % {"no": order.order_no}

    return confirm_view(
        request,
        title=_("Cancel order %(no)s") % {"no": order.order_no},
        description=_order_summary(request, order) + " " + _("Cancelling it cannot be undone."),
        submit_label=_("Cancel order"),
        danger=True,
        on_confirm=on_confirm,
        success_url=_order_url(order),
        events=MONEY_EVENTS,
        template="billing/order_confirm.html",
    )


@login_required
def order_apply(request, order_no):
    require_perm(request, "billing.place_order")
    try:
        order = _actionable_order(request, order_no, "apply")
    except OrderClosed as closed:
        return closed.response(request)

    def on_confirm():
        services.order_apply(order=order, acting_user=request.user)
        return _("You applied for pay-on-behalf of order %(no)s. %(payer)s was notified.") % {
            "no": order.order_no,
            "payer": order.payer.name,
        }

    return confirm_view(
        request,
        title=_("Apply for pay-on-behalf"),
        description=_order_summary(request, order)
        + " "
        + _("Ask your payer %(payer)s (%(uin)s) to pay it.")
        % {"payer": order.payer.name, "uin": order.payer.uin},
        submit_label=_("Apply"),
        on_confirm=on_confirm,
        success_url=_order_url(order),
        events=(ORDERS_CHANGED,),
        template="billing/order_confirm.html",
    )


def _selected(request) -> list[str]:
    source = request.POST if request.method == "POST" else request.GET
    return list(dict.fromkeys(n for n in source.getlist("orders") if n))[:MAX_SELECTED]


def _bulk_view(request, *, action: str, service, verb: str, title: str, danger: bool):
    """Bulk Pay / Cancel of the selected rows: each order in its own transaction (the
    service), so the report can say "Paid 2 of 3: order X: insufficient funds…"."""
    require_perm(request, "billing.manage_finance")
    numbers = _selected(request)
    orders = list(
        Order.objects.restrict(request.user, action)
        .select_related("owner__membership", "payer", "product", "spec")
        .filter(order_no__in=[n for n in numbers if well_formed(OrderNoConverter, n)])
        .order_by("created_at", "pk")
    )

    def on_valid(form):
        if not numbers:
            raise DomainError(_("Select orders in the table first."))
        done, refused = service(orders=orders, acting_user=request.user)
        reasons = [(o.order_no, message) for o, message in refused]
        found = {o.order_no for o in orders}
        gone = {
            o.order_no: _closed_reason(o)
            for o in Order.objects.restrict(request.user, "view").filter(
                order_no__in=[
                    n for n in numbers if n not in found and well_formed(OrderNoConverter, n)
                ]
            )
        }
        for number in numbers:
            if number not in found:
                reasons.append((number, gone.get(number, _("not found."))))
        summary = _("%(verb)s %(done)s of %(total)s") % {
            "verb": verb,
            "done": len(done),
            "total": len(numbers),
        }
        if not reasons:
            return summary + "."
        text = (
            summary
            + ": "
            + "; ".join(
                _("order %(no)s: %(reason)s") % {"no": number, "reason": reason}
                for number, reason in reasons
            )
        )
        if not done:
            raise DomainError(text)
        return text

    return form_view(
        request,
        form=BulkOrdersForm(bound_data(request)),
        title=title,
        submit_label=title,
        danger=danger,
        on_valid=on_valid,
        success_url=reverse("billing:pay_on_behalf_orders"),
        events=MONEY_EVENTS,
        template="billing/bulk_form.html",
        numbers=numbers,
        orders=[(o, member_name(o.owner, request.console.organization_id)) for o in orders],
        total=sum((o.payable for o in orders), Decimal("0.00")),
    )


@login_required
def orders_pay_bulk(request):
    return _bulk_view(
        request,
        action="pay",
        service=services.orders_pay_bulk,
        verb=_("Paid"),
        title=_("Pay selected orders"),
        danger=False,
    )


@login_required
def orders_cancel_bulk(request):
    return _bulk_view(
        request,
        action="cancel",
        service=services.orders_cancel_bulk,
        verb=_("Cancelled"),
        title=_("Cancel selected orders"),
        danger=True,
    )
