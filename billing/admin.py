"""Operators' admin for billing (A3): catalog, offers, blocklist, vouchers, credit limits and
top-ups (through the services, so every change is a ledger journal with an audit record);
resources are suspended and resumed through the lifecycle services; orders, ledger, bills and
messages are read-only. Plain edits (catalog, offers, blocklist, vouchers) are audited by
AuditedAdmin in the admin's own transaction (A4)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from organizations.admin import AuditedAdmin
from tco_console.admin import ReadOnlyAdmin, ServiceAdmin
from tco_console.errors import DomainError

from . import services
from .models import (
    BillLine,
    CreditAllocation,
    CreditChange,
    Entry,
    InheritanceBlock,
    Invoice,
    Journal,
    Message,
    Offer,
    OfferInheritance,
    Order,
    Product,
    RefundShare,
    Region,
    Resource,
    Spec,
    Voucher,
    Wallet,
)
from .services import invoices


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_zh")
    search_fields = ("code", "name", "name_zh")


class SpecInline(admin.TabularInline):
    model = Spec
    extra = 0
    fields = ("code", "name", "name_zh", "rank", "monthly_price", "payg_price")


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name",
        "name_zh",
        "sells_subscription",
        "sells_payg",
        "payg_cycle",
        "position",
    )
    list_filter = ("sells_subscription", "sells_payg", "payg_cycle")
    search_fields = ("code", "name", "name_zh")
    inlines = [SpecInline]


@admin.register(Spec)
class SpecAdmin(AuditedAdmin):
    list_display = ("product", "code", "name", "name_zh", "rank", "monthly_price", "payg_price")
    list_filter = ("product",)
    search_fields = ("code", "name", "name_zh")
    list_select_related = ("product",)


@admin.register(Offer)
class OfferAdmin(AuditedAdmin):
    list_display = ("account", "product", "kind", "rate", "created_at")
    list_filter = ("kind", "product")
    search_fields = ("account__uin", "account__name")
    raw_id_fields = ("account",)
    list_select_related = ("account", "product")


@admin.register(InheritanceBlock)
class InheritanceBlockAdmin(AuditedAdmin):
    list_display = ("product", "created_at")


@admin.register(OfferInheritance)
class OfferInheritanceAdmin(AuditedAdmin):
    list_display = ("account", "source", "organization", "created_at")
    search_fields = ("account__uin", "source__uin")
    raw_id_fields = ("account", "source", "organization")
    list_select_related = ("account", "source")


class VoucherForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = (
            "account",
            "code",
            "face_value",
            "product",
            "min_order_amount",
            "valid_from",
            "valid_until",
        )


@admin.register(Voucher)
class VoucherAdmin(AuditedAdmin):
    """Operators issue vouchers; what remains of one changes only by paying orders."""

    form = VoucherForm
    list_display = (
        "code",
        "account",
        "face_value",
        "remaining",
        "product",
        "min_order_amount",
        "valid_until",
    )
    list_filter = ("product",)
    search_fields = ("code", "account__uin")
    raw_id_fields = ("account",)
    list_select_related = ("account", "product")

    def get_readonly_fields(self, request, obj=None):
        return ("account", "code", "face_value", "remaining") if obj else ()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.remaining = obj.face_value
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


class WalletForm(forms.ModelForm):
    top_up = forms.DecimalField(
        label=_("Top up (CNY)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=18,
        decimal_places=2,
        help_text=_(
            "Credits the account's cash with a ledger journal (for bank transfers received)."
        ),
    )

    class Meta:
        model = Wallet
        fields = ("credit_limit",)
        help_texts = {
            "credit_limit": _(
                "The account's effective credit limit (B2). A member's includes the credit its "
                "organization's admin allocated to it (F14), which it cannot go below; an admin "
                "account's is its unallocated line (what it allocated is in its members' limits)."
            )
        }


class WalletAddForm(WalletForm):
    """A3: an operator gives a credit limit (or a deposit) to an account that never moved
    money, so has no wallet yet; a second wallet for one account is refused by the form."""

    class Meta:
        model = Wallet
        fields = ("account", "credit_limit")


@admin.register(Wallet)
class WalletAdmin(ServiceAdmin):
    form = WalletForm
    add_form = WalletAddForm
    list_display = ("account", "cash", "credit_limit", "frozen", "updated_at")
    search_fields = ("account__uin", "account__name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("account", "credit_limit", "top_up")
        return ("account", "cash", "credit_limit", "frozen", "top_up", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("account", "cash", "frozen", "updated_at")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            if not change or "credit_limit" in form.changed_data:  # a new wallet is made here
                services.wallet_set_credit_limit(
                    account=obj.account,
                    limit=form.cleaned_data["credit_limit"],
                    acting_user=request.user,
                )
            if form.cleaned_data.get("top_up"):
                services.wallet_top_up(
                    account=obj.account,
                    amount=form.cleaned_data["top_up"],
                    acting_user=request.user,
                )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    fields = ("book", "account", "amount", "balance_after", "owner", "order", "resource", "voucher")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CreditAllocation)
class CreditAllocationAdmin(ReadOnlyAdmin):
    """F14: read-only; admins allocate on their Credit limits page, and the wallet's credit
    limit above is the effective one (it includes these allocations)."""

    list_display = ("member", "admin", "amount", "temporary_amount", "temporary_until")
    search_fields = ("member__uin", "admin__uin")
    list_select_related = ("member", "admin")


@admin.register(CreditChange)
class CreditChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "member",
        "admin",
        "old_amount",
        "new_amount",
        "old_temporary",
        "new_temporary",
        "temporary_until",
        "actor",
    )
    list_filter = ("kind",)
    search_fields = ("member__uin", "admin__uin")
    list_select_related = ("member", "admin", "actor")


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "created_at", "memo", "order", "created_by")
    list_filter = ("kind",)
    search_fields = ("memo", "order__order_no")
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    list_select_related = ("order", "created_by")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "journal", "book", "account", "amount", "balance_after", "owner")
    list_filter = ("book",)
    search_fields = ("account__uin", "owner__uin")
    list_select_related = ("journal", "account", "owner")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "order_no",
        "kind",
        "status",
        "owner",
        "payer",
        "pay_mode",
        "product",
        "list_cost",
        "cash_amount",
        "created_at",
    )
    list_filter = ("status", "kind", "pay_mode", "product")
    search_fields = ("order_no", "owner__uin", "payer__uin")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "payer", "product")


@admin.register(RefundShare)
class RefundShareAdmin(ReadOnlyAdmin):
    list_display = ("refund_order", "payment_order", "account", "cash_amount", "voucher_amount")
    list_select_related = ("refund_order", "payment_order", "account")


class ResourceOperatorForm(forms.ModelForm):
    """A3, B9: an operator suspends or resumes a resource (through the lifecycle services)."""

    operation = forms.ChoiceField(
        label=_("Operator action"),
        choices=[("", "—"), ("suspend", _("Suspend")), ("resume", _("Resume"))],
        required=False,
    )
    operation_reason = forms.CharField(
        label=_("Reason (sent to the customer)"), required=False, max_length=200
    )

    class Meta:
        model = Resource
        fields = ()


@admin.register(Resource)
class ResourceAdmin(ServiceAdmin):
    form = ResourceOperatorForm
    list_display = (
        "instance_id",
        "owner",
        "product",
        "spec",
        "region",
        "billing_mode",
        "status",
        "suspended_reason",
        "period_end",
    )
    list_filter = ("status", "suspended_reason", "billing_mode", "product")
    search_fields = ("instance_id", "owner__uin")
    list_select_related = ("owner", "product", "spec", "region")
    actions = ("suspend_selected", "resume_selected")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Resource._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        operation = form.cleaned_data.get("operation")
        reason = form.cleaned_data.get("operation_reason", "")
        try:
            if operation == "suspend":
                services.resource_suspend_by_operator(
                    resource=obj, acting_user=request.user, reason=reason
                )
            elif operation == "resume":
                services.resource_resume_by_operator(
                    resource=obj, acting_user=request.user, reason=reason
                )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

    def _each(self, request, queryset, service):
        done = 0
        for res in queryset.order_by("pk"):
            try:
                service(resource=res, acting_user=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
        if done:
            self.message_user(request, _("%(n)s resource(s) done.") % {"n": done})

    @admin.action(description=_("Suspend selected resources (operator)"), permissions=["change"])
    def suspend_selected(self, request, queryset):
        self._each(request, queryset, services.resource_suspend_by_operator)

    @admin.action(description=_("Resume selected resources (operator)"), permissions=["change"])
    def resume_selected(self, request, queryset):
        self._each(request, queryset, services.resource_resume_by_operator)


@admin.register(BillLine)
class BillLineAdmin(ReadOnlyAdmin):
    list_display = (
        "bill_month",
        "owner",
        "payer",
        "product",
        "transaction_type",
        "list_cost",
        "discount",
        "voucher_amount",
        "cash_amount",
    )
    list_filter = ("transaction_type", "billing_mode", "product")
    search_fields = ("owner__uin", "payer__uin")
    list_select_related = ("owner", "payer", "product")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "category", "title", "read_at")
    list_filter = ("category",)
    search_fields = ("title", "account__uin")
    list_select_related = ("account",)


class InvoiceDecisionForm(forms.ModelForm):
    """B12: operators issue or reject a requested invoice (through the services)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("issue", _("Issue")), ("reject", _("Reject"))],
        required=False,
    )
    decision_reason = forms.CharField(
        label=_("Reason (for a rejection)"), required=False, max_length=200
    )

    class Meta:
        model = Invoice
        fields = ()


@admin.register(Invoice)
class InvoiceAdmin(ServiceAdmin):
    form = InvoiceDecisionForm
    list_display = ("id", "account", "title", "amount", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("account__uin", "title", "tax_number")
    readonly_fields = (
        "account",
        "title",
        "tax_number",
        "amount",
        "status",
        "reason",
        "requested_by",
        "requested_by_admin",  # F16: requested by the organization's admin for this member
        "decided_by",
        "created_at",
        "decided_at",
    )
    list_select_related = ("account",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "issue":
                invoices.invoice_issue(invoice=obj, acting_user=request.user)
            elif decision == "reject":
                invoices.invoice_reject(
                    invoice=obj,
                    acting_user=request.user,
                    reason=form.cleaned_data.get("decision_reason", ""),
                )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
