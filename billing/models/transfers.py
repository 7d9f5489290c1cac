"""F12, F13: fund transfers between the admin account and its self-pay members.

A transfer-in moves cash from the admin's wallet into a member's (one balanced journal, B1)
and adds it to the member's transfer book (`Wallet.transferred_in`): money it may spend but
never send on. A take-back (transfer-out) returns part of one transfer-in record to the admin,
never more than the record's remaining amount, the member's transfer book, or its available
balance (F13)."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

from .catalog import MONEY


class FundTransferQuerySet(ScopedQuerySet):
    """F12: both parties see a transfer: the admin account's users with view_finance, and the
    member account's users with view_finance (its transaction details show it too, B13)."""

    permissions = {"view": "billing.view_finance", "change": "billing.manage_finance"}

    def scope(self, ctx, action):
        if ctx.account is None:
            return self.none()
        if action == "change":  # only the admin takes funds back (F12)
            return self.filter(source_id=ctx.account.pk) if ctx.is_admin else self.none()
        return self.filter(Q(source_id=ctx.account.pk) | Q(target_id=ctx.account.pk))


class FundTransfer(models.Model):
    """One transfer-in record: the admin (`source`) moved `amount` into the member's
    (`target`) transfer book; `taken_back` of it has been returned since."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    target = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    taken_back = models.DecimalField(_("taken back"), **MONEY, default=0)
    journal = models.OneToOneField(
        "billing.Journal", on_delete=models.PROTECT, related_name="fund_transfer"
    )
    created_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), db_index=True)

    objects = FundTransferQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fund transfer")
        verbose_name_plural = _("fund transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=Q(taken_back__gte=0) & Q(taken_back__lte=F("amount")),
                name="transfer_taken_back_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="transfer_between_two_accounts"
            ),
        ]
        indexes = [models.Index(fields=["target", "-created_at", "-id"], name="transfer_target")]

    def __str__(self):
        return f"{self.source_id} → {self.target_id}: {self.amount}"

    @property
    def remaining(self):
        return self.amount - self.taken_back


class FundTakeBack(models.Model):
    """F12: part of a transfer-in returned to the admin (TCO's "transfer out")."""

    transfer = models.ForeignKey(FundTransfer, on_delete=models.PROTECT, related_name="take_backs")
    amount = models.DecimalField(_("amount"), **MONEY)
    journal = models.OneToOneField(
        "billing.Journal", on_delete=models.PROTECT, related_name="fund_take_back"
    )
    created_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fund take-back")
        verbose_name_plural = _("fund take-backs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="take_back_amount_positive"),
        ]

    def __str__(self):
        return f"{self.transfer_id}: {self.amount}"
