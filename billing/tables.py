import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tco_console.tables import ConsoleTable

from .models import Entry, Order, Resource, Voucher
from .models.choices import REFUNDING_KINDS, OrderStatus, ResourceStatus
from .templatetags.billing_tags import format_cny

STATUS_BADGES = {
    OrderStatus.TO_BE_PAID: "text-bg-warning",
    OrderStatus.PAID: "text-bg-success",
    OrderStatus.CANCELLED: "text-bg-secondary",
    OrderStatus.REFUNDED: "text-bg-info",
    ResourceStatus.ACTIVE: "text-bg-success",
    ResourceStatus.SUSPENDED: "text-bg-danger",
    ResourceStatus.EXPIRED: "text-bg-warning",
    ResourceStatus.TERMINATED: "text-bg-secondary",
}


def badge(value, label):
    return format_html(
        '<span class="badge {}" data-testid="status">{}</span>', STATUS_BADGES.get(value, ""), label
    )


def member_name(account, organization_id=None) -> str:
    """A member's display name in the organization (O4), else its account name. Needs
    `select_related("…__membership")` to stay one query."""
    membership = getattr(account, "membership", None) if organization_id else None
    if membership is not None and membership.organization_id == organization_id:
        return membership.name
    return account.name


def account_label(account, organization_id=None):
    """A member's name and, below it, its UIN."""
    return format_html(
        '{}<div class="text-body-secondary small">{}</div>',
        member_name(account, organization_id),
        account.uin,
    )


class MoneyColumn(tables.Column):
    def __init__(self, *args, signed=False, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}, "th": {"class": "text-end"}})
        self.signed = signed
        super().__init__(*args, **kwargs)

    def render(self, value):
        return format_cny(value, signed=self.signed)


# ------------------------------------------------------------------ resources


class ResourceTable(ConsoleTable):
    instance_id = tables.Column(verbose_name=_("Instance ID"))
    product = tables.Column(accessor="product__name", verbose_name=_("Product"))
    spec = tables.Column(accessor="spec__name", verbose_name=_("Spec"), order_by=("spec__rank",))
    region = tables.Column(accessor="region__name", verbose_name=_("Region"))
    status = tables.Column(verbose_name=_("Status"))
    period_end = tables.DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i")
    actions = tables.TemplateColumn(
        template_name="billing/inc/resource_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Resource
        fields = ("instance_id", "product", "spec", "region", "status", "period_end", "actions")
        order_by = ("-period_end",)
        empty_text = _("No subscription resources yet. Buy one from the catalog above.")
        row_attrs = {"data-instance": lambda record: record.instance_id}

    def render_instance_id(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_status(self, record, value):
        return badge(record.status, value)


# ------------------------------------------------------------------ orders


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
        accessor="product__name", verbose_name=_("Product"), order_by=("product__position",)
    )
    kind = tables.Column(verbose_name=_("Type"))
    amount = tables.Column(
        accessor="list_cost",
        verbose_name=_("Amount"),
        order_by=("list_cost",),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    status = tables.Column(verbose_name=_("Status"))
    created_at = tables.DateTimeColumn(verbose_name=_("Created"))

    def render_order_no(self, value):
        return format_html('<code class="text-body" data-testid="order-no">{}</code>', value)

    def render_product(self, record, value):
        return format_html(
            '{}<div class="text-body-secondary small">{}</div>', value, record.spec.name
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
        return badge(record.status, value)

    def render_created_at(self, value):
        return _when(value)


class PayOnBehalfOrderTable(OrderColumnsMixin, ConsoleTable):
    """Pay-on-behalf order management: the payer's view of its members' orders, or a
    member's view of its own orders paid by the payer."""

    select = tables.CheckBoxColumn(
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
    applied_at = tables.DateTimeColumn(verbose_name=_("Applied"), format="Y-m-d H:i", default="")
    actions = tables.TemplateColumn(
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

    def __init__(self, *args, organization_id=None, **kwargs):
        self.organization_id = organization_id
        super().__init__(*args, **kwargs)

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
    actions = tables.TemplateColumn(
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


# ------------------------------------------------------------------ vouchers


class VoucherTable(ConsoleTable):
    code = tables.Column(verbose_name=_("Voucher code"))
    face_value = MoneyColumn(verbose_name=_("Face value"))
    remaining = MoneyColumn(verbose_name=_("Remaining"))
    product = tables.Column(
        accessor="product__name",
        verbose_name=_("Product scope"),
        default=_("All products"),
        order_by=("product__position",),
    )
    min_order_amount = MoneyColumn(verbose_name=_("Minimum order"))
    valid = tables.Column(
        accessor="valid_until", verbose_name=_("Valid"), order_by=("valid_until",)
    )
    state = tables.Column(accessor="remaining", verbose_name=_("State"), orderable=False)

    class Meta(ConsoleTable.Meta):
        model = Voucher
        fields = (
            "code",
            "face_value",
            "remaining",
            "product",
            "min_order_amount",
            "valid",
            "state",
        )
        order_by = ("valid",)
        empty_text = _("No vouchers.")

    def render_code(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_valid(self, record):
        return format_html(
            "{} – {}",
            timezone.localtime(record.valid_from).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(record.valid_until).strftime("%Y-%m-%d %H:%M"),
        )

    def render_state(self, record):
        now = timezone.now()
        if record.valid_until <= now:
            return format_html('<span class="badge text-bg-secondary">{}</span>', _("Expired"))
        if record.remaining <= 0:
            return format_html('<span class="badge text-bg-light border">{}</span>', _("Used up"))
        if record.valid_from > now:
            return format_html('<span class="badge text-bg-info">{}</span>', _("Not yet valid"))
        return format_html('<span class="badge text-bg-success">{}</span>', _("Usable"))


# ------------------------------------------------------------------ transaction details (B13)


class TransactionTable(ConsoleTable):
    created_at = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i:s")
    kind = tables.Column(
        accessor="journal__kind", verbose_name=_("Type"), order_by=("journal__kind",)
    )
    amount = MoneyColumn(verbose_name=_("Amount"), signed=True)
    balance_after = MoneyColumn(verbose_name=_("Balance after"))
    order = tables.Column(accessor="order__order_no", verbose_name=_("Order number"), default="—")
    resource = tables.Column(
        accessor="resource__instance_id", verbose_name=_("Resource"), default="—"
    )
    owner = tables.Column(
        accessor="owner__uin", verbose_name=_("Owner UIN"), default="—", empty_values=()
    )

    class Meta(ConsoleTable.Meta):
        model = Entry
        fields = ("created_at", "kind", "amount", "balance_after", "order", "resource", "owner")
        order_by = ("-created_at",)
        per_page = 50
        empty_text = _("No transactions yet.")

    def __init__(self, *args, account=None, organization_id=None, **kwargs):
        self.account = account
        self.organization_id = organization_id
        super().__init__(*args, **kwargs)

    def render_kind(self, record):
        return record.journal.get_kind_display()

    def render_amount(self, value):
        css = "text-success" if value > 0 else "text-danger"
        return format_html('<span class="{}">{}</span>', css, format_cny(value, signed=True))

    def render_order(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_resource(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_owner(self, record):
        """B13: movements made for a member are labelled with the member."""
        owner = record.owner
        if owner is None:
            return "—"
        if self.account is not None and owner.pk != self.account.pk:
            name = member_name(owner, self.organization_id)
            return format_html(
                '{}<div class="small text-body-secondary" data-testid="for-member">{}</div>',
                owner.uin,
                _("for member %(name)s") % {"name": name},
            )
        return owner.uin
