"""Cloud API keys (issue 15): a user's SecretId/SecretKey pairs for the TCO API, as CAM's API
keys. A request signed with a key acts as the key's user: its role groups, its sub-user
product grants and its account's place in the organization apply as in the console.

The SecretKey is stored encrypted (`tco_console.secrets`, Fernet with a key from settings), so
a database dump alone does not reveal it; it is shown to its user once, when created."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

MAX_KEYS_PER_USER = 2  # CAM: at most two API keys per user


class ApiKeyStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")


class ApiKeyQuerySet(ScopedQuerySet):
    """A user sees and manages its own keys; an account's owner also its sub-users' (A1)."""

    permissions = {"view": "organizations.view_org", "change": "organizations.view_org"}

    def scope(self, ctx, action):
        if ctx.user is None or ctx.account is None:
            return self.none()
        if ctx.user.is_owner:
            return self.filter(user__account_id=ctx.account.pk)
        return self.filter(user_id=ctx.user.pk)


class ApiKey(models.Model):
    user = models.ForeignKey(
        "organizations.User", on_delete=models.CASCADE, related_name="api_keys"
    )
    secret_id = models.CharField(_("SecretId"), max_length=40, unique=True)
    secret_key_encrypted = models.TextField(_("SecretKey (encrypted)"))
    status = models.CharField(
        _("status"), max_length=8, choices=ApiKeyStatus.choices, default=ApiKeyStatus.ENABLED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_action = models.CharField(_("last action"), max_length=64, blank=True, default="")

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["enabled", "disabled"]), name="api_key_status_known"
            ),
        ]

    def __str__(self):
        return self.secret_id

    @property
    def enabled(self) -> bool:
        return self.status == ApiKeyStatus.ENABLED


class ApiRateWindow(models.Model):
    """Issue 15, RequestLimitExceeded: requests of one key to one action in one second, kept
    in the database so every web process counts the same (TCO: 20 a second per action and
    key, 40 for DescribeOrganization). Rows older than a minute are pruned by the tick."""

    secret_id = models.CharField(max_length=40)
    action = models.CharField(max_length=64)
    second = models.BigIntegerField()  # unix time
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("API rate window")
        verbose_name_plural = _("API rate windows")
        constraints = [
            models.UniqueConstraint(
                fields=["secret_id", "action", "second"], name="one_rate_window_per_second"
            )
        ]
        indexes = [models.Index(fields=["second"], name="rate_window_second")]

    def __str__(self):
        return f"{self.secret_id} {self.action} @{self.second}: {self.count}"
