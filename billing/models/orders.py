"""Orders (B3–B6): purchases, renewals and upgrades pay; downgrades and unsubscribes refund."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

from .catalog import MONEY
from .choices import OrderKind, OrderStatus, PayMode


class OrderQuerySet(ScopedQuerySet):
    """A2: an account sees the orders it owns and the orders it pays (or paid) for others."""

    permissions = {
        "view": "billing.view_finance",
        "pay": "billing.manage_finance",
        "cancel": "billing.manage_finance",
        "apply": "billing.place_order",
    }

    def scope(self, ctx, action):
        me = ctx.account.pk
        if action == "view":
            refunded = RefundShare.objects.filter(account_id=me).values("refund_order_id")
            return self.filter(Q(owner_id=me) | Q(payer_id=me) | Q(pk__in=refunded))
        if action == "pay":  # the payer pays (a self-payer is its own payer)
            return self.filter(payer_id=me, status=OrderStatus.TO_BE_PAID)
        if action == "cancel":  # the payer, or the owner that placed it
            return self.filter(Q(payer_id=me) | Q(owner_id=me), status=OrderStatus.TO_BE_PAID)
        return self.filter(owner_id=me, pay_mode=PayMode.ON_BEHALF, status=OrderStatus.TO_BE_PAID)


class Order(models.Model):
    order_no = models.CharField(_("order number"), max_length=24, unique=True)
    kind = models.CharField(_("type"), max_length=12, choices=OrderKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices)
    owner = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    payer = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        related_name="paid_orders",
        help_text=_("Who pays (or was refunded): the owner, or its payer in pay-on-behalf mode."),
    )
    pay_mode = models.CharField(_("payment method"), max_length=8, choices=PayMode.choices)
    placed_by = models.ForeignKey(
        "organizations.User",
        verbose_name=_("placed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    product = models.ForeignKey(
        "billing.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    spec = models.ForeignKey(
        "billing.Spec", verbose_name=_("spec"), on_delete=models.PROTECT, related_name="+"
    )
    previous_spec = models.ForeignKey(
        "billing.Spec",
        verbose_name=_("previous spec"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "billing.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    resource = models.ForeignKey(
        "billing.Resource",
        verbose_name=_("resource"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    list_cost = models.DecimalField(_("list cost"), **MONEY)
    discount = models.DecimalField(_("discount"), **MONEY, default=0)
    discount_rate = models.DecimalField(_("rate paid"), max_digits=5, decimal_places=4, default=1)
    offer_source = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("offer source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whose offer priced the order (the owner, or the account it inherits from)."),
    )
    voucher = models.ForeignKey(
        "billing.Voucher",
        verbose_name=_("voucher"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    voucher_amount = models.DecimalField(_("voucher"), **MONEY, default=0)
    cash_amount = models.DecimalField(_("cash"), **MONEY, default=0)
    credit_amount = models.DecimalField(_("credit"), **MONEY, default=0)
    refund_amount = models.DecimalField(_("refund"), **MONEY, default=0)
    created_at = models.DateTimeField(_("created"))
    applied_at = models.DateTimeField(_("applied for pay-on-behalf"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cancelled or refunded"), null=True, blank=True)
    # NULL = no key given; the unique constraint ignores NULLs, so it must not be "".
    idempotency_key = models.CharField(  # noqa: DJ001
        _("idempotency key"), max_length=80, null=True, blank=True
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("manage_finance", _("Can pay, cancel and top up")),
            ("view_finance", _("Can view orders, balances and bills")),
            ("place_order", _("Can buy and change resources")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"], name="order_idempotency_per_owner"
            ),
            models.CheckConstraint(
                condition=Q(list_cost__gte=0), name="order_list_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0)
                & Q(voucher_amount__gte=0)
                & Q(cash_amount__gte=0)
                & Q(credit_amount__gte=0)
                & Q(refund_amount__gte=0),
                name="order_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["payer", "pay_mode", "status", "-created_at"], name="order_payer_list"
            ),
            models.Index(fields=["owner", "-created_at"], name="order_owner_list"),
        ]

    def __str__(self):
        return self.order_no

    @property
    def payable(self):
        return self.list_cost - self.discount

    @property
    def charged(self):
        """What the payer's wallet paid (cash part plus the part on credit)."""
        return self.cash_amount + self.credit_amount


class RefundShare(models.Model):
    """B6: the part of a refund that goes back to the account that made one payment."""

    refund_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refund_shares")
    payment_order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunded_shares"
    )
    account = models.ForeignKey("organizations.Account", on_delete=models.PROTECT, related_name="+")
    cash_amount = models.DecimalField(_("returned"), **MONEY)
    voucher_amount = models.DecimalField(_("voucher share (not returned)"), **MONEY)

    class Meta:
        verbose_name = _("refund share")
        verbose_name_plural = _("refund shares")
        constraints = [
            models.CheckConstraint(
                condition=Q(cash_amount__gte=0) & Q(voucher_amount__gte=0),
                name="refund_share_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.refund_order_id} → {self.account_id}: {self.cash_amount}"
