"""The simulated cloud: regions, products (Tencent-like codes) and their specs with list prices."""

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import Names

from .choices import BillingMode, Cycle, ResourceStatus, SuspendReason


class OwnedQuerySet(ScopedQuerySet):
    """Rows that belong to one account (`owner_field`): only that account sees them."""

    owner_field = "owner"
    permissions = {"view": "billing.view_finance", "change": "billing.place_order"}

    def scope(self, ctx, action):
        return self.filter(**{f"{self.owner_field}_id": ctx.account.pk})


class GrantedQuerySet(OwnedQuerySet):
    """Resources and packs: a sub-user sees and manages only those of the products its
    account owner granted it (A1/P2); the owner and "all products" sub-users see all."""

    def scope(self, ctx, action):
        return ctx.user.granted(super().scope(ctx, action))


class ValidityQuerySet(models.QuerySet):
    """Rows valid for a time window with an amount left: vouchers (B15) and resource packs.
    Their states, for choosing one to pay with and for the lists' "State" filter."""

    def usable(self, now):
        """Money or units left, inside the validity window at `now`."""
        return self.filter(remaining__gt=0, valid_from__lte=now, valid_until__gt=now)

    def used_up(self):
        return self.filter(remaining=0)

    def expired(self, now):
        return self.filter(valid_until__lte=now)


MONEY = {"max_digits": 18, "decimal_places": 2}


# Issue 17: the catalog's names in the reader's language. Each name an operator edits in the
# admin (region, product, description, usage unit, spec) has a Chinese column beside it;
# blank, the English one shows. What follows the reader is `get_language()`: the page's
# language, a CSV's `?lang=`, the API's `X-TC-Language`, a notice's recipient's language.


def chinese() -> bool:
    """Whether names are read in Chinese now (any zh-* language)."""
    return (get_language() or "").lower().startswith("zh")


def localized(path: str):
    """The query expression for the name at `path` (`"name"`, `"product__name"`,
    `"resource__spec__name"`) in the reader's language: its `_zh` column when Chinese is
    read and that column is not blank, else the English one. For `values()`, annotations
    and ordering; it reads the row's own join, so it adds no query."""
    if not chinese():
        return F(path)
    return Coalesce(NullIf(F(f"{path}_zh"), Value("")), F(path))


class LocalizedNames:
    """`display_*` reads a catalog row's text in the reader's language (see `localized`)."""

    def localized_text(self, field: str) -> str:
        chinese_text = getattr(self, f"{field}_zh") if chinese() else ""
        return chinese_text or getattr(self, field)

    @property
    def display_name(self) -> str:
        return self.localized_text("name")

    @property
    def names(self) -> Names:
        """The name in both languages, for a stored message read later (issue 17)."""
        return Names(self.name, getattr(self, "name_zh", ""))


def chinese_field(verbose_name, max_length):
    return models.CharField(
        verbose_name,
        max_length=max_length,
        blank=True,
        default="",
        help_text=_("Shown to users who read the console in Chinese; blank: the English text."),
    )


class Region(LocalizedNames, models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_zh = chinese_field(_("Chinese name"), 60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return f"{self.display_name} ({self.code})"


class Product(LocalizedNames, models.Model):
    code = models.CharField(_("product code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_zh = chinese_field(_("Chinese name"), 80)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    description_zh = chinese_field(_("Chinese description"), 300)
    sells_subscription = models.BooleanField(_("monthly subscription"), default=True)
    sells_payg = models.BooleanField(_("pay-as-you-go"), default=False)
    payg_cycle = models.CharField(
        _("settlement cycle"), max_length=10, choices=Cycle.choices, blank=True, default=""
    )
    payg_unit = models.CharField(_("usage unit"), max_length=20, blank=True, default="")
    payg_unit_zh = chinese_field(_("Chinese usage unit"), 20)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return f"{self.display_name} ({self.code})"

    @property
    def display_description(self) -> str:
        return self.localized_text("description")

    @property
    def display_unit(self) -> str:
        return self.localized_text("payg_unit")


class Spec(LocalizedNames, models.Model):
    """A configuration of a product with its list prices. `rank` orders specs for upgrades."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="specs")
    code = models.CharField(_("spec code"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    name_zh = chinese_field(_("Chinese name"), 80)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    monthly_price = models.DecimalField(_("monthly price (CNY)"), **MONEY, null=True, blank=True)
    payg_price = models.DecimalField(
        _("price per cycle (CNY)"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    pack_quantity = models.DecimalField(
        _("resource pack size"),
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Set for resource packs: the usage units one pack absorbs per month bought."),
    )

    class Meta:
        ordering = ["product", "rank", "code"]
        verbose_name = _("spec")
        verbose_name_plural = _("specs")
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="spec_code_unique"),
            models.CheckConstraint(
                condition=Q(monthly_price__isnull=True) | Q(monthly_price__gt=0),
                name="spec_monthly_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(payg_price__isnull=True) | Q(payg_price__gt=0),
                name="spec_payg_price_positive",
            ),
        ]

    def __str__(self):
        return f"{self.product.code} {self.display_name}"


class Resource(models.Model):
    """A cloud resource owned by an account: a subscription with a period, or pay-as-you-go."""

    instance_id = models.CharField(_("instance ID"), max_length=24, unique=True)
    owner = models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="resources"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    spec = models.ForeignKey(Spec, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    billing_mode = models.CharField(_("billing mode"), max_length=12, choices=BillingMode.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.ACTIVE
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    suspended_reason = models.CharField(
        _("suspended because"), max_length=10, choices=SuspendReason.choices, blank=True, default=""
    )
    frozen_by = models.ForeignKey(
        "organizations.Account",
        verbose_name=_("frozen on"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("B7: the account whose funds hold this pay-as-you-go resource's freeze."),
    )
    frozen_amount = models.DecimalField(_("frozen"), max_digits=18, decimal_places=2, default=0)
    settled_until = models.DateTimeField(_("settled until"), null=True, blank=True)
    meter_seed = models.PositiveIntegerField(_("usage meter seed"), default=0)
    expiry_notice_at = models.DateTimeField(_("expiry notice sent"), null=True, blank=True)

    objects = GrantedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        indexes = [models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(billing_mode=BillingMode.SUBSCRIPTION) | Q(period_end__isnull=False),
                name="subscription_has_period_end",
            ),
        ]

    def __str__(self):
        return self.instance_id


class ResourceStatusChange(models.Model):
    """B8/B9: a resource's status history. Each row says the resource has had `status` since
    `at`, until the next row; before its first row a resource runs from its period start.
    Written by every status change (billing.services.status.set_status), so the usage meter
    reads what the resource did during a cycle, never what it is doing when the cycle is
    settled: settlement gives the same amounts whatever order or moment it runs in."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(_("status"), max_length=12, choices=ResourceStatus.choices)
    suspended_reason = models.CharField(
        _("suspended because"), max_length=10, choices=SuspendReason.choices, blank=True, default=""
    )
    at = models.DateTimeField(_("since"))

    class Meta:
        ordering = ["resource", "at", "id"]
        verbose_name = _("resource status change")
        verbose_name_plural = _("resource status changes")
        indexes = [models.Index(fields=["resource", "at"], name="resource_status_history")]

    def __str__(self):
        return f"{self.resource_id} {self.status} since {self.at:%Y-%m-%d %H:%M:%S}"
