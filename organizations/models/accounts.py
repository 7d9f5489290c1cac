"""Who signs in and for which account: enterprise entities (O2, O6, O10 compare accounts by
them), cloud accounts (one owner, any number of sub-users, A1) and the console's users.

`User.sub_users.restrict(user, action)` scopes the sub-users an owner manages (A2), as the
other models' `objects.restrict` does; `User.objects` stays Django's UserManager (the
migrations serialize it, and `create_user` lives there).
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from organizations.scoping import ScopedQuerySet

UIN_VALIDATOR = RegexValidator(r"^[1-9]\d{11}$", _("A UIN is a 12-digit number."))


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


class SubUserQuerySet(ScopedQuerySet):
    """A1, A2: the sub-users of the viewer's account, and only for its owner: a sub-user sees
    no sibling (its own page shows what it may do itself), another account's user is out of
    scope. The same rows the Users & permissions pages filtered by hand."""

    permissions = {
        "view": "organizations.manage_account_users",
        "change": "organizations.manage_account_users",
    }

    def scope(self, ctx, action):
        if not ctx.user.is_owner:
            return self.none()
        return self.filter(account_id=ctx.account.pk, is_owner=False)


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
    # Issue 17: the console's language this user chose in the header (a code of
    # settings.LANGUAGES); "" follows the browser. tco_console.middleware.UserLanguageMiddleware
    # applies it on every signed-in request, so it holds at the next sign-in, on any device.
    language = models.CharField(
        _("language"), max_length=10, blank=True, default="", choices=settings.LANGUAGES
    )

    # AbstractUser's manager, restated so it is declared before `sub_users` and stays the
    # default manager (a manager declared on the model itself comes before inherited ones).
    objects = UserManager()
    sub_users = SubUserQuerySet.as_manager()

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
