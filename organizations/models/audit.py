"""A4: who did what, when. Written in the same transaction as the change, never edited;
the admin reads its organization's records, anyone its own account's."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import MsgField, shown

from .accounts import Account, User
from .organization import Organization

SYSTEM = "system"  # the actor name of what the worker and the ticks do


class AuditRecordQuerySet(ScopedQuerySet):
    permissions = {"view": "organizations.view_audit"}

    def scope(self, ctx, action):
        mine = Q(actor_account_id=ctx.account.pk) | Q(target_account_id=ctx.account.pk)
        if ctx.is_admin:
            return self.filter(Q(organization_id=ctx.membership.organization_id) | mine)
        return self.filter(mine)


class AuditRecord(models.Model):
    """A4: who did what, when. Written in the same transaction as the change; never edited."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("user"), max_length=150, blank=True, default="")
    actor_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True, default="")
    object_id = models.CharField(_("object id"), max_length=40, blank=True, default="")
    message = models.CharField(_("description"), max_length=300)  # in English when a Msg
    # Issue 17: what `message` means (msgid and parameters), rendered in the reader's language
    message_i18n = MsgField(_("description (translatable)"), null=True, blank=True, editable=False)
    changes = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"]),
            models.Index(fields=["actor_account", "-created_at", "-id"]),
            models.Index(fields=["target_account", "-created_at", "-id"]),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    @property
    def shown_actor(self) -> str:
        """Who did it: the user's name, or "system" (the worker, a tick) in the reader's
        language (issue 17; the worker's records have no actor account)."""
        if self.actor_account_id is None and self.actor_name == SYSTEM:
            return gettext("system")
        return self.actor_name

    @property
    def shown_message(self) -> str:
        """Issue 17: the description in the reader's language (the stored text for older rows)."""
        return shown(self.message, self.message_i18n)
