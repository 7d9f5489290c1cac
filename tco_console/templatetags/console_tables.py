"""Table rows rendered in Python (the shared table template's `<tbody>`).

The library's template renders each cell through the template engine (attributes, then the
value), which made a 25-row, 13-column page cost ~100 ms. This does the same per cell (the
column's `td` attributes for that row, the value escaped and localized as `{{ cell }}` would)
without the engine. What django-tables2's `BoundRow` works out again for every cell is
worked out once per table here (issue 16): the visible columns, a column's `td` attributes
when none is computed from the row, the arguments of its render method, whether its value
is a model field with choices (shown by `get_FOO_display`), and the row's attributes when
none is computed from the record. Values are looked up as `Accessor.resolve` does, without
first trying a model instance as a dictionary (django-tables2 3.0, pinned in pyproject).
"""

import inspect
from functools import partialmethod

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.template.base import render_value_in_context
from django.utils.safestring import SafeString, mark_safe
from django_tables2 import Column
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.utils import A, signature

from tco_console.html import escaped
from tco_console.tables import ChoiceLabels

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    cells = [_Cell(column, table) for column in table.columns]  # the visible ones, once
    row_html = _RowAttrs(table)
    shown = _Shown(context)
    rows = []
    for row in table.paginated_rows:
        record = row.record
        html = []
        for cell in cells:
            value = cell.value(row, record)
            if cell.td is None:  # `td` attributes computed from the row (BoundRow.items())
                cell.column.current_value, cell.column.current_record = value, record
                td = cell.column.attrs["td"].as_html()
            else:
                td = cell.td
            html.append(f"<td {td}>{shown(value)}</td>")
        rows.append(f"<tr {row_html(row)}>{''.join(html)}</tr>")
    return mark_safe("\n".join(rows))


class _Cell:
    """One column's cells: `BoundRow._get_and_render_with` and `_call_render`, with what
    depends only on the column worked out once."""

    def __init__(self, bound_column, table):
        self.column, self.table = bound_column, table
        column = bound_column.column
        attrs = {**table.attrs, **column.attrs}
        td = attrs.get("td", attrs.get("cell", {}))
        static = not any(callable(v) for v in td.values())
        self.td = bound_column.attrs["td"].as_html() if static else None
        self.accessor = A(bound_column.accessor)
        path, _, self.remainder = self.accessor.rpartition(A.SEPARATOR)
        self.penultimate = A(path)
        self.path = self.penultimate.bits
        self.bits = self.accessor.bits
        self.empty = column.empty_values
        self.many = isinstance(column, ManyToManyColumn)
        self.text_link = isinstance(column, BaseLinkColumn) and column.text is not None
        render = bound_column.render
        self.identity = getattr(render, "__func__", None) is Column.render and not (
            bound_column.link
        )
        self.wants, self.catch_all = signature(render)
        self.displays = {}  # (record, owner) classes → how a choices field shows, or None

    def value(self, row, record):
        penultimate = _resolve(record, self.penultimate, self.path, quiet=True)
        remainder = self.remainder
        value = None
        if isinstance(penultimate, Model):
            display = self._display(record, penultimate)
            if display is not None:
                value, remainder = display(penultimate), None
        if remainder:
            try:
                value = _resolve(record, self.accessor, self.bits)
            except Exception:
                # non-field based columns (django-tables2 issue #257)
                if self.text_link:
                    return self.render(row, None)
        if value in self.empty or (self.many and not value.exists()):
            return self.column.default
        if self.identity:
            return value
        return self.render(row, value)

    def _display(self, record, penultimate):
        """What shows a choices field's value: Django's own `get_FOO_display` read through
        `ChoiceLabels` (the same text, the choices read once), or the model's own method."""
        key = (type(record), type(penultimate))
        if key not in self.displays:
            name = f"get_{self.remainder}_display"
            try:
                field = self.accessor.get_field(record)
            except FieldDoesNotExist:
                field = None
            display = None
            if getattr(field, "choices", ()) and hasattr(penultimate, name):
                method = inspect.getattr_static(type(penultimate), name, None)
                if isinstance(method, partialmethod) and method.func is Model._get_FIELD_display:
                    own = method.keywords["field"]  # the field Django's method reads
                    labels, attname = ChoiceLabels.of(own.model, own.name), own.attname
                    display = lambda obj: labels(getattr(obj, attname))  # noqa: E731
                else:
                    display = lambda obj: getattr(obj, name)()  # noqa: E731
            self.displays[key] = display
        return self.displays[key]

    def render(self, row, value):
        kwargs = {
            "value": value,
            "record": row.record,
            "column": self.column.column,
            "bound_column": self.column,
            "bound_row": row,
            "table": self.table,
        }
        if self.catch_all:
            content = self.column.render(**kwargs)
        else:
            if any(a not in kwargs for a in self.wants):
                content = None
            else:
                content = self.column.render(**{a: kwargs[a] for a in self.wants})
        if self.column.link:
            return self.column.link(content, **kwargs)
        return content


