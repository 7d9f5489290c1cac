"""Shared bases for the operators' Django admin (A3)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only services write (ledger, orders, audit): operators look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose saves call durable services.

    Django's admin wraps the change view in a transaction; our services are durable
    transactions of their own and refuse to nest, so the view runs unwrapped and each save
    is atomic by itself.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._changeform_view(request, object_id, form_url, extra_context)
