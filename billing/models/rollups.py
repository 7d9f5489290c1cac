"""B11 rollups: bill line totals pre-aggregated at the grains the bill pages read.

Each rollup is kept exact in the same transaction as the bill lines it sums
(`billing.services.bills.record_bill_lines`), under the payer's account lock, so a page reads a
handful of rows whatever the number of line items, and `check_books` proves every rollup equals
the lines. `BillSummary` (month × payer × owner × product) is the base grain; the others serve
one page each:

- `PayerProductMonth`: month × payer × product, split by pay-on-behalf or self-paid: the
  by-product tab, the monthly trend, Overview's charts and the invoiceable amount (B12).
- `PobMemberMonth`: month × payer × member, pay-on-behalf only, with the member's current
  department: the by-member tab, paged and sorted in the database.
- `PobDepartmentMonth`: month × payer × department, pay-on-behalf only: the department drill
  -down. A member's spend follows it when it moves (O8); spend of accounts that left the
  organization has no department ("former members").
- `ResourceMonth`: month × payer × owner × resource: Billing Center's bills by resource.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalog import MONEY

AMOUNTS = ("list_cost", "discount", "voucher_amount", "cash_amount")
TOTALS = (*AMOUNTS, "line_count")


class Totals(models.Model):
    list_cost = models.DecimalField(_("list cost"), **MONEY, default=0)
    discount = models.DecimalField(_("discount"), **MONEY, default=0)
    voucher_amount = models.DecimalField(_("voucher deduction"), **MONEY, default=0)
    cash_amount = models.DecimalField(_("cash paid"), **MONEY, default=0)
    line_count = models.PositiveIntegerField(_("line items"), default=0)

    class Meta:
        abstract = True

    def __str__(self):
        key = [f"{self.bill_month:%Y-%m}", f"payer {self.payer_id}"]
        for name in ("owner_id", "department_id", "resource_id", "product_id"):
            if hasattr(self, name):
                key.append(f"{name[:-3]} {getattr(self, name)}")
        return " ".join(key)


def _account(**kwargs):
    return models.ForeignKey(
        "organizations.Account", on_delete=models.PROTECT, related_name="+", **kwargs
    )


def _department():
    """The member's current department; null files totals under "Former members"."""
    return models.ForeignKey(
        "organizations.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )


class PayerProductMonth(Totals):
    bill_month = models.DateField(_("bill month"))
    payer = _account()
    product = models.ForeignKey("billing.Product", on_delete=models.PROTECT, related_name="+")
    on_behalf = models.BooleanField(_("pay-on-behalf"))

    class Meta:
        verbose_name = _("bill total by product")
        verbose_name_plural = _("bill totals by product")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "bill_month", "on_behalf", "product"],
                name="one_payer_product_month",
            )
        ]


class PobMemberMonth(Totals):
    bill_month = models.DateField(_("bill month"))
    payer = _account()
    owner = _account()
    department = _department()

    class Meta:
        verbose_name = _("pay-on-behalf total by member")
        verbose_name_plural = _("pay-on-behalf totals by member")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "bill_month", "owner"], name="one_pob_member_month"
            )
        ]
        indexes = [
            # the by-member tab: one month of one payer, largest first, paged
            models.Index(
                fields=["payer", "bill_month", "-cash_amount", "owner"], name="pobmember_top"
            ),
            models.Index(fields=["owner"], name="pobmember_owner"),
        ]


class PobDepartmentMonth(Totals):
    bill_month = models.DateField(_("bill month"))
    payer = _account()
    department = _department()

    class Meta:
        verbose_name = _("pay-on-behalf total by department")
        verbose_name_plural = _("pay-on-behalf totals by department")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "bill_month", "department"],
                condition=Q(department__isnull=False),
                name="one_pob_department_month",
            ),
            models.UniqueConstraint(
                fields=["payer", "bill_month"],
                condition=Q(department__isnull=True),
                name="one_pob_former_members_month",
            ),
        ]


class ResourceMonth(Totals):
    bill_month = models.DateField(_("bill month"))
    payer = _account()
    owner = _account()
    resource = models.ForeignKey(
        "billing.Resource", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    product = models.ForeignKey("billing.Product", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("bill total by resource")
        verbose_name_plural = _("bill totals by resource")
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "owner", "bill_month", "resource", "product"],
                condition=Q(resource__isnull=False),
                name="one_resource_month",
            ),
            models.UniqueConstraint(
                fields=["payer", "owner", "bill_month", "product"],
                condition=Q(resource__isnull=True),
                name="one_resourceless_month",
            ),
        ]
        indexes = [
            models.Index(
                fields=["payer", "owner", "bill_month", "-cash_amount"], name="resmonth_top"
            )
        ]


class DailyCost(Totals):
    """F5: bill line totals by console day (UTC+8, of the line's time) × bill month × payer ×
    owner × product × region × billing mode × transaction type × the owner's tags when the
    line was written. Kept exact with the lines in the money transaction like the monthly
    rollups; cost analysis (F6) and budgets (F7–F10) read only this table."""

    day = models.DateField(_("day"))
    bill_month = models.DateField(_("bill month"))
    payer = _account()
    owner = _account()
    product = models.ForeignKey("billing.Product", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("billing.Region", on_delete=models.PROTECT, related_name="+")
    billing_mode = models.CharField(_("billing mode"), max_length=12)
    transaction_type = models.CharField(_("transaction type"), max_length=12)
    tag_set = models.ForeignKey(
        "organizations.TagSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    KEY = (
        "day",
        "bill_month",
        "payer_id",
        "owner_id",
        "product_id",
        "region_id",
        "billing_mode",
        "transaction_type",
        "tag_set_id",
    )

    class Meta:
        verbose_name = _("daily cost")
        verbose_name_plural = _("daily costs")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "payer",
                    "day",
                    "owner",
                    "product",
                    "region",
                    "billing_mode",
                    "transaction_type",
                    "bill_month",
                    "tag_set",
                ],
                condition=Q(tag_set__isnull=False),
                name="one_daily_cost",
            ),
            models.UniqueConstraint(
                fields=[
                    "payer",
                    "day",
                    "owner",
                    "product",
                    "region",
                    "billing_mode",
                    "transaction_type",
                    "bill_month",
                ],
                condition=Q(tag_set__isnull=True),
                name="one_untagged_daily_cost",
            ),
        ]
        indexes = [models.Index(fields=["owner", "day"], name="dailycost_owner_day")]

    def __str__(self):
        return f"{self.day} payer {self.payer_id} owner {self.owner_id} product {self.product_id}"


class CostVersion(models.Model):
    """F5/F6: a counter per payer, raised in every transaction that changes the payer's
    daily rollup rows (and by a rebuild). A cached cost analysis is keyed by the versions of
    the payers whose rows it read, so it is never served once one of them changed."""

    payer = models.OneToOneField(
        "organizations.Account", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("cost version")
        verbose_name_plural = _("cost versions")

    def __str__(self):
        return f"payer {self.payer_id} v{self.version}"