class _Shown:
    """`render_value_in_context(value, context)`: a cell's value as `{{ cell }}` shows it.
    Text (most cells: what render methods return) is shown as `conditional_escape` shows it
    (`tco_console.html.escaped`: as it is when safe, escaped when not), as the template engine
    would after finding it is neither a date nor a number; anything else goes through the
    engine's own function."""

    def __init__(self, context):
        self.context, self.autoescape = context, context.autoescape

    def __call__(self, value) -> str:
        if self.autoescape and type(value) in (str, SafeString):
            return escaped(value)
        return render_value_in_context(value, self.context)


class _RowAttrs:
    """A row's `<tr>` attributes: worked out per row when the table computes them from the
    record, otherwise the same two strings (odd, even) for every row."""

    def __init__(self, table):
        self.static = not any(callable(v) for v in (table.row_attrs or {}).values())
        self.seen = {}

    def __call__(self, row) -> str:
        if not self.static:
            return row.attrs.as_html()
        parity = row.row_counter % 2
        if parity not in self.seen:
            self.seen[parity] = row.attrs.as_html()
        return self.seen[parity]


_KEYLESS: dict[type, bool] = {}


def _keyless(obj) -> bool:
    """A model instance that cannot be indexed: `obj[bit]` could only raise TypeError."""
    cls = type(obj)
    found = _KEYLESS.get(cls)
    if found is None:
        found = _KEYLESS[cls] = issubclass(cls, Model) and not hasattr(cls, "__getitem__")
    return found


def _resolve(record, accessor, bits, quiet=False):
    """`accessor.resolve(record, quiet=quiet)`, without first trying each model instance on
    the way as a dictionary (the library tries `obj[bit]` and catches the TypeError, for
    every cell); everything else is looked up by the library, a step at a time."""
    if not _keyless(record) or accessor.callable_args or accessor.callable_kwargs:
        return accessor.resolve(record, quiet=quiet)
    try:
        current = record
        for bit in bits:
            if _keyless(current):
                try:
                    current = getattr(current, bit)
                except AttributeError:
                    current = A(bit).resolve(current)  # raises the library's error
                if callable(current):
                    if getattr(current, "alters_data", False):
                        raise ValueError(A.ALTERS_DATA_ERROR_FMT.format(method=current.__name__))
                    if not getattr(current, "do_not_call_in_templates", False):
                        current = current()
            else:
                current = A(bit).resolve(current)
            if current is None:  # as the library stops: a relation across a null key
                break
        return current
    except Exception:
        if not quiet:
            raise
        return None


@register.filter
def form_errors(form) -> list:
    """The errors shown above a form (templates/inc/form_fields.html): the form's own and
    those of its hidden fields, which have no place of their own on the page (issue 11,
    point 9). Here because this is the kernel's registered tag library (settings.py)."""
    errors = list(form.non_field_errors())
    for field in form.hidden_fields():
        errors.extend(field.errors)
    return errors
