import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from tco_console.filtersets import SearchMixin

from .choices import InvitationStatus, MemberType, PaymentMode
from .models import AuditRecord, Department, Invitation, Membership, User
from .models.tags import filter_tagged
from .roles import ROLE_LABELS
from .roles import SUB_USER_GROUPS as SUB_USER_GROUP_NAMES


class MemberFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("name", "account__uin", "remark", "account__name")

    q = django_filters.CharFilter(method="search", label=_("Search"))
    department = django_filters.NumberFilter(
        method="in_department", label=_("Department"), widget=forms.HiddenInput
    )
    member_type = django_filters.ChoiceFilter(
        choices=MemberType.choices, label=_("Member type"), empty_label=_("All types")
    )
    payment_mode = django_filters.ChoiceFilter(
        choices=PaymentMode.choices,
        method="by_payment_mode",
        label=_("Payment mode"),
        empty_label=_("All payment modes"),
    )

    tag = django_filters.CharFilter(
        method="by_tag",
        label=_("Tag"),
        widget=forms.SearchInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("key=value or key")}
        ),
    )

    class Meta:
        model = Membership
        fields = ["q", "department", "member_type", "payment_mode", "tag"]

    def in_department(self, queryset, name, value):
        """A department's members include those of its sub-departments (one prefix query)."""
        dept = Department.objects.filter(
            pk=value, organization_id__in=queryset.values("organization_id")
        ).first()
        if dept is None:
            return queryset.none()
        return queryset.filter(department__path__startswith=dept.path)

    def by_payment_mode(self, queryset, name, value):
        if value == PaymentMode.PAY_ON_BEHALF:
            return queryset.filter(payer__isnull=False)
        return queryset.filter(payer__isnull=True).exclude(member_type=MemberType.ADMIN)

    def by_tag(self, queryset, name, value):
        """F11: members whose tags have the key (`key`) or the key with that value
        (`key=value`)."""
        key, sep, wanted = value.partition("=")
        key, wanted = key.strip(), wanted.strip()
        if not key:
            return queryset
        return filter_tagged(queryset, [(key, wanted if sep else None)])


class InvitationFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("name", "invitee__uin", "organization__admin_account__name")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=InvitationStatus.choices, empty_label=_("All statuses"), method="by_status"
    )

    class Meta:
        model = Invitation
        fields = ["q", "status"]

    def by_status(self, queryset, name, value):
        return queryset.with_status(value)  # O5: as of now, whatever the sweep has done


class AuditFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("message", "actor_name", "action", "target_account__uin")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditRecord
        fields = ["q", "since", "until"]


class SubUserFilterSet(SearchMixin, django_filters.FilterSet):
    search_fields = ("username", "first_name", "email")
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=[("active", _("Active")), ("deactivated", _("Deactivated"))],
        method="by_status",
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    group = django_filters.ChoiceFilter(
        choices=[(name, ROLE_LABELS[name]) for name in SUB_USER_GROUP_NAMES],
        field_name="groups__name",
        label=_("Group"),
        empty_label=_("All groups"),
    )

    class Meta:
        model = User
        fields = ["q", "status", "group"]

    def by_status(self, queryset, name, value):
        return queryset.filter(is_active=value == "active")
