"""F4: consolidated bill exports. The admin account's users ask for the bill lines of a set of
accounts over up to 12 bill months; a background task writes them into a ZIP kept on the row
for 24 hours (`expires_at`), after which the periodic sweep drops the bytes."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import MsgField, shown


class ExportMode(models.TextChoices):
    COMBINED = "combined", _("One CSV for all accounts")
    PER_ACCOUNT = "per_account", _("One CSV per account")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


IN_PROGRESS = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class BillExportQuerySet(ScopedQuerySet):
    """F1, F4: an organization's exports are seen by its admin account's users with
    `billing.view_finance`, and by nobody else (404)."""

    permissions = {"view": "billing.view_finance", "change": "billing.view_finance"}

    def scope(self, ctx, action):
        if not ctx.is_admin:
            return self.none()
        return self.filter(organization_id=ctx.organization_id, account_id=ctx.account.pk)

    def listing(self):
        """Without the ZIP bytes (a list never loads them)."""
        return self.defer("result").order_by("-created_at", "-pk")

    def in_progress(self):
        return self.filter(status__in=IN_PROGRESS)


class BillExport(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(  # the admin account that asked (its lines, its members')
        "organizations.Account", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        "organizations.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # the chosen accounts, in the order their lines are written (this account first)
    account_ids = models.JSONField(_("accounts"), default=list)
    month_from = models.DateField(_("from bill month"))
    month_to = models.DateField(_("to bill month"))
    mode = models.CharField(_("files"), max_length=12, choices=ExportMode.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    lines_written = models.PositiveIntegerField(_("lines written"), default=0)
    lines_total = models.PositiveIntegerField(_("lines in all"), null=True, blank=True)
    result = models.BinaryField(_("ZIP file"), null=True, blank=True, editable=False)
    filename = models.CharField(_("file name"), max_length=100, blank=True, default="")
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    created_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True, default="")  # English
    # accounts left out at build time because they were no longer in reach (F1)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")  # English
    # Issue 17: the worker writes these for the requester: msgid and parameters, read in the
    # reader's language
    error_i18n = MsgField(_("error (translatable)"), null=True, blank=True, editable=False)
    note_i18n = MsgField(_("note (translatable)"), null=True, blank=True, editable=False)

    objects = BillExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consolidated bill export")
        verbose_name_plural = _("consolidated bill exports")
        indexes = [
            models.Index(
                fields=["organization", "-created_at", "-id"], name="billexport_org_newest"
            ),
            models.Index(fields=["status", "expires_at"], name="billexport_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month_from__lte=models.F("month_to")),
                name="billexport_months_in_order",
            ),
        ]

    def __str__(self):
        months = f"{self.month_from:%Y-%m}..{self.month_to:%Y-%m}"
        return f"{self.organization_id} {months} {self.status}"

    @property
    def shown_error(self) -> str:
        """Issue 17: why it failed, in the reader's language."""
        return shown(self.error, self.error_i18n)

    @property
    def shown_note(self) -> str:
        """Issue 17: the accounts left out, in the reader's language."""
        return shown(self.note, self.note_i18n)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.lines_total:
            return 0
        return min(100, self.lines_written * 100 // self.lines_total)
