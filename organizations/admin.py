"""Django admin for operators (A3). Changes that carry rules go through services, so the
admin never bypasses them: the member limit is changed with organization_set_member_limit;
memberships and invitations are read-only here (they change only through the console)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin as BaseDBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from tco_console.admin import ReadOnlyAdmin, ServiceAdmin
from tco_console.errors import DomainError
from tco_console.periodic import stale_cutoff, stuck_tasks

from . import services
from .models import (
    Account,
    AuditRecord,
    Department,
    Entity,
    Invitation,
    Membership,
    MembershipPeriod,
    Organization,
    User,
)


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "verified_at")
    search_fields = ("name", "credit_code")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
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
class UserAdmin(BaseUserAdmin):
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
