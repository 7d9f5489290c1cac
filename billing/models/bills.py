"""B11 bill line items and the messages sent to accounts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tco_console.msg import MsgField, shown

from .catalog import MONEY, OwnedQuerySet
from .choices import BillingMode, MessageCategory, TransactionType
from .rollups import Totals


class MessageQuerySet(OwnedQuerySet):
    owner_field = "account"
    permissions = {"view": "organizations.view_org", "change": "organizations.view_org"}


class BillLine(models.Model):
    """B11: one bill line per payment, refund share and settlement. Refund lines are negative."""

    bill_month = models.DateField(_("bill month"))
    # owner and payer: no index of their own, the composite indexes below start with them
    # (two fewer indexes for every settlement's and order's lines to keep, issue 16)
    owner = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    payer = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # product, region and tag set: no index either; no page reads lines by them alone (the
    # details filter them within an owner's or payer's index), and the only reader, deleting
    # a catalog row or a tag set, is refused by PROTECT anyway: three fewer indexes for every
    # line written and a quicker bulk load (issue 16)
    product = models.ForeignKey(
        "billing.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # resource and journal: no index either; no page or service reads lines by them (a
    # resource's bills come from `ResourceMonth`), and neither a resource nor a journal is
    # ever deleted (the admin may not, the ledger is append-only): two fewer indexes for
    # every line written and ~9 s off the 10-million-line load (issue 16)
    resource = models.ForeignKey(
        "billing.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    region = models.ForeignKey(
        "billing.Region", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    billing_mode = models.CharField(_("billing mode"), max_length=12, choices=BillingMode.choices)
    transaction_type = models.CharField(
        _("transaction type"), max_length=12, choices=TransactionType.choices
    )
    list_cost = models.DecimalField(_("list cost"), **MONEY)
    discount = models.DecimalField(_("discount"), **MONEY)
    voucher_amount = models.DecimalField(_("voucher deduction"), **MONEY)
    cash_amount = models.DecimalField(_("cash paid"), **MONEY)
    created_at = models.DateTimeField(_("time"))
    # order: indexed only where set (Meta.indexes); settlement lines have none
    order = models.ForeignKey(
        "billing.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bill_lines",
        db_index=False,
    )
    journal = models.ForeignKey(
        "billing.Journal", on_delete=models.PROTECT, related_name="bill_lines", db_index=False
    )
    # F11: the owner's tags when the line was written (set by record_bill_lines)
    tag_set = models.ForeignKey(
        "organizations.TagSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    # B11: the fields of a bill line item, in the order the details list, the CSV export and
    # the bulk loader use them. The one list, so a new B11 field is added in one place.
    B11_FIELDS = (
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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bill line item")
        verbose_name_plural = _("bill line items")
        indexes = [
            models.Index(fields=["payer", "bill_month"], name="billline_payer_month"),
            models.Index(fields=["owner", "bill_month"], name="billline_owner_month"),
            # the details lists, newest first: a page is an index range, whatever the size
            models.Index(fields=["payer", "-created_at", "-id"], name="billline_payer_newest"),
            models.Index(fields=["owner", "-created_at", "-id"], name="billline_owner_newest"),
            # an order's lines (`order_id = X` implies it is set): settlement lines, most of
            # them, have no order, so the index leaves them out; a quicker bulk load (issue 16)
            models.Index(
                fields=["order"], name="billline_order", condition=models.Q(order__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.bill_month:%Y-%m} {self.owner_id}/{self.payer_id} {self.cash_amount}"


class Message(models.Model):
    account = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="messages"
    )
    category = models.CharField(_("category"), max_length=16, choices=MessageCategory.choices)
    title = models.CharField(_("title"), max_length=200)  # in English for a notice (issue 17)
    body = models.TextField(_("content"), blank=True, default="")
    # Issue 17: what a notice's title and content mean, rendered in the reader's language
    title_i18n = MsgField(_("title (translatable)"), null=True, blank=True, editable=False)
    body_i18n = MsgField(_("content (translatable)"), null=True, blank=True, editable=False)
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resource = models.ForeignKey(
        "billing.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # a console path the message points to (a budget's page, F8); never an outside address
    link = models.CharField(_("link"), max_length=200, blank=True, default="")

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["account", "read_at"], name="message_unread")]

    def __str__(self):
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """Issue 17: the title in the reader's language (the stored text for older rows)."""
        return shown(self.title, self.title_i18n)

    @property
    def shown_body(self) -> str:
        return shown(self.body, self.body_i18n)


class BillSummary(Totals):
    """B11: monthly totals by (month, payer, owner, product), kept exact in the same transaction
    as the bill lines they sum, so no page scans line items to total or count them."""

    bill_month = models.DateField(_("bill month"))
    payer = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("billing.Product", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-bill_month", "payer", "owner", "product"]
        verbose_name = _("bill summary")
        verbose_name_plural = _("bill summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["bill_month", "payer", "owner", "product"], name="one_summary_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "bill_month"], name="billsummary_payer_month"),
            models.Index(fields=["owner", "bill_month"], name="billsummary_owner_month"),
        ]

    def __str__(self):
        return f"{self.bill_month:%Y-%m} {self.payer_id}/{self.owner_id} {self.product_id}"


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")


class InvoiceQuerySet(OwnedQuerySet):
    owner_field = "account"
    permissions = {"view": "billing.view_finance", "change": "billing.manage_finance"}


class Invoice(models.Model):
    """B12: an invoice request for part of what the account paid; an operator issues or
    rejects it. Requested and issued amounts are no longer invoiceable; rejected ones are."""

    account = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="invoices"
    )
    title = models.CharField(_("invoice title"), max_length=100)
    tax_number = models.CharField(_("tax number"), max_length=20)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    requested_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # F16: the organization's admin account when it requested the invoice for this member
    # (permission 5); the member stays the buyer (`account`)
    requested_by_admin = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("requested by the admin account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="invoice_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.amount} {self.status}"
