"""Orders: the Billing Center's own orders and the pay-on-behalf order management list."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tco_console.html import format_html
from tco_console.tables import (
    CheckBoxColumn,
    ConsoleTable,
    DateTimeColumn,
    OrganizationScopedTable,
    TemplateColumn,
)

from ..models import Order
from ..models.choices import REFUNDING_KINDS
from ..templatetags.billing_tags import format_cny
from .columns import account_label, status_badge


def _when(value):
    """A date on one line and its time below it: keeps wide tables narrow."""
    if not value:
        return "—"
    value = timezone.localtime(value)
    return format_html(
        '{}<div class="small text-body-secondary">{}</div>',
        value.strftime("%Y-%m-%d"),
        value.strftime("%H:%M:%S"),
    )


class OrderColumnsMixin(tables.Table):
    order_no = tables.Column(verbose_name=_("Order number"))
    product = tables.Column(
        accessor="product__display_name",
        verbose_name=_("Product"),
        order_by=("product__position",),
    )
    kind = tables.Column(verbose_name=_("Type"))
    amount = tables.Column(
        accessor="list_cost",
        verbose_name=_("Amount"),
        order_by=("list_cost",),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    status = tables.Column(verbose_name=_("Status"))
    created_at = DateTimeColumn(verbose_name=pgettext_lazy("time", "Created"))

    def render_order_no(self, value):
        return format_html('<code class="text-body" data-testid="order-no">{}</code>', value)

    def render_product(self, record, value):
        return format_html(
            '{}<div class="text-body-secondary small">{}</div>', value, record.spec.display_name
        )

    def render_amount(self, record):
        """What the order costs, then its parts: list price and discount; voucher and cash
        (cash + credit) once paid. A refund order shows what went back in cash to the viewing
        account (its refund shares, B6), or the whole refund when it received none."""
        if record.kind in REFUNDING_KINDS:
            return format_html(
                '<div class="fw-semibold text-success" data-testid="amount">{}</div>'
                '<div class="small text-body-secondary">{}</div>',
                format_cny(
                    record.refund_amount
                    if getattr(record, "refunded_to_me", None) is None
                    else record.refunded_to_me,
                    signed=True,
                ),
                _("refundable value %(value)s") % {"value": format_cny(record.list_cost)},
            )
        return format_html(
            '<div class="fw-semibold" data-testid="amount">{}</div>'
            '<div class="small text-body-secondary">{} {} · {} {}</div>'
            '<div class="small text-body-secondary">{} {} · {} {}</div>',
            format_cny(record.payable),
            _("list"),
            format_cny(record.list_cost),
            _("discount"),
            format_cny(record.discount),
            _("voucher"),
            format_cny(record.voucher_amount),
            _("cash"),
            format_cny(record.charged),
        )

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_created_at(self, value):
        return _when(value)


class PayOnBehalfOrderTable(OrderColumnsMixin, OrganizationScopedTable):
    """Pay-on-behalf order management: the payer's view of its members' orders, or a
    member's view of its own orders paid by the payer."""

    select = CheckBoxColumn(
        accessor="order_no",
        attrs={
            "th__input": {"aria-label": _("Select all"), "data-select-all": "orders"},
            "td__input": {
                "name": "orders",
                "form": "bulk-orders-form",
                "class": "form-check-input",
            },
        },
        orderable=False,
    )
    member = tables.Column(
        accessor="owner__name", verbose_name=_("Member"), order_by=("owner__name",)
    )
    applied_at = DateTimeColumn(verbose_name=_("Applied"), format="Y-m-d H:i", default="")
    actions = TemplateColumn(
        template_name="billing/inc/order_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Order
        fields = (
            "select",
            "order_no",
            "member",
            "product",
            "kind",
            "amount",
            "status",
            "created_at",
            "applied_at",
            "actions",
        )
        order_by = ("-created_at",)
        empty_text = _("No orders match these filters.")
        row_attrs = {"data-order": lambda record: record.order_no}

    def render_member(self, record):
        return account_label(record.owner, self.organization_id)

    def render_applied_at(self, value):
        return _when(value)


class OrderTable(OrderColumnsMixin, ConsoleTable):
    """Billing Center: the orders the account placed for itself, whoever pays."""

    resource = tables.Column(
        accessor="resource__instance_id", verbose_name=_("Resource"), default="—"
    )
    payment = tables.Column(
        accessor="pay_mode", verbose_name=_("Payment method"), order_by=("pay_mode",)
    )
    actions = TemplateColumn(
        template_name="billing/inc/order_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Order
        fields = (
            "order_no",
            "product",
            "resource",
            "kind",
            "amount",
            "status",
            "payment",
            "created_at",
            "actions",
        )
        order_by = ("-created_at",)
        empty_text = _("No orders yet.")
        row_attrs = {"data-order": lambda record: record.order_no}

    def render_resource(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_payment(self, record, value):
        if record.payer_id == record.owner_id:
            return value
        return format_html(
            '{}<div class="text-body-secondary small">{} {} ({})</div>',
            value,
            _("by"),
            record.payer.name,
            record.payer.uin,
        )
