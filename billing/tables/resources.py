"""Resources: subscription and pay-as-you-go resources, resource packs, and the payer's view of
the resources it pays for (B9), each with its status badge and the reason below it."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tco_console.html import format_html
from tco_console.tables import (
    ChoiceLabels,
    ConsoleTable,
    DateTimeColumn,
    OrganizationScopedTable,
    TemplateColumn,
)

from ..models import Resource, ResourcePack
from ..models.choices import ResourceStatus
from ..templatetags.billing_tags import format_cny, format_quantity
from .columns import account_label, status_badge, validity_badge


def _date(value, fmt="%Y-%m-%d %H:%M"):
    return timezone.localtime(value).strftime(fmt) if value else ""


def resource_status(record):
    """The status badge and, below it, why: the suspension reason (B9), the expiry (B10) or
    the termination date. "Running" alone needs no explanation."""
    reason = ""
    status = ChoiceLabels.of(Resource, "status")(record.status)  # get_status_display()
    if record.status == ResourceStatus.SUSPENDED:
        reasons = ChoiceLabels.of(Resource, "suspended_reason")
        reason = reasons(record.suspended_reason) or _("Suspended")
    elif record.status == ResourceStatus.EXPIRED:
        reason = _("Expired on %(date)s. Renew it to use it again.") % {
            "date": _date(record.period_end, "%Y-%m-%d")
        }
    elif record.status == ResourceStatus.TERMINATED and record.ended_at:
        reason = _("On %(date)s") % {"date": _date(record.ended_at, "%Y-%m-%d")}
    if not reason:
        return status_badge(record.status, status)
    css = "text-danger" if record.status == ResourceStatus.SUSPENDED else "text-body-secondary"
    return format_html(
        '{}<div class="small {}" data-testid="status-reason">{}</div>',
        status_badge(record.status, status),
        css,
        reason,
    )


# ------------------------------------------------------------------ resources


class _ResourceColumns(ConsoleTable):
    """A resource's instance, catalog names (in the reader's language, catalog order) and
    status: the first columns of the subscription and pay-as-you-go tables."""

    instance_id = tables.Column(verbose_name=_("Instance ID"))
    product = tables.Column(
        accessor="product__display_name",
        verbose_name=_("Product"),
        order_by=("product__position",),
    )
    spec = tables.Column(
        accessor="spec__display_name", verbose_name=_("Spec"), order_by=("spec__rank",)
    )
    region = tables.Column(
        accessor="region__display_name", verbose_name=_("Region"), order_by=("region__code",)
    )
    status = tables.Column(verbose_name=_("Status"))

    def render_instance_id(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_status(self, record):
        return resource_status(record)


class ResourceTable(_ResourceColumns):
    period_end = DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i")
    actions = TemplateColumn(
        template_name="billing/inc/resource_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Resource
        fields = ("instance_id", "product", "spec", "region", "status", "period_end", "actions")
        order_by = ("-period_end",)
        empty_text = _("No subscription resources yet. Buy one from the catalog above.")
        row_attrs = {"data-instance": lambda record: record.instance_id}


class PaygResourceTable(_ResourceColumns):
    """Products → Pay-as-you-go: the account's usage-billed resources and their freezes (B7)."""

    frozen = tables.Column(
        accessor="frozen_amount",
        verbose_name=_("Frozen"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    settled_until = tables.Column(verbose_name=_("Settled until"), empty_values=())
    period_start = DateTimeColumn(verbose_name=_("Started"), format="Y-m-d H:i")
    actions = TemplateColumn(
        template_name="billing/inc/payg_actions.html", verbose_name="", orderable=False
    )

    class Meta(ConsoleTable.Meta):
        model = Resource
        fields = (
            "instance_id",
            "product",
            "spec",
            "region",
            "status",
            "frozen",
            "settled_until",
            "period_start",
            "actions",
        )
        order_by = ("-period_start",)
        empty_text = _("No pay-as-you-go resources yet. Activate one from the catalog above.")
        row_attrs = {"data-instance": lambda record: record.instance_id}

    def render_settled_until(self, record):
        """B8: the end of the last settled cycle. Until the first cycle it ran in ends, that
        is only the cycle's start, before the resource even started: say so instead."""
        if record.settled_until is None or record.settled_until <= record.period_start:
            return format_html(
                '<span class="text-body-secondary">{}</span>', _("No cycle settled yet")
            )
        return _date(record.settled_until)

    def render_frozen(self, record):
        """B7: one cycle's estimated fee, frozen on whoever pays for the resource."""
        if record.frozen_by_id is None:
            return format_html(
                '<span class="text-body-secondary" data-testid="frozen">{}</span>', _("Released")
            )
        return format_html(
            '<div class="fw-semibold" data-testid="frozen">{}</div>'
            '<div class="small text-body-secondary" data-testid="frozen-on">{}</div>',
            format_cny(record.frozen_amount),
            _("on %(name)s (%(uin)s)")
            % {"name": record.frozen_by.name, "uin": record.frozen_by.uin},
        )


class PackTable(ConsoleTable):
    """Products → Resource packs: usage bought in advance, drawn first by settlement (B8)."""

    spec = tables.Column(
        accessor="spec__display_name",
        verbose_name=_("Spec"),
        order_by=("product__position", "spec__rank"),
    )
    quantity = tables.Column(
        verbose_name=_("Size"), attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}}
    )
    remaining = tables.Column(
        verbose_name=_("Remaining"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    valid_until = DateTimeColumn(verbose_name=_("Valid until"), format="Y-m-d H:i")
    state = tables.Column(accessor="remaining", verbose_name=_("State"), orderable=False)
    order = tables.Column(accessor="order__order_no", verbose_name=_("Order number"))

    class Meta(ConsoleTable.Meta):
        model = ResourcePack
        fields = ("spec", "quantity", "remaining", "valid_until", "state", "order")
        order_by = ("valid_until",)
        empty_text = _("No resource packs. Buy one from the catalog above.")
        row_attrs = {"data-pack": lambda record: record.pk}

    def render_spec(self, record, value):
        return format_html(
            '{}<div class="text-body-secondary small">{}</div>', record.product.display_name, value
        )

    def render_quantity(self, value):
        return format_quantity(value)

    def render_remaining(self, record, value):
        percent = int(value * 100 / record.quantity) if record.quantity else 0
        return format_html(
            '<div data-testid="pack-remaining">{}</div>'
            # An SVG bar: its width is an attribute, so no inline style (CSP style-src 'self').
            '<svg class="pack-bar ms-auto d-block" viewBox="0 0 100 4" preserveAspectRatio="none"'
            ' role="progressbar" aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100">'
            '<rect width="100" height="4" rx="2" fill="var(--bs-secondary-bg)"/>'
            '<rect width="{}" height="4" rx="2" fill="var(--bs-primary)"/></svg>',
            format_quantity(value),
            percent,
            percent,
        )

    def render_state(self, record):
        return validity_badge(record)

    def render_order(self, value):
        return format_html('<code class="text-body">{}</code>', value)


class PaidResourceTable(OrganizationScopedTable):
    """Pay-on-behalf order management → Resources: what the payer pays for, its members' and
    its own, with their status (B9)."""

    owner = tables.Column(accessor="owner__name", verbose_name=_("Owner"))
    instance_id = tables.Column(verbose_name=_("Instance ID"))
    product = tables.Column(
        accessor="product__display_name",
        verbose_name=_("Product"),
        order_by=("product__position",),
    )
    billing_mode = tables.Column(verbose_name=_("Billing mode"))
    status = tables.Column(verbose_name=_("Status"))
    period_end = DateTimeColumn(verbose_name=_("Expires"), format="Y-m-d H:i", default="—")

    class Meta(ConsoleTable.Meta):
        model = Resource
        fields = ("owner", "instance_id", "product", "billing_mode", "status", "period_end")
        order_by = ("owner",)
        empty_text = _("No resources match these filters.")
        row_attrs = {"data-instance": lambda record: record.instance_id}

    def render_owner(self, record):
        return account_label(record.owner, self.organization_id)

    def render_instance_id(self, value):
        return format_html('<code class="text-body">{}</code>', value)

    def render_product(self, record, value):
        return format_html(
            '{}<div class="text-body-secondary small">{}</div>', value, record.spec.display_name
        )

    def render_status(self, record):
        return resource_status(record)
