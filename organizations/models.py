"""Accounts, organizations, departments, memberships, invitations and the audit log.

Rules live in services.py; the constraints here are the database's last word on what must
always hold (O1 one organization per account, O3 one root and unique names, O4 unique member
names, O5 one pending invitation per invitee, O7 no "allow quit" in pay-on-behalf mode).
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

from .choices import InvitationStatus, MemberType

UIN_VALIDATOR = RegexValidator(r"^[1-9]\d{11}$", _("A UIN is a 12-digit number."))
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


class Entity(models.Model):
    """A real-name verified enterprise entity (认证主体). O2, O6, O10 compare accounts by it."""

    name = models.CharField(_("enterprise name"), max_length=200, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, default=""
    )
    verified_at = models.DateTimeField(_("verified at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise entity")
        verbose_name_plural = _("enterprise entities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AccountQuerySet(ScopedQuerySet):
    permissions = {"view": "organizations.view_org"}

    def scope(self, ctx, action):
        # Own account; the admin also sees the accounts currently in its organization.
        q = Q(pk=ctx.account.pk)
        if ctx.is_admin:
            q |= Q(membership__organization=ctx.organization)
        return self.filter(q)


class Account(models.Model):
    """A cloud account, identified by its UIN. One owner user, any number of sub-users."""

    uin = models.CharField(_("UIN"), max_length=12, unique=True, validators=[UIN_VALIDATOR])
    name = models.CharField(_("account name"), max_length=60)
    email = models.EmailField(_("email"), blank=True, default="")
    entity = models.ForeignKey(
        Entity,
        verbose_name=_("enterprise entity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        help_text=_("Empty means the account has no enterprise real-name verification."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["uin"]
        permissions = [
            ("manage_account_users", _("Can manage the account's sub-users")),
            ("respond_invitation", _("Can accept or decline invitations and quit")),
        ]

    def __str__(self):
        return f"{self.name} ({self.uin})"

    @property
    def is_enterprise_verified(self) -> bool:
        return self.entity_id is not None


class User(AbstractUser):
    """A console login. Every non-operator user belongs to exactly one account (§1)."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_owner = models.BooleanField(_("account owner"), default=False)
    # A1/P2: the products a sub-user may buy, activate and manage (the owner: all of them)
    all_products = models.BooleanField(_("all products"), default=True)
    products = models.ManyToManyField(
        "billing.Product", blank=True, related_name="+", verbose_name=_("products")
    )

    @property
    def product_limited(self) -> bool:
        """A1/P2: a sub-user held to the products its owner granted (the owner never is)."""
        return not (self.is_owner or self.all_products)

    def granted(self, queryset, field: str = "product"):
        """`queryset` narrowed to the products this user may use (`field` names the product)."""
        if not self.product_limited:
            return queryset
        return queryset.filter(**{f"{field}__in": self.products.values("pk")})

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_owner=True), name="one_owner_per_account"
            ),
            # Login names are unique whatever their letter case ("Dev" and "dev" are one name).
            models.UniqueConstraint(Lower("username"), name="username_unique_any_case"),
            models.CheckConstraint(
                condition=Q(is_owner=False) | Q(account__isnull=False),
                name="owner_has_account",
            ),
        ]


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
    def effective_status(self) -> str:
        """O5: the status as of now; pending past its expiry is expired, swept or not."""
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status

    def get_effective_status_display(self) -> str:
        return InvitationStatus(self.effective_status).label


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
    message = models.CharField(_("description"), max_length=300)
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


# ------------------------------------------------------------------ P: service control policies

# tco-api.md CreatePolicy Name: 1–128 Chinese characters, letters, digits and underscores
POLICY_NAME_VALIDATOR = RegexValidator(
    r"^[0-9A-Za-z_\u4e00-\u9fff]+$",
    _("Use letters, digits, Chinese characters and underscores only."),
)


class PolicyEffect(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")


class ServiceControlPolicy(models.Model):
    """P1: which products members may use. An allow policy lists the products it allows (all
    of them when `all_products`); a deny policy the products it refuses. The preset
    FullAccessPolicy is created on Root when the policy type is first enabled."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="policies"
    )
    name = models.CharField(_("name"), max_length=128, validators=[POLICY_NAME_VALIDATOR])
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    effect = models.CharField(
        _("effect"), max_length=5, choices=PolicyEffect.choices, default=PolicyEffect.ALLOW
    )
    all_products = models.BooleanField(_("all products"), default=False)
    products = models.ManyToManyField("billing.Product", blank=True, related_name="+")
    preset = models.BooleanField(_("preset"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service control policy")
        verbose_name_plural = _("service control policies")
        ordering = ["-preset", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="policy_name_unique_in_org"
            ),
        ]

    def __str__(self):
        return self.name


class PolicyAttachment(models.Model):
    """P1: a policy attached to Root or a department (`department`), or to a member
    (`account`, the member's account). Exactly one target."""

    policy = models.ForeignKey(
        ServiceControlPolicy, on_delete=models.PROTECT, related_name="attachments"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("attached at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy attachment")
        verbose_name_plural = _("policy attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=True) ^ Q(account__isnull=True),
                name="attachment_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["policy", "department"],
                condition=Q(department__isnull=False),
                name="policy_attached_once_per_department",
            ),
            models.UniqueConstraint(
                fields=["policy", "account"],
                condition=Q(account__isnull=False),
                name="policy_attached_once_per_member",
            ),
        ]

    def __str__(self):
        return f"{self.policy_id} → {self.department_id or self.account_id}"
