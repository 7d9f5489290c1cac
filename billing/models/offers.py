"""B3, B14, B15: offers, offer inheritance and its blocklist, vouchers."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .catalog import MONEY, OwnedQuerySet, ValidityQuerySet
from .choices import OfferKind


class AccountOwnedQuerySet(OwnedQuerySet):
    owner_field = "account"


class Offer(models.Model):
    """A discount: the account pays `rate` of the list price (0.85 = 15 % off)."""

    account = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="offers"
    )
    product = models.ForeignKey(
        "billing.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty means every product."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OfferKind.choices)
    rate = models.DecimalField(_("rate paid"), max_digits=5, decimal_places=4)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "product", "kind"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gt=0) & Q(rate__lte=1), name="offer_rate_range"
            ),
            models.UniqueConstraint(
                fields=["account", "product", "kind"], name="one_offer_per_product_kind"
            ),
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(product__isnull=True),
                name="one_global_offer_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.product_id or '*'} {self.kind} {self.rate}"


class InheritanceBlock(models.Model):
    """B14: products on the operator's blocklist are never priced with inherited offers."""

    product = models.OneToOneField("billing.Product", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer-inheritance blocklist entry")
        verbose_name_plural = _("offer-inheritance blocklist")

    def __str__(self):
        return str(self.product)


class OfferInheritance(models.Model):
    """B14: `account` prices its orders with `source`'s contract offers (one source at most)."""

    account = models.OneToOneField(
        "organizations.Account", on_delete=models.PROTECT, related_name="offer_inheritance"
    )
    source = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer inheritance")
        verbose_name_plural = _("offer inheritances")
        constraints = [
            models.CheckConstraint(condition=~Q(account=F("source")), name="no_self_inheritance"),
        ]

    def __str__(self):
        return f"{self.account_id} ← {self.source_id}"


class VoucherQuerySet(ValidityQuerySet, AccountOwnedQuerySet):
    """B15: `usable(now)` is the one rule behind voucher choice (pricing.pick_voucher) and the
    "Usable" filter of the voucher list."""


class Voucher(models.Model):
    """B15: one voucher per order; the eligible one that expires first."""

    account = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="vouchers"
    )
    code = models.CharField(_("voucher code"), max_length=24, unique=True)
    face_value = models.DecimalField(_("face value"), **MONEY)
    remaining = models.DecimalField(_("remaining"), **MONEY)
    product = models.ForeignKey(
        "billing.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty means every product."),
    )
    min_order_amount = models.DecimalField(_("minimum order amount"), **MONEY, default=0)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = VoucherQuerySet.as_manager()

    class Meta:
        ordering = ["valid_until", "id"]
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="voucher_face_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("face_value")),
                name="voucher_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="voucher_window"
            ),
        ]

    def __str__(self):
        return self.code
