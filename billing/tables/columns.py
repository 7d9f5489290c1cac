"""Cells and columns every billing table shares: the status badge, a member's name in its
organization (O4) and money amounts."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tco_console.html import format_html
from tco_console.tables import badge

from ..models.choices import OrderStatus, ResourceStatus
from ..templatetags.billing_tags import format_cny

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


def status_badge(value, label):
    """An order's or resource's status in its colour (STATUS_BADGES)."""
    return badge(label, STATUS_BADGES.get(value, ""), testid="status")


def validity_badge(record):
    """The state of something valid for a time with an amount left (a voucher, B15; a resource
    pack): expired, used up, not yet valid or usable, in that order of precedence."""
    now = timezone.now()
    if record.valid_until <= now:
        return badge(_("Expired"), "text-bg-secondary")
    if record.remaining <= 0:
        return badge(_("Used up"), "text-bg-light border")
    if record.valid_from > now:
        return badge(_("Not yet valid"), "text-bg-info")
    return badge(_("Usable"), "text-bg-success")


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
