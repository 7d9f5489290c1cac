"""P: service control policies, which products an organization's members may use (P1), and
where they are attached (Root, a department or a member)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

from .accounts import Account
from .organization import Department, Organization

# tco-api.md CreatePolicy Name: 1–128 Chinese characters, letters, digits and underscores
POLICY_NAME_VALIDATOR = RegexValidator(
    r"^[0-9A-Za-z_\u4e00-\u9fff]+$",
    _("Use letters, digits, Chinese characters and underscores only."),
)


class PolicyEffect(models.TextChoices):
    ALLOW = "allow", _("Allow")
    DENY = "deny", _("Deny")


class ServiceControlPolicyQuerySet(ScopedQuerySet):
    """A2: policies are the admin account's: it sees and manages its organization's. A member
    reads only its effective policy (P3, on its own page), never the policies themselves."""

    permissions = {"view": "organizations.view_org", "change": "organizations.manage_org"}

    def scope(self, ctx, action):
        if not ctx.is_admin:
            return self.none()
        return self.filter(organization_id=ctx.membership.organization_id)


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

    objects = ServiceControlPolicyQuerySet.as_manager()

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
