"""F7–F10 budgets of an organization (permission 9), modelled on Tencent's `CreateBudget`.

A `Budget` belongs to the admin's organization; its spend is F6's measure (voucher deduction
+ cash paid) summed from `DailyCost` over the rows the admin reaches for 9 (F1, F2), narrowed
to its scope and products. `BudgetThreshold`s (at most 3) fire `BudgetAlert`s once per
(period, threshold version) (F8); `BudgetBlock`s refuse new subscription orders of the member
accounts in scope while a period's actual spend is above its amount (F10).

Periods are console-time (UTC+8) months, quarters or years; `start` and `end` are the first
days of the first and the last period (`end` null: open-ended, which must be fixed).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import MsgField, shown

from .catalog import MONEY

MAX_NAME = 60
MAX_THRESHOLDS = 3  # Tencent 1085/68922: "You can add up to 3 thresholds."
MAX_PLANNED = 12  # Tencent 555/44232: later periods reuse the 12th amount
MAX_AMOUNT = 10**12  # CNY, well inside MONEY's 18 digits


class BudgetPeriod(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", _("Yearly")


class PlanType(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PLANNED = "planned", _("Planned per period")


class BudgetScope(models.TextChoices):
    ORGANIZATION = "organization", _("Whole organization")
    DEPARTMENTS = "departments", _("Departments")
    MEMBERS = "members", _("Members")


class ThresholdBasis(models.TextChoices):
    ACTUAL = "actual", _("Actual spend")
    FORECAST = "forecast", _("Forecast spend")


class ThresholdKind(models.TextChoices):
    PERCENTAGE = "percentage", _("Percentage of the period's amount")
    ABSOLUTE = "absolute", _("Amount (CNY)")


class BudgetQuerySet(ScopedQuerySet):
    """F7: the admin account's users read (view_finance) and manage (manage_finance) the
    live budgets of its organization; nobody else sees any."""

    permissions = {"view": "billing.view_finance", "change": "billing.manage_finance"}

    def live(self):
        return self.filter(deleted_at__isnull=True)

    def scope(self, ctx, action):
        if not ctx.is_admin:
            return self.none()
        return self.live().filter(organization_id=ctx.organization_id)


class Budget(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="budgets"
    )
    name = models.CharField(_("name"), max_length=MAX_NAME)
    period = models.CharField(_("period"), max_length=8, choices=BudgetPeriod.choices)
    start = models.DateField(_("first period"))
    end = models.DateField(_("last period"), null=True, blank=True)
    plan_type = models.CharField(_("amount"), max_length=8, choices=PlanType.choices)
    amount = models.DecimalField(_("amount per period"), **MONEY, null=True, blank=True)
    planned_amounts = models.JSONField(_("planned amounts"), default=list, blank=True)
    scope = models.CharField(_("scope"), max_length=12, choices=BudgetScope.choices)
    departments = models.ManyToManyField(
        "organizations.Department", blank=True, related_name="+", verbose_name=_("departments")
    )
    members = models.ManyToManyField(
        "organizations.Account", blank=True, related_name="+", verbose_name=_("members")
    )
    products = models.ManyToManyField(
        "billing.Product", blank=True, related_name="+", verbose_name=_("products")
    )
    notify_member_owners = models.BooleanField(_("notify the members in scope"), default=False)
    block_orders = models.BooleanField(_("refuse new subscription orders when over"), default=False)
    created_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # The figures of the last evaluation (F8, every minute), read by the list page so it
    # costs the same few queries whatever the number of budgets and members.
    figures_period = models.DateField(_("figures' period"), null=True, blank=True)
    actual_spend = models.DecimalField(_("actual spend"), **MONEY, null=True, blank=True)
    forecast_spend = models.DecimalField(_("forecast spend"), **MONEY, null=True, blank=True)
    figures_at = models.DateTimeField(_("figures at"), null=True, blank=True)

    objects = BudgetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=Q(deleted_at__isnull=True),
                name="budget_name_unique_in_org",
            ),
            models.CheckConstraint(
                condition=Q(plan_type="planned") | Q(amount__gt=0, amount__lte=MAX_AMOUNT),
                name="budget_fixed_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(plan_type="fixed") | Q(end__isnull=False),
                name="budget_open_ended_is_fixed",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="budget_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(period__in=BudgetPeriod.values), name="budget_period_known"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=BudgetScope.values), name="budget_scope_known"
            ),
        ]

    def __str__(self):
        return self.name


class BudgetThreshold(models.Model):
    """F8: one of a budget's (at most 3) thresholds; `version` is bumped when it is edited,
    which re-arms it."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="thresholds")
    position = models.PositiveSmallIntegerField(_("row"))
    basis = models.CharField(_("spend"), max_length=8, choices=ThresholdBasis.choices)
    kind = models.CharField(_("type"), max_length=10, choices=ThresholdKind.choices)
    value = models.DecimalField(_("value"), **MONEY)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["budget", "position"]
        verbose_name = _("budget threshold")
        verbose_name_plural = _("budget thresholds")
        constraints = [
            models.UniqueConstraint(fields=["budget", "position"], name="one_threshold_per_row"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_THRESHOLDS),
                name="at_most_3_thresholds",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="threshold_value_positive"),
            models.CheckConstraint(
                condition=Q(kind="absolute") | Q(value__lte=1000),
                name="threshold_percentage_max_1000",
            ),
        ]

    def __str__(self):
        unit = "%" if self.kind == ThresholdKind.PERCENTAGE else " CNY"
        return f"{self.get_basis_display()} ≥ {self.value.normalize():f}{unit}"


class BudgetAlert(models.Model):
    """F8: a threshold fired for a period; never twice for (threshold, period, version)."""

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="alerts")
    threshold = models.ForeignKey(
        BudgetThreshold, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    period_start = models.DateField(_("period"))
    threshold_version = models.PositiveIntegerField(_("threshold version"))
    spend = models.DecimalField(_("actual spend"), **MONEY)
    forecast = models.DecimalField(_("forecast spend"), **MONEY, null=True, blank=True)
    amount = models.DecimalField(_("period amount"), **MONEY)
    message = models.CharField(_("message"), max_length=300)  # in English
    # Issue 17: what `message` means, rendered in the reader's language
    message_i18n = MsgField(_("message (translatable)"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["threshold", "period_start", "threshold_version"],
                name="budget_alert_once",
            )
        ]
        indexes = [models.Index(fields=["budget", "-created_at"], name="budgetalert_newest")]

    def __str__(self):
        return self.shown_message

    @property
    def shown_message(self) -> str:
        """Issue 17: the alert in the reader's language (the stored text for older rows)."""
        return shown(self.message, self.message_i18n)


class BudgetBlock(models.Model):
    """F10: new subscription orders of `account` are refused until `period_end`."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="blocks")
    account = models.ForeignKey("organizations.Account", on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("period"))
    period_end = models.DateTimeField(_("until"))
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget order block")
        verbose_name_plural = _("budget order blocks")
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "account", "period_start"], name="one_budget_block"
            )
        ]
        # the order check: one indexed range query per order (F10)
        indexes = [models.Index(fields=["account", "period_end"], name="budgetblock_account")]

    def __str__(self):
        return f"{self.budget_id} blocks {self.account_id} until {self.period_end}"
