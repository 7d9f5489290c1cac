"""Forms and form fields shared by every app (the kernel layer).

Issue 11, point 6: a choice field that looks its choices up by id must refuse an id no
database can hold before it queries. SQLite raises OverflowError for an integer beyond 64
bits in `pk__in=[…]` (ModelMultipleChoiceField), which reached the user as a 500; Django
only guards the single-value lookups. These fields answer with the field's own
"not one of the available choices" error instead.
"""

from django import forms
from django.db import models
from django_filters import fields as filter_fields
from django_filters import filters

MIN_ID, MAX_ID = -(2**63), 2**63 - 1


def _integer_key(field) -> bool:
    key = field.to_field_name or "pk"
    model = field.queryset.model
    model_field = model._meta.pk if key == "pk" else model._meta.get_field(key)
    return isinstance(model_field, models.IntegerField | models.AutoField)


def _out_of_range(value) -> bool:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False  # not a number: Django's own validation refuses it
    return not MIN_ID <= number <= MAX_ID


class BoundedIdsMixin:
    """For ModelChoiceField and ModelMultipleChoiceField (and django-filter's)."""

    def _refuse_out_of_range(self, values) -> None:
        if not _integer_key(self):
            return
        for value in values:
            if _out_of_range(value):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": value},
                )

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, list | tuple):
            self._refuse_out_of_range([value])
        return super().to_python(value)

    def _check_values(self, value):
        if isinstance(value, list | tuple | set | frozenset):
            self._refuse_out_of_range(value)
        return super()._check_values(value)


class ModelChoiceField(BoundedIdsMixin, forms.ModelChoiceField):
    pass


class ModelMultipleChoiceField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    pass


class FilterModelChoiceField(BoundedIdsMixin, filter_fields.ModelChoiceField):
    pass


class FilterModelMultipleChoiceField(BoundedIdsMixin, filter_fields.ModelMultipleChoiceField):
    pass


class ModelChoiceFilter(filters.ModelChoiceFilter):
    field_class = FilterModelChoiceField


class ModelMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    field_class = FilterModelMultipleChoiceField


class ConfirmForm(forms.Form):
    """A POST with only the CSRF token: destructive actions confirm in a modal first
    (`tco_console.viewkit.confirm_view`)."""
