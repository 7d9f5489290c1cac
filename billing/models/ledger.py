"""B1, B2: the append-only ledger and each account's wallet.

A Journal is one movement of money; its Entries sum to zero (checked by the posting service
and, on PostgreSQL, by a deferred constraint trigger). The customer's `cash` book is the
balance; Wallet.cash is its cache, written only in the same transaction as its entries.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tco_console.msg import MsgField, shown

from .catalog import MONEY, OwnedQuerySet
from .choices import Book, JournalKind

CUSTOMER_BOOKS = (Book.CASH, Book.FROZEN, Book.VOUCHER_FUNDING)


class EntryQuerySet(OwnedQuerySet):
    """B13: an account's transaction details: its cash book, its freezes (B7) and the draws on
    its vouchers (B15), whose entries carry the voucher's holder as their account."""

    owner_field = "account"

    def scope(self, ctx, action):
        return super().scope(ctx, action).filter(book__in=CUSTOMER_BOOKS)


class Wallet(models.Model):
    account = models.OneToOneField(
        "organizations.Account", on_delete=models.PROTECT, primary_key=True, related_name="wallet"
    )
    cash = models.DecimalField(_("cash balance"), **MONEY, default=0)
    credit_limit = models.DecimalField(_("credit limit"), **MONEY, default=0)
    frozen = models.DecimalField(_("frozen"), **MONEY, default=0)
    # F13: the transfer book, the part of `cash` the admin transferred in and the account has
    # not spent: it may be spent but never sent on. Own cash is spent first, so it only
    # shrinks when cash falls below it (`ledger.post` keeps 0 ≤ transferred_in ≤ max(cash, 0)).
    transferred_in = models.DecimalField(_("transferred funds"), **MONEY, default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="credit_limit_not_negative"
            ),
            models.CheckConstraint(condition=Q(frozen__gte=0), name="frozen_not_negative"),
            models.CheckConstraint(  # F13
                condition=Q(transferred_in=0)
                | (Q(transferred_in__gt=0) & Q(transferred_in__lte=models.F("cash"))),
                name="transfer_book_within_cash",
            ),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.cash}"

    @property
    def available(self):
        """B2: cash + credit limit − frozen."""
        return self.cash + self.credit_limit - self.frozen

    @property
    def in_arrears(self) -> bool:
        """B9: a paying account is in arrears when cash + credit limit < 0."""
        return self.cash + self.credit_limit < 0


class Journal(models.Model):
    kind = models.CharField(_("type"), max_length=12, choices=JournalKind.choices)
    created_at = models.DateTimeField(_("time"), db_index=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True, default="")  # English
    # Issue 17: what `memo` means (msgid and parameters), rendered in the reader's language;
    # NULL for memos without words (a settlement's instance and cycle, batch-written by COPY)
    memo_i18n = MsgField(_("memo (translatable)"), null=True, blank=True, editable=False)
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="journals"
    )
    created_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("journal")
        verbose_name_plural = _("journals")

    def __str__(self):
        return f"J{self.pk} {self.kind}"

    @property
    def shown_memo(self) -> str:
        """Issue 17: the memo in the reader's language (the stored text for older rows)."""
        return shown(self.memo, self.memo_i18n)


class Entry(models.Model):
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    book = models.CharField(_("book"), max_length=16, choices=Book.choices)
    account = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        help_text=_(
            "The customer whose book it is: the wallet's account for cash and frozen funds, the "
            "voucher's holder for a voucher draw (B13); none for the platform's books."
        ),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY, null=True, blank=True)
    owner = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The account whose order or resource the movement is for."),
    )
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resource = models.ForeignKey(
        "billing.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voucher = models.ForeignKey(
        "billing.Voucher", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("time"))

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(
                condition=~Q(book__in=(Book.CASH, Book.FROZEN))
                | (Q(account__isnull=False) & Q(balance_after__isnull=False)),
                name="customer_entry_has_account_and_balance",
            ),
            models.CheckConstraint(  # B13: a voucher draw shows in its holder's details
                condition=~Q(book=Book.VOUCHER_FUNDING) | Q(account__isnull=False),
                name="voucher_draw_has_its_holder",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "book", "-created_at", "-id"], name="entry_account_book"
            ),
            # B13 transaction details, newest first, without sorting an account's history
            models.Index(fields=["account", "-created_at", "-id"], name="entry_account_newest"),
        ]

    def __str__(self):
        return f"{self.book} {self.account_id} {self.amount}"
