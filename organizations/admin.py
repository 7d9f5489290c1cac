"""Django admin for operators (A3). Changes that carry rules go through services, so the
admin never bypasses them: the member limit is changed with organization_set_member_limit;
memberships and invitations are read-only here (they change only through the console)."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.admin import DBTaskResultAdmin as BaseDBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from tco_console.admin import ReadOnlyAdmin, ServiceAdmin
from tco_console.errors import DomainError
from tco_console.msg import Msg
from tco_console.periodic import stale_cutoff, stuck_tasks

from . import audit, services
from .models import (
    Account,
    ApiKey,
    AuditRecord,
    Department,
    Entity,
    Invitation,
    Membership,
    MembershipPeriod,
    Organization,
    PermissionChange,
    User,
)


def _plain(value):
    """A form value as JSON for an audit record (objects by primary key)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _account_of(obj) -> Account | None:
    if isinstance(obj, Account):
        return obj
    account = getattr(obj, "account", None)
    return account if isinstance(account, Account) else None


class AuditedAdmin(admin.ModelAdmin):
    """A4: every add, change and delete an operator makes in the admin writes an AuditRecord
    in the same transaction. Django's admin runs the add, change and delete views and list
    edits in a transaction, and calls log_addition / log_change / log_deletions inside it;
    actions (bulk delete) are wrapped here. The record names the operator, the object, the
    changed fields with their old and new values (secrets masked), and is filed under the
    object's account and its organization, so the console's audit log shows it too."""

    @staticmethod
    def _values(form, change):
        values = {}
        for name in form.changed_data:
            if "password" in name:
                values[name] = "(changed)"
            elif change:
                values[name] = [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
            else:
                values[name] = _plain(form.cleaned_data.get(name))
        return values

    def save_model(self, request, obj, form, change):
        request._audit_values = self._values(form, change)
        request._audit_inlines = []
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        inlines = getattr(request, "_audit_inlines", None)
        for f in formset.forms if inlines is not None else ():
            if not f.has_changed():
                continue
            deleted = formset.can_delete and formset._should_delete_form(f)
            inlines.append(
                {
                    "model": f._meta.model._meta.label_lower,
                    "id": f.instance.pk,
                    "deleted": bool(deleted),
                    "fields": {} if deleted else self._values(f, f.instance.pk is not None),
                }
            )
        super().save_formset(request, form, formset, change)

    def response_action(self, request, queryset, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset, *args, **kwargs)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(
            request, obj, "add", gettext_noop("Operator added %(model)s “%(obj)s”"), message
        )
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if message:  # "No fields changed." is not a change
            self._audit(
                request,
                obj,
                "change",
                gettext_noop("Operator changed %(model)s “%(obj)s”"),
                message,
            )
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._audit(
                request, obj, "delete", gettext_noop("Operator deleted %(model)s “%(obj)s”"), []
            )
        return entries

    def _audit(self, request, obj, verb, template, message):
        if not transaction.get_connection(router.db_for_write(self.model)).in_atomic_block:
            raise RuntimeError("admin audit records are written in the change's transaction")
        values = getattr(request, "_audit_values", None) or {}
        inlines = getattr(request, "_audit_inlines", None) or []
        request._audit_values = request._audit_inlines = None
        account = _account_of(obj)
        membership = (
            Membership.objects.filter(account=account).select_related("organization").first()
            if account is not None
            else None
        )
        audit.audit_record(
            actor=request.user,
            action=f"admin.{verb}",
            # issue 17: the model's name in each reader's language; the object as it reads now
            message=Msg(template, model=obj._meta.verbose_name, obj=str(obj)),
            organization=membership.organization if membership else None,
            target_account=account,
            obj=obj,
            changes={
                "model": obj._meta.label_lower,
                "fields": values,
                **({"inlines": inlines} if inlines else {}),
                "admin": message,
            },
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


@admin.register(Entity)
class EntityAdmin(AuditedAdmin):
    list_display = ("name", "credit_code", "verified_at")
    search_fields = ("name", "credit_code")


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = ("uin", "name", "email", "entity", "organization", "created_at")
    list_filter = ("entity",)
    search_fields = ("uin", "name", "email")
    readonly_fields = ("uin", "created_at")
    list_select_related = ("entity", "membership__organization__admin_account")

    def has_add_permission(self, request):
        return False  # accounts are created by sign-up or by an organization (O6)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("organization"))
    def organization(self, obj):
        m = getattr(obj, "membership", None)
        return f"{m.organization.display_name} ({m.get_member_type_display()})" if m else "—"


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "account", "is_owner", "is_staff", "is_active", "last_login")
    list_filter = ("is_owner", "is_staff", "is_active", "groups")
    search_fields = ("username", "email", "account__uin", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Cloud account"), {"fields": ("account", "is_owner", "all_products", "products")}),
    )
    # P2: product grants are checked against the account's policy; the owner sets them in the
    # console (Users & permissions), so operators see them here but do not edit them.
    readonly_fields = ("all_products", "products")

    def user_change_password(self, request, id, form_url=""):
        # A4: Django's password view has no transaction of its own; the audit record joins one.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ("id", "admin_account", "member_limit", "created_at", "deleted_at")
    list_filter = ("deleted_at",)
    search_fields = ("admin_account__uin", "admin_account__name")
    readonly_fields = ("admin_account", "created_at", "deleted_at")
    list_select_related = ("admin_account",)
    fields = ("admin_account", "member_limit", "created_at", "deleted_at")

    def has_add_permission(self, request):
        return False  # organizations are created in the console (O1, O2)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # O2: the member limit is the only operator-editable field; it goes through a service.
        try:
            services.organization_set_member_limit(
                organization=obj, limit=form.cleaned_data["member_limit"], acting_user=request.user
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "organization", "parent", "depth", "created_at")
    search_fields = ("name",)
    list_select_related = ("organization__admin_account", "parent")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "account",
        "organization",
        "member_type",
        "department",
        "payer",
        "allow_quit",
        "joined_at",
    )
    list_filter = ("member_type", "allow_quit")
    search_fields = ("name", "account__uin", "account__name")
    list_select_related = ("account", "organization__admin_account", "department", "payer")


