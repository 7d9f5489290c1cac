"""Forms and form fields shared by every app (the kernel layer).

Issue 11, point 6: a choice field that looks its choices up by id must refuse an id no
database can hold before it queries. SQLite raises OverflowError for an integer beyond 64
bits in `pk__in=[…]` (ModelMultipleChoiceField), which reached the user as a 500; Django
only guards the single-value lookups. These fields answer with the field's own
"not one of the available choices" error instead.
"""

from html import escape  # what Django's escape calls, without its lazy-text wrapper

from django import forms
from django.db import models
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
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


def _choice_rows(field) -> list:
    """The field's queryset read once per form (fields are copied per form), as a list."""
    queryset = field.queryset
    cached = getattr(field, "_choice_rows", None)
    if cached is None or cached[0] is not queryset:
        cached = field._choice_rows = (queryset, list(queryset))
    return cached[1]


class ListChoiceIterator(forms.models.ModelChoiceIterator):
    """Choices read in one plain query per form: Django's iterator counts the rows in a
    second query and reads them through a server-side cursor (DECLARE … WITH HOLD on
    PostgreSQL), two round trips too many for the console's small pickers (issue 16)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in _choice_rows(self.field):
            yield self.choice(obj)

    def __len__(self):
        return len(_choice_rows(self.field)) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(_choice_rows(self.field))


class FilterListChoiceIterator(filter_fields.ModelChoiceIterator, ListChoiceIterator):
    """The same for django-filter's fields (which add the "null" choice)."""


class ModelChoiceField(BoundedIdsMixin, forms.ModelChoiceField):
    iterator = ListChoiceIterator


class ModelMultipleChoiceField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    iterator = ListChoiceIterator


class FilterModelChoiceField(BoundedIdsMixin, filter_fields.ModelChoiceField):
    iterator = FilterListChoiceIterator


class FilterModelMultipleChoiceField(BoundedIdsMixin, filter_fields.ModelMultipleChoiceField):
    iterator = FilterListChoiceIterator


class ModelChoiceFilter(filters.ModelChoiceFilter):
    field_class = FilterModelChoiceField


class ModelMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    field_class = FilterModelMultipleChoiceField


class ConfirmForm(forms.Form):
    """A POST with only the CSRF token: destructive actions confirm in a modal first
    (`tco_console.viewkit.confirm_view`)."""


class QuickSelectMultiple(forms.SelectMultiple):
    """A multiple select drawn in Python with the same markup as Django's templates, which
    draw each option through a template of its own: a list of 200 accounts cost more than
    the rest of its page (issue 16). Every label, value and attribute is escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        # Django's SelectMultiple: `multiple`, an option `selected` when its value is one of
        # the values (as text), groups as (name, options) pairs; the options' dictionaries of
        # `optgroups` are not built (they were a tenth of a page of 400 accounts)
        chosen = set(self.format_value(value))
        attrs = {**self.build_attrs(self.attrs, attrs), "multiple": True}
        parts = []
        for group_value, group_label in self.choices:
            grouped = isinstance(group_label, (list, tuple))
            options = group_label if grouped else [(group_value, group_label)]
            drawn = "".join(_option(v, label, chosen) for v, label in options)
            parts.append(
                f'<optgroup label="{escape(str(group_value))}">{drawn}</optgroup>'
                if grouped
                else drawn
            )
        return mark_safe(  # every value above is escaped
            f'<select name="{escape(str(name))}"{flatatt(attrs)}>{"".join(parts)}</select>'
        )


def _option(value, label, chosen: set[str]) -> str:
    """One `<option>` as Django draws it: None's value is empty; selected when chosen."""
    value = "" if value is None else str(value)
    selected = " selected" if value in chosen else ""
    return f'<option value="{escape(value)}"{selected}>{escape(str(label))}</option>'
