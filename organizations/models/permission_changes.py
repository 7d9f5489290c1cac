"""F17: a change of an invited member's financial permissions or payer, awaiting its consent
(TCE SDK MemberPermissionChangeRecord; TCO's OrgMember.PermissionStatus).

A `valid` record past its expiry reads as expired everywhere (`pending`, `effective_status`)
before the periodic sweep writes it down, as invitations do (O5).
"""

from datetime import timedelta

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import MsgField, shown

from ..choices import FinancialPermission, PermissionChangeStatus
from .accounts import Account, User
from .organization import Organization

# F17: a change awaits the member's consent for 15 days (the invitations' term, O5: the
# reference does not say how long TCO keeps one).
PERMISSION_CHANGE_TTL = timedelta(days=15)


class PermissionChangeQuerySet(ScopedQuerySet):
    permissions = {
        "view": "organizations.view_org",
        "respond": "organizations.respond_invitation",
        "cancel": "organizations.manage_org",
    }

    def scope(self, ctx, action):
        received = Q(account_id=ctx.account.pk)
        sent = Q(organization_id=ctx.membership.organization_id) if ctx.is_admin else Q(pk__in=[])
        if action == "view":
            return self.filter(received | sent)
        if action == "cancel":
            return self.filter(sent)
        return self.filter(received)  # respond: the member's own account

    def pending(self, *, now=None):
        """F17: records awaiting consent as of `now` (an overdue `valid` one is expired)."""
        now = now or timezone.now()
        return self.filter(status=PermissionChangeStatus.VALID, expires_at__gt=now)


def unconfirmed_exists(*, now=None) -> Exists:
    """F17: for a Membership queryset, whether its account has a change awaiting consent
    (TCO's PermissionStatus UnConfirmed), as one subquery: no query per row."""
    return Exists(
        PermissionChange.objects.pending(now=now).filter(account_id=OuterRef("account_id"))
    )


class PermissionChange(models.Model):
    """F17: one requested change of an invited member's permissions (O9) or payer (O10)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="permission_changes"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("member account"),
        on_delete=models.PROTECT,
        related_name="permission_changes",
    )
    old_permissions = models.JSONField(_("permissions before"), default=list)
    new_permissions = models.JSONField(_("permissions requested"), default=list)
    old_payer = models.ForeignKey(
        Account,
        verbose_name=_("payer before"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    new_payer = models.ForeignKey(
        Account,
        verbose_name=_("payer requested"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # O7: "allow quit" cannot be on while the member is paid for; asked together with a
    # switch to self-pay, it is turned on when the member accepts.
    allow_quit_on_accept = models.BooleanField(_("allow quit once accepted"), default=False)
    operator = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PermissionChangeStatus.choices,
        default=PermissionChangeStatus.VALID,
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # Issue 17: a reason the console gave (msgid and parameters), read in the reader's language
    status_reason_i18n = MsgField(_("reason (translatable)"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = PermissionChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("permission change")
        verbose_name_plural = _("permission changes")
        ordering = ["-created_at", "-id"]
        constraints = [
            # F17: at most one change awaits a member's consent (ChangePermissionRecordExist)
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=PermissionChangeStatus.VALID),
                name="one_valid_permission_change_per_account",
            ),
            models.CheckConstraint(
                condition=Q(new_payer__isnull=True) | Q(allow_quit_on_accept=False),
                name="permission_change_pay_on_behalf_cannot_allow_quit",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self):
        return _("Permission change %(id)s of %(uin)s") % {"id": self.pk, "uin": self.account.uin}

    @property
    def shown_status_reason(self) -> str:
        """Issue 17: the reason in the reader's language (what a user typed, as typed)."""
        return shown(self.status_reason, self.status_reason_i18n)

    @classmethod
    def expiry_for(cls, created_at):
        return created_at + PERMISSION_CHANGE_TTL

    @property
    def effective_status(self) -> str:
        """F17: the status as of now; `valid` past its expiry is expired, swept or not."""
        if self.status == PermissionChangeStatus.VALID and self.expires_at <= timezone.now():
            return PermissionChangeStatus.EXPIRED
        return self.status

    @property
    def is_pending(self) -> bool:
        return self.effective_status == PermissionChangeStatus.VALID

    def get_effective_status_display(self) -> str:
        return PermissionChangeStatus(self.effective_status).label

    @staticmethod
    def _labels(perms) -> list:
        return [FinancialPermission(p) for p in perms if p in FinancialPermission.values]

    @property
    def old_permission_labels(self) -> list:
        return self._labels(self.old_permissions)

    @property
    def new_permission_labels(self) -> list:
        return self._labels(self.new_permissions)

    @property
    def added_permissions(self) -> list[int]:
        return sorted(set(self.new_permissions) - set(self.old_permissions))

    @property
    def removed_permissions(self) -> list[int]:
        return sorted(set(self.old_permissions) - set(self.new_permissions))