@admin.register(MembershipPeriod)
class MembershipPeriodAdmin(ReadOnlyAdmin):
    list_display = ("account", "organization", "member_type", "payer", "started_at", "ended_at")
    list_filter = ("member_type",)
    search_fields = ("account__uin",)
    list_select_related = ("account", "organization__admin_account", "payer")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("id", "invitee", "organization", "name", "status", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("invitee__uin", "name")
    list_select_related = ("invitee", "organization__admin_account")


@admin.register(PermissionChange)
class PermissionChangeAdmin(ReadOnlyAdmin):
    """F17: permission changes awaiting (or past) a member's consent."""

    list_display = ("id", "account", "organization", "status", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("account__uin",)
    list_select_related = ("account", "organization__admin_account")


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Issue 15 (K2): operators see who holds which SecretId and its status, read-only; the
    encrypted SecretKey is never shown (not a listed, detail or searchable field)."""

    list_display = (
        "secret_id",
        "user",
        "status",
        "created_at",
        "last_used_at",
        "last_used_action",
    )
    list_filter = ("status",)
    search_fields = ("secret_id", "user__username")
    list_select_related = ("user",)
    fields = ("secret_id", "user", "status", "created_at", "last_used_at", "last_used_action")
    readonly_fields = fields


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "action",
        "organization",
        "target_account",
        "message",
    )
    list_filter = ("action",)
    search_fields = ("message", "actor_name", "target_account__uin", "action")
    date_hierarchy = "created_at"
    list_select_related = ("organization__admin_account", "target_account")


class StuckFilter(admin.SimpleListFilter):
    """Operators find tasks whose worker died: RUNNING past TASKS_STALE_AFTER_SECONDS."""

    title = _("stuck")
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", _("Stuck (running past the stale timeout)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=stuck_tasks().values("pk"))
        return queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(BaseDBTaskResultAdmin):
    """django-tasks-db's read-only task list, with stuck tasks marked and filterable."""

    list_display = (*BaseDBTaskResultAdmin.list_display, "stuck")
    list_filter = (StuckFilter, *BaseDBTaskResultAdmin.list_filter)

    @admin.display(description=_("stuck"), boolean=True)
    def stuck(self, obj):
        return obj.status == "RUNNING" and obj.started_at < stale_cutoff()
