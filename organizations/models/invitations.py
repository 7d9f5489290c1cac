"""O5: invitations from an organization to an existing account.

An invitation past its expiry reads as expired everywhere (`with_status`,
`effective_status`) before the periodic sweep writes it down.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet
from tco_console.msg import MsgField, shown

from ..choices import InvitationStatus
from .accounts import Account, User
from .organization import MEMBER_NAME_VALIDATOR, Department, Organization


class InvitationQuerySet(ScopedQuerySet):
    permissions = {
        "view": "organizations.view_org",
        "cancel": "organizations.manage_org",
        "respond": "organizations.respond_invitation",
    }

    def scope(self, ctx, action):
        received = Q(invitee_id=ctx.account.pk)
        sent = Q(organization_id=ctx.membership.organization_id) if ctx.is_admin else Q(pk__in=[])
        if action == "view":
            return self.filter(received | sent)
        if action == "cancel":
            return self.filter(sent)
        return self.filter(received)  # respond

    # O5: an invitation past its expiry that the periodic sweep has not reached yet is expired.
    # Pages read the status through these (and `Invitation.effective_status`), never the raw
    # column, so what they show does not depend on when the worker last ran.

    def with_status(self, status: str, *, now=None):
        """Invitations whose status, as of `now`, is `status`."""
        now = now or timezone.now()
        overdue = Q(status=InvitationStatus.PENDING, expires_at__lte=now)
        if status == InvitationStatus.PENDING:
            return self.filter(status=InvitationStatus.PENDING, expires_at__gt=now)
        if status == InvitationStatus.EXPIRED:
            return self.filter(Q(status=InvitationStatus.EXPIRED) | overdue)
        return self.filter(status=status)

    def annotate_effective_status(self, *, now=None):
        """`effective_status_sort`: the status as of `now`, for ordering in the database."""
        now = now or timezone.now()
        return self.annotate(
            effective_status_sort=models.Case(
                models.When(
                    status=InvitationStatus.PENDING,
                    expires_at__lte=now,
                    then=models.Value(InvitationStatus.EXPIRED.value),
                ),
                default=models.F("status"),
                output_field=models.CharField(),
            )
        )


class Invitation(models.Model):
    """O5: an invitation from an organization to an existing account."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations"
    )
    invitee = models.ForeignKey(
        Account, verbose_name=_("invitee"), on_delete=models.PROTECT, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("member name"), max_length=25, validators=[MEMBER_NAME_VALIDATOR])
    remark = models.CharField(_("remark"), max_length=40, blank=True, default="")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    permissions = models.JSONField(_("financial permissions"), default=list, blank=True)
    payer = models.ForeignKey(
        Account,
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    allow_quit = models.BooleanField(_("allow quit"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # Issue 17: a reason the console gave (msgid and parameters), read in the reader's language
    status_reason_i18n = MsgField(_("reason (translatable)"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "invitee"],
                condition=Q(status=InvitationStatus.PENDING),
                name="one_pending_invitation_per_invitee",
            ),
            models.CheckConstraint(
                condition=Q(payer__isnull=True) | Q(allow_quit=False),
                name="invitation_pay_on_behalf_cannot_allow_quit",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self):
        return _("Invitation %(id)s to %(uin)s") % {"id": self.pk, "uin": self.invitee.uin}

    @property
    def shown_status_reason(self) -> str:
        """Issue 17: the reason in the reader's language (what a user typed, as typed)."""
        return shown(self.status_reason, self.status_reason_i18n)

    @property
    def effective_status(self) -> str:
        """O5: the status as of now; pending past its expiry is expired, swept or not."""
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status

    def get_effective_status_display(self) -> str:
        return InvitationStatus(self.effective_status).label
