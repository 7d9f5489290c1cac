"""Pay-as-you-go usage: settled cycles (B8) and resource packs."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .catalog import MONEY, GrantedQuerySet, ValidityQuerySet

QUANTITY = {"max_digits": 18, "decimal_places": 4}


class UsageSettlement(models.Model):
    """One settled cycle of one pay-as-you-go resource. Unique per (resource, cycle start): a
    cycle can never be charged twice, whichever worker or retry gets there."""

    resource = models.ForeignKey(
        "billing.Resource", on_delete=models.PROTECT, related_name="settlements"
    )
    cycle_start = models.DateTimeField(_("cycle start"))
    cycle_end = models.DateTimeField(_("cycle end"))
    owner = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("usage"), **QUANTITY)
    pack_quantity = models.DecimalField(_("absorbed by packs"), **QUANTITY, default=0)
    list_cost = models.DecimalField(_("list cost"), **MONEY)
    discount = models.DecimalField(_("discount"), **MONEY)
    voucher_amount = models.DecimalField(_("voucher"), **MONEY)
    cash_amount = models.DecimalField(_("cash"), **MONEY)
    journal = models.ForeignKey(
        "billing.Journal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled at"))

    class Meta:
        ordering = ["-cycle_start", "-id"]
        verbose_name = _("usage settlement")
        verbose_name_plural = _("usage settlements")
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "cycle_start"], name="settle_each_cycle_once"
            ),
            models.CheckConstraint(
                condition=Q(cycle_end__gt=F("cycle_start")), name="cycle_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.resource_id} {self.cycle_start:%Y-%m-%d %H:%M}"


class PackQuerySet(ValidityQuerySet, GrantedQuerySet):
    pass


class ResourcePack(models.Model):
    """Usage units bought in advance (an order); they absorb the owner's usage first (B8)."""

    owner = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="packs"
    )
    product = models.ForeignKey("billing.Product", on_delete=models.PROTECT, related_name="+")
    spec = models.ForeignKey("billing.Spec", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("billing.Order", on_delete=models.PROTECT, related_name="pack")
    quantity = models.DecimalField(_("size"), **QUANTITY)
    remaining = models.DecimalField(_("remaining"), **QUANTITY)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))

    objects = PackQuerySet.as_manager()

    class Meta:
        ordering = ["valid_until", "id"]
        verbose_name = _("resource pack")
        verbose_name_plural = _("resource packs")
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("quantity")),
                name="pack_remaining_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.spec} ×{self.quantity}"
