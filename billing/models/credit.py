"""F14, F15: credit the admin account allocates to its self-pay members (permission 10).

`Wallet.credit_limit` stays each account's *effective* credit limit, the one B2 (available)
and B9 (arrears) read everywhere. An allocation moves credit like money between two wallets:
allocating Δ lowers the admin's `credit_limit` by Δ and raises the member's by Δ, in one
transaction, so the two together are unchanged (conservation). `CreditAllocation` says how
much of the member's limit came from its admin (permanent + temporary); `CreditChange` is the
history both sides see: who changed what, when, and why (allocated, lapsed, returned).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalog import MONEY


class CreditChangeKind(models.TextChoices):
    ALLOCATE = "allocate", _("Allocated by the admin")
    LAPSE = "lapse", _("Temporary credit lapsed")
    RETURN = "return", _("Returned to the admin")


class CreditAllocation(models.Model):
    """The credit a member's admin account has allocated to it now (F14): a row per member,
    deleted when nothing is allocated any more (its history stays in `CreditChange`)."""

    member = models.OneToOneField(
        "organizations.Account",
        verbose_name=_("member account"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="credit_allocation",
    )
    admin = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("admin account"),
        on_delete=models.PROTECT,
        related_name="credit_allocations",
    )
    amount = models.DecimalField(_("permanent credit"), **MONEY, default=0)
    temporary_amount = models.DecimalField(_("temporary credit"), **MONEY, default=0)
    temporary_until = models.DateTimeField(_("temporary credit until"), null=True, blank=True)
    # F15: when the member was told its temporary credit ends within 7 days (once per end)
    ending_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit allocation")
        verbose_name_plural = _("credit allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="credit_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(temporary_amount__gte=0), name="credit_temporary_not_negative"
            ),
            # F15: a temporary credit always has its end; none without one
            models.CheckConstraint(
                condition=Q(temporary_amount=0) | Q(temporary_until__isnull=False),
                name="credit_temporary_has_an_end",
            ),
        ]
        indexes = [
            models.Index(fields=["temporary_until"], name="credit_temporary_until"),
        ]

    def __str__(self):
        return f"{self.member_id} ← {self.admin_id}: {self.total}"

    @property
    def total(self):
        return self.amount + self.temporary_amount


class CreditChange(models.Model):
    """One change of a member's allocated credit (F14, F15), newest first."""

    member = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("member account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    admin = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("admin account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("type"), max_length=10, choices=CreditChangeKind.choices)
    old_amount = models.DecimalField(_("permanent before"), **MONEY)
    new_amount = models.DecimalField(_("permanent after"), **MONEY)
    old_temporary = models.DecimalField(_("temporary before"), **MONEY)
    new_temporary = models.DecimalField(_("temporary after"), **MONEY)
    temporary_until = models.DateTimeField(_("temporary until"), null=True, blank=True)
    actor = models.ForeignKey(
        "organizations.User",
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit change")
        verbose_name_plural = _("credit changes")
        indexes = [
            models.Index(fields=["admin", "-created_at", "-id"], name="credit_change_admin"),
            models.Index(fields=["member", "-created_at", "-id"], name="credit_change_member"),
        ]

    def __str__(self):
        return f"{self.kind} {self.member_id}: {self.old_total} → {self.new_total}"

    @property
    def old_total(self):
        return self.old_amount + self.old_temporary

    @property
    def new_total(self):
        return self.new_amount + self.new_temporary

    @property
    def delta(self):
        return self.new_total - self.old_total
