"""Money an account holds: its vouchers (B15) and its transaction details (B13), the ledger
entries of its cash and frozen books."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tco_console.html import format_html
from tco_console.tables import (
    ChoiceLabels,
    ConsoleTable,
    DateTimeColumn,
    LazyCountPaginator,
    OrganizationScopedTable,
)

from ..models import Entry, Journal, Voucher
from ..models.choices import Book, JournalKind
from ..money import ZERO
from ..templatetags.billing_tags import format_cny
from .columns import MoneyColumn, member_name, validity_badge


class VoucherTable(ConsoleTable):
    code = tables.Column(verbose_name=_("Voucher code"))
    face_value = MoneyColumn(verbose_name=_("Face value"))
    remaining = MoneyColumn(verbose_name=_("Remaining"))
    product = tables.Column(
        accessor="product__display_name",
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
        return validity_badge(record)


# ------------------------------------------------------------------ transaction details (B13)


def kind_label(kind: str) -> str:
    """A journal's `get_kind_display()`, its choices read once (tco_console.tables)."""
    return ChoiceLabels.of(Journal, "kind")(kind)


class TransactionTable(OrganizationScopedTable):
    created_at = DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i:s")
    kind = tables.Column(
        accessor="journal__kind", verbose_name=_("Type"), order_by=("journal__kind",)
    )
    amount = MoneyColumn(verbose_name=_("Amount"), signed=True)
    voucher = tables.Column(
        accessor="voucher__code", verbose_name=_("Voucher used"), default="—", orderable=False
    )
    cash = MoneyColumn(accessor="amount", verbose_name=_("Cash"), signed=True, orderable=False)
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
        fields = (
            "created_at",
            "kind",
            "amount",
            "voucher",
            "cash",
            "balance_after",
            "order",
            "resource",
            "owner",
        )
        order_by = ("-created_at",)
        empty_text = _("No transactions yet.")

    paginator_class = LazyCountPaginator  # years of settlements: no COUNT(*) per page

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def render_kind(self, record):
        """A frozen-book entry (B7) says which way it went: moving a freeze to another account
        posts one `freeze` journal that releases on one account and freezes on the other."""
        if record.book == Book.FROZEN:
            return JournalKind.FREEZE.label if record.amount > 0 else JournalKind.UNFREEZE.label
        if record.journal.kind in (JournalKind.TRANSFER, JournalKind.TAKE_BACK):
            # F12: both sides' details name the other party (the memo says from whom to whom)
            return format_html(
                '{}<div class="small text-body-secondary" data-testid="transfer-memo">{}</div>',
                kind_label(record.journal.kind),
                record.journal.shown_memo,  # in the reader's language (issue 17)
            )
        return kind_label(record.journal.kind)

    def render_amount(self, record, value):
        if record.book == Book.FROZEN:  # a freeze never moves cash: no gain/loss colours
            return format_html(
                '<span class="text-body-secondary" data-testid="amount">{}</span>',
                format_cny(value, signed=True),
            )
        css = "text-success" if value > 0 else "text-danger"
        return format_html(
            '<span class="{}" data-testid="amount">{}</span>', css, format_cny(value, signed=True)
        )

    def render_voucher(self, value):
        return format_html('<code class="text-body" data-testid="voucher">{}</code>', value)

    def render_cash(self, record, value):
        """B13: the cash part of the movement; a voucher draw (B15) or a freeze (B7) moves none."""
        return format_html(
            '<span data-testid="cash">{}</span>',
            format_cny(value if record.book == Book.CASH else ZERO, signed=True),
        )

    def render_balance_after(self, record, value):
        if record.book == Book.FROZEN:
            return format_html(
                '{}<div class="small text-body-secondary" data-testid="frozen-after">{}</div>',
                format_cny(value),
                _("frozen after"),
            )
        return format_cny(value)

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
