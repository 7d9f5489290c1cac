"""F12: the Fund transfer page's tables: the members that grant 3, the transfers to one
member (with what can be taken back of each now, F13) and the admin's recent transfers."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership
from tco_console.html import format_html
from tco_console.tables import ConsoleTable, DateTimeColumn

from ..models import FundTransfer
from ..money import ZERO
from ..templatetags.billing_tags import format_cny
from .columns import MoneyColumn


def _wallet(account):
    return getattr(account, "wallet", None)


def _modal_link(url, label, testid, css="btn-outline-primary"):
    return format_html(
        '<a class="btn {} btn-sm" href="{}" hx-get="{}" hx-target="#modal-content" '
        'hx-swap="innerHTML" data-testid="{}">{}</a>',
        css,
        url,
        url,
        testid,
        label,
    )


def _member_link(uin, name):
    return format_html(
        '<a href="{}?account={}">{}</a> <span class="text-body-secondary small">{}</span>',
        reverse("billing:transfers"),
        uin,
        name,
        uin,
    )


class TransferMemberTable(ConsoleTable):
    """Self-pay members that grant 3, with their wallets (one joined query per page)."""

    name = tables.Column(verbose_name=_("Member"))
    # a member that never had money has no wallet yet: 0.00, not a dash
    cash = MoneyColumn(
        accessor="account__wallet__cash", empty_values=(), verbose_name=_("Cash balance")
    )
    transferred_in = MoneyColumn(
        accessor="account__wallet__transferred_in",
        empty_values=(),
        verbose_name=_("Transferred funds unspent"),
    )
    available = MoneyColumn(empty_values=(), orderable=False, verbose_name=_("Available balance"))
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta(ConsoleTable.Meta):
        model = Membership
        fields = ("name", "cash", "transferred_in", "available", "actions")
        order_by = ("name",)
        empty_text = _(
            "No self-pay member grants Fund transfer (3). Pay-on-behalf members need no funds: "
            "their spend is paid by this account."
        )
        row_attrs = {"data-testid": "transfer-member"}

    def __init__(self, *args, can_manage=False, **kwargs):
        self.can_manage = can_manage
        super().__init__(*args, **kwargs)

    def render_name(self, record):
        return _member_link(record.account.uin, record.name)

    def render_cash(self, value):
        return format_cny(value if value is not None else ZERO)

    render_transferred_in = render_cash

    def render_available(self, record):
        wallet = _wallet(record.account)
        return format_cny(wallet.available if wallet else ZERO)

    def render_actions(self, record):
        if not self.can_manage:
            return ""
        return _modal_link(
            reverse("billing:transfer_in", args=[record.account.uin]),
            _("Transfer in"),
            "transfer-in-row",
        )


class TransferRecordTable(ConsoleTable):
    """The admin's transfers to one member, newest first, with F13's revocable amount."""

    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    amount = MoneyColumn(verbose_name=_("Transferred"))
    taken_back = MoneyColumn(verbose_name=_("Taken back"))
    revocable = MoneyColumn(
        empty_values=(),
        orderable=False,
        verbose_name=_("Can be taken back now"),
        attrs={
            "td": {"class": "text-end", "data-testid": "revocable"},
            "th": {"class": "text-end"},
        },
    )
    created_by = tables.Column(accessor="created_by__username", verbose_name=_("By"), default="—")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="")

    class Meta(ConsoleTable.Meta):
        model = FundTransfer
        fields = ("created_at", "amount", "taken_back", "revocable", "created_by", "actions")
        order_by = ("-created_at",)
        empty_text = _("No transfers to this member yet.")
        row_attrs = {"data-testid": "transfer-record"}

    def __init__(self, *args, revocable=None, can_manage=False, **kwargs):
        self.revocable_of = revocable
        self.can_manage = can_manage
        super().__init__(*args, **kwargs)

    def render_revocable(self, record):
        return format_cny(self.revocable_of(record))

    def render_actions(self, record):
        if not self.can_manage or self.revocable_of(record) <= 0:
            return ""
        return _modal_link(
            reverse("billing:take_back", args=[record.pk]),
            _("Take back"),
            "take-back",
            css="btn-outline-secondary",
        )


class RecentTransferTable(ConsoleTable):
    """The admin account's transfers to all its members, newest first."""

    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    target = tables.Column(verbose_name=_("To"), order_by=("target__uin",))
    amount = MoneyColumn(verbose_name=_("Transferred"))
    taken_back = MoneyColumn(verbose_name=_("Taken back"))
    created_by = tables.Column(accessor="created_by__username", verbose_name=_("By"), default="—")

    class Meta(ConsoleTable.Meta):
        model = FundTransfer
        fields = ("created_at", "target", "amount", "taken_back", "created_by")
        order_by = ("-created_at",)
        empty_text = _("No transfers yet.")

    def render_target(self, record):
        membership = getattr(record.target, "membership", None)
        return _member_link(
            record.target.uin, membership.name if membership else record.target.name
        )
