"""Organizations, their departments, the memberships of accounts in them and the history of
those memberships (O11).

Rules live in services.py; the constraints here are the database's last word on what must
always hold (O1 one organization per account, O3 one root and unique names, O4 unique member
names, O7 no "allow quit" in pay-on-behalf mode). The other organizations models point at
these and at accounts.py; O5's invitations are in invitations.py.
"""

from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

from ..choices import MemberType
from .accounts import Account

# O3: letters, digits, CJK and + @ & . _ [ ] -   (tco-api.md: node Name)
DEPARTMENT_NAME_VALIDATOR = RegexValidator(
    r"^[0-9A-Za-z\u4e00-\u9fff+@&._\[\]\-]+$",
    _("Use letters, digits, Chinese characters and + @ & . _ [ ] - only."),
)
# O4: member Name allows the same set plus : and , (tco-api.md: member Name / AccountName)
MEMBER_NAME_VALIDATOR = RegexValidator(
    r"^[0-9A-Za-z\u4e00-\u9fff+@&._\[\]\-:,]+$",
    _("Use letters, digits, Chinese characters and + @ & . _ [ ] - : , only."),
)


class OrganizationQuerySet(ScopedQuerySet):
    permissions = {"view": "organizations.view_org", "change": "organizations.manage_org"}

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def scope(self, ctx, action):
        if ctx.membership is None or (action == "change" and not ctx.is_admin):
            return self.none()
        return self.alive().filter(pk=ctx.membership.organization_id)


class Organization(models.Model):
    admin_account = models.ForeignKey(
        Account,
        verbose_name=_("admin account"),
        on_delete=models.PROTECT,
        related_name="administered_organizations",
    )
    member_limit = models.PositiveIntegerField(
        _("member limit"),
        default=100,
        help_text=_("Accounts in the organization (admin included) plus pending invitations."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # P1: the SERVICE_CONTROL_POLICY type (EnablePolicyType / DisablePolicyType); off by default
    scp_enabled = models.BooleanField(_("service control policies enabled"), default=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["admin_account"],
                condition=Q(deleted_at__isnull=True),
                name="one_live_org_per_admin",
            ),
            models.CheckConstraint(condition=Q(member_limit__gte=1), name="member_limit_positive"),
        ]
        permissions = [
            ("view_org", _("Can view the organization console")),
            ("manage_org", _("Can manage the organization, departments and members")),
            ("view_audit", _("Can view the audit log")),
        ]

    def __str__(self):
        return _("Organization %(id)s of %(admin)s") % {"id": self.pk, "admin": self.admin_account}

    @property
    def display_name(self):
        return self.admin_account.name


class DepartmentQuerySet(ScopedQuerySet):
    permissions = {"view": "organizations.view_org", "change": "organizations.manage_org"}

    def scope(self, ctx, action):
        if ctx.is_admin:
            return self.filter(organization_id=ctx.membership.organization_id)
        if ctx.is_member and action == "view":
            return self.filter(pk=ctx.membership.department_id)
        return self.none()

    def subtree_of(self, department):
        return self.filter(
            organization_id=department.organization_id, path__startswith=department.path
        )


class Department(models.Model):
    """An organizational unit (node). O3: one Root per organization, ≤ 5 levels below it.

    `path` is the materialized chain of ids ("12/40/41/"), so a department's subtree is one
    indexed prefix query; `depth` is 0 for Root.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="departments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(
        _("name"), max_length=40, validators=[DEPARTMENT_NAME_VALIDATOR, MaxLengthValidator(40)]
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    path = models.CharField(_("path"), max_length=255, default="", db_index=True)
    # F11: the department's tags (TCO node Tags)
    tag_set = models.ForeignKey(
        "organizations.TagSet",
        verbose_name=_("tags"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="department_name_unique_in_org"
            ),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(parent__isnull=True), name="one_root_per_org"
            ),
            models.CheckConstraint(condition=Q(depth__lte=5), name="department_depth_max_5"),
            models.CheckConstraint(
                condition=(Q(parent__isnull=True) & Q(depth=0))
                | (Q(parent__isnull=False) & Q(depth__gte=1)),
                name="root_has_depth_zero",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]


class MembershipQuerySet(ScopedQuerySet):
    permissions = {
        "view": "organizations.view_org",
        "change": "organizations.manage_org",
        "quit": "organizations.respond_invitation",
    }

    def scope(self, ctx, action):
        if ctx.membership is None:
            return self.none()
        if ctx.is_admin and action in {"view", "change"}:
            return self.filter(organization_id=ctx.membership.organization_id)
        if action in {"view", "quit"}:
            # The own membership. The admin account's too for "quit": the service refuses
            # it with the reason (O7), rather than a 404 that says nothing.
            return self.filter(pk=ctx.membership.pk)
        return self.none()


class Membership(models.Model):
    """An account's current place in an organization (the admin account has one too).

    `account` is unique: O1, an account belongs to at most one organization. History is kept
    in MembershipPeriod (O11); this row is deleted when the account leaves.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    account = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="membership")
    member_type = models.CharField(_("member type"), max_length=10, choices=MemberType.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("member name"), max_length=25, validators=[MEMBER_NAME_VALIDATOR])
    remark = models.CharField(_("remark"), max_length=40, blank=True, default="")
    permissions = models.JSONField(_("financial permissions"), default=list, blank=True)
    payer = models.ForeignKey(
        Account,
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paid_memberships",
        help_text=_("Set only in pay-on-behalf mode (O9)."),
    )
    allow_quit = models.BooleanField(_("allow quit"), default=False)
    # F11: the member's tags (TCO member Tags); bill lines copy them when written (F5)
    tag_set = models.ForeignKey(
        "organizations.TagSet",
        verbose_name=_("tags"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    joined_at = models.DateTimeField(_("joined at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="member_name_unique_in_org"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(member_type=MemberType.ADMIN),
                name="one_admin_membership_per_org",
            ),
            # O7: a member in pay-on-behalf mode cannot have "allow quit" on.
            models.CheckConstraint(
                condition=Q(payer__isnull=True) | Q(allow_quit=False),
                name="pay_on_behalf_cannot_allow_quit",
            ),
            models.CheckConstraint(
                condition=~Q(member_type=MemberType.ADMIN) | Q(payer__isnull=True),
                name="admin_pays_for_itself",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "department"]),
            # the members table's default order (name, case-insensitive): a page is a range
            models.Index(
                models.F("organization"), Lower("name"), models.F("id"), name="membership_by_name"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.account.uin})" if self.account_id else self.name

    @property
    def is_admin(self) -> bool:
        return self.member_type == MemberType.ADMIN

    @property
    def pays_on_behalf_mode(self) -> bool:
        return self.payer_id is not None


class MembershipPeriod(models.Model):
    """O11: an interval during which an account was in an organization with a given payer.

    A payer switch closes one period and opens the next, so billing attribution (B8) can ask
    "who paid for this account at time t" from these rows alone.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="periods")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="periods")
    member_type = models.CharField(_("member type"), max_length=10, choices=MemberType.choices)
    payer = models.ForeignKey(
        Account,
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payer_periods",
    )
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership period")
        verbose_name_plural = _("membership periods")
        ordering = ["account", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(ended_at__isnull=True), name="one_open_period"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="period_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["organization", "account", "started_at"])]

    def __str__(self):
        end = self.ended_at or "…"
        return f"{self.account.uin} in {self.organization_id}: {self.started_at} – {end}"
