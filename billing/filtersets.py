import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Department
from tco_console.filtersets import SearchMixin
from tco_console.forms import ModelChoiceFilter

from .bill_selectors import parse_month
from .models import BillLine, Entry, Message, Order, Product, Resource, ResourcePack, Voucher
from .models.choices import (
    BillingMode,
    JournalKind,
    MessageCategory,
    OrderKind,
    OrderStatus,
    ResourceStatus,
    TransactionType,
)


def _date():
    return forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


def _products():
    return Product.objects.filter(sells_subscription=True).order_by("position", "code")


def _payg_products():
    return Product.objects.filter(sells_payg=True).order_by("position", "code")


def _pack_products():
    return (
        Product.objects.filter(specs__pack_quantity__isnull=False)
        .distinct()
        .order_by("position", "code")
    )


def _from(field="created_at"):
    return django_filters.DateFilter(
        field_name=field, lookup_expr="date__gte", label=_("Created from"), widget=_date()
    )


def _to(field="created_at"):
    return django_filters.DateFilter(
        field_name=field, lookup_expr="date__lte", label=_("to"), widget=_date()
    )


# The "State" filter of the voucher (B15) and resource-pack lists, by the rows' validity.
VALIDITY_STATES = [("usable", _("Usable")), ("used", _("Used up")), ("expired", _("Expired"))]


def validity_state(queryset, value):
    """Narrow a ValidityQuerySet to one of VALIDITY_STATES (billing.models.catalog)."""
    now = timezone.now()
    if value == "usable":
        return queryset.usable(now)  # the rule pick_voucher applies to vouchers (B15)
    if value == "used":
        return queryset.used_up()
    return queryset.expired(now)


class ResourceFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("instance_id", "spec__name", "spec__name_zh")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    product = ModelChoiceFilter(
        queryset=_products(), label=_("Product"), empty_label=_("All products")
    )
    status = django_filters.ChoiceFilter(
        choices=ResourceStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )

    class Meta:
        model = Resource
        fields = ["q", "product", "status"]


class PaygResourceFilterSet(ResourceFilterSet):
    """Products → Pay-as-you-go: the same filters over the products sold by usage."""

    product = ModelChoiceFilter(
        queryset=_payg_products(), label=_("Product"), empty_label=_("All products")
    )


class PackFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("spec__name", "spec__name_zh", "spec__code")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    product = ModelChoiceFilter(
        queryset=_pack_products(), label=_("Product"), empty_label=_("All products")
    )
    state = django_filters.ChoiceFilter(
        choices=VALIDITY_STATES,
        method="by_state",
        label=_("State"),
        empty_label=_("All packs"),
    )

    class Meta:
        model = ResourcePack
        fields = ["q", "product", "state"]

    def by_state(self, queryset, name, value):
        return validity_state(queryset, value)


class PaidResourceFilterSet(SearchMixin, django_filters.FilterSet):
    """Pay-on-behalf order management → Resources (B9): what the payer pays for."""

    search_fields = ("owner__name", "owner__uin", "owner__membership__name", "instance_id")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ResourceStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    billing_mode = django_filters.ChoiceFilter(
        choices=BillingMode.choices, label=_("Billing mode"), empty_label=_("All billing modes")
    )

    class Meta:
        model = Resource
        fields = ["q", "status", "billing_mode"]


class PayOnBehalfOrderFilterSet(SearchMixin, django_filters.FilterSet):
    """Pay-on-behalf order management. The status is the page's tabs (`?status=`), not here."""

    search_fields = ("owner__name", "owner__uin", "owner__membership__name", "order_no")
    q = django_filters.CharFilter(method="search", label=_("Member"))
    product = ModelChoiceFilter(
        queryset=_products(), label=_("Product"), empty_label=_("All products")
    )
    since = _from()
    until = _to()

    class Meta:
        model = Order
        fields = ["q", "product", "since", "until"]


class OrderFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("order_no", "resource__instance_id")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    kind = django_filters.ChoiceFilter(
        choices=OrderKind.choices, label=_("Type"), empty_label=_("All types")
    )
    product = ModelChoiceFilter(
        queryset=_products(), label=_("Product"), empty_label=_("All products")
    )
    since = _from()
    until = _to()

    class Meta:
        model = Order
        fields = ["q", "status", "kind", "product", "since", "until"]


class VoucherFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("code",)
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.ChoiceFilter(
        choices=VALIDITY_STATES,
        method="by_state",
        label=_("State"),
        empty_label=_("All vouchers"),
    )

    class Meta:
        model = Voucher
        fields = ["q", "state"]

    def by_state(self, queryset, name, value):
        return validity_state(queryset, value)


class TransactionFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("order__order_no", "resource__instance_id", "owner__uin", "owner__name")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(
        field_name="journal__kind",
        choices=JournalKind.choices,
        label=_("Type"),
        empty_label=_("All types"),
    )
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From"), widget=_date()
    )
    until = _to()
    direction = django_filters.ChoiceFilter(
        choices=(("in", _("Income")), ("out", _("Expense"))),
        method="by_direction",
        label=_("Direction"),
        empty_label=_("Income and expense"),
    )
    paid_for = django_filters.ChoiceFilter(
        choices=(("self", _("This account")), ("members", _("Members (pay-on-behalf)"))),
        method="by_owner",
        label=_("Paid for"),
        empty_label=_("Anyone"),
    )

    class Meta:
        model = Entry
        fields = ["q", "kind", "direction", "paid_for", "since", "until"]

    def by_direction(self, queryset, name, value):
        return queryset.filter(amount__gt=0) if value == "in" else queryset.filter(amount__lt=0)

    def by_owner(self, queryset, name, value):
        """B13: movements for the account's own resources, or those it made for members."""
        mine = Q(owner__isnull=True) | Q(owner_id=F("account_id"))
        return queryset.filter(mine) if value == "self" else queryset.exclude(mine)


class MessageFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("title", "body")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    category = django_filters.ChoiceFilter(
        choices=MessageCategory.choices, label=_("Category"), empty_label=_("All categories")
    )
    read = django_filters.ChoiceFilter(
        choices=[("unread", _("Unread")), ("read", _("Read"))],
        method="by_read",
        label=_("Read"),
        empty_label=_("Read and unread"),
    )

    class Meta:
        model = Message
        fields = ["q", "category", "read"]

    def by_read(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "unread")


# ------------------------------------------------------------------ B11 bills


class MonthFilter(django_filters.CharFilter):
    """`YYYY-MM` (an `<input type="month">`) compared with the bill month."""

    def filter(self, qs, value):
        month = parse_month(value) if value else None
        if month is None:
            return qs
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": month})


def _month_input():
    return forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"})


def _departments(request):
    if request is None:
        return Department.objects.none()
    return Department.objects.restrict(request.user, "view").order_by("path")


class BillLineFilterSet(SearchMixin, django_filters.FilterSet):
    """B11 details filters: month range, member, department, product, billing mode and
    transaction type."""

    search_fields = ("owner__name", "owner__uin", "owner__membership__name")
    q = django_filters.CharFilter(method="search", label=_("Member"))
    member = django_filters.CharFilter(
        field_name="owner__uin", label=_("Member UIN"), widget=forms.HiddenInput
    )
    since = MonthFilter(
        field_name="bill_month", lookup_expr="gte", label=_("Month from"), widget=_month_input()
    )
    until = MonthFilter(
        field_name="bill_month", lookup_expr="lte", label=_("to"), widget=_month_input()
    )
    department = django_filters.NumberFilter(
        method="in_subtree", label=_("Department"), widget=forms.HiddenInput
    )
    product = ModelChoiceFilter(
        queryset=Product.objects.order_by("position", "code"),
        label=_("Product"),
        empty_label=_("All products"),
    )
    billing_mode = django_filters.ChoiceFilter(
        choices=BillingMode.choices, label=_("Billing mode"), empty_label=_("All billing modes")
    )
    transaction_type = django_filters.ChoiceFilter(
        choices=TransactionType.choices,
        label=_("Transaction type"),
        empty_label=_("All transaction types"),
    )

    class Meta:
        model = BillLine
        fields = [
            "q",
            "member",
            "since",
            "until",
            "department",
            "product",
            "billing_mode",
            "transaction_type",
        ]

    def in_subtree(self, queryset, name, value):
        """The members in the department or below it now (O3 paths); the drill-down links
        set it. A department outside the user's organization matches nothing."""
        department = _departments(self.request).filter(pk=value).first()
        if department is None:
            return queryset.none()
        return queryset.filter(owner__membership__department__path__startswith=department.path)


class SelfPaidLineFilterSet(django_filters.FilterSet):
    month = MonthFilter(
        field_name="bill_month", lookup_expr="exact", label=_("Bill month"), widget=_month_input()
    )
    product = ModelChoiceFilter(
        queryset=Product.objects.order_by("position", "code"),
        label=_("Product"),
        empty_label=_("All products"),
    )

    class Meta:
        model = BillLine
        fields = ["month", "product"]
