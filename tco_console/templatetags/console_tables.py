"""Table rows rendered in Python (the shared table template's `<tbody>`).

The library's template renders each cell through the template engine (attributes, then the
value), which made a 25-row, 13-column page cost ~100 ms. This does the same per cell (the
column's `td` attributes for that row, the value escaped and localized as `{{ cell }}` would)
without the engine; and, once per table rather than once per cell (issue 16), the visible
columns, a column's `td` attributes when none is computed from the row, and the arguments
of its render method (django-tables2 3.0's `BoundRow` internals, pinned in pyproject).
"""

from functools import partial

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe
from django_tables2.utils import signature

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    columns = list(table.columns)  # the visible ones, worked out once, not once a row
    static = {}  # column name → its `td` attributes, for columns whose attributes are fixed
    wants = {}  # column name → the arguments its render method takes, read once
    for column in columns:
        attrs = {**table.attrs, **column.column.attrs}
        td = attrs.get("td", attrs.get("cell", {}))
        if not any(callable(v) for v in td.values()):
            static[column.name] = column.attrs["td"].as_html()
        wants[column.name] = signature(column.render)
    rows = []
    for row in table.paginated_rows:
        cells = []
        for column in columns:
            # BoundRow.get_cell, with the render method called as call_with_appropriate
            # would call it (which inspects its signature again for every cell)
            value = row._get_and_render_with(
                column, render_func=partial(_render, row, wants), default=column.default
            )
            # as BoundRow.items() does: what computed `td` attributes are given
            column.current_value, column.current_record = value, row.record
            td = static[column.name] if column.name in static else column.attrs["td"].as_html()
            cells.append(f"<td {td}>{render_value_in_context(value, context)}</td>")
        rows.append(f"<tr {row.attrs.as_html()}>{''.join(cells)}</tr>")
    return mark_safe("\n".join(rows))


def _render(row, wants, bound_column, value=None):
    """BoundRow._call_render with the column's arguments known in advance."""
    kwargs = row._optional_cell_arguments(bound_column, value)
    args, catch_all = wants[bound_column.name]
    if not catch_all:
        if any(a not in kwargs for a in args):
            return None
        kwargs = {a: kwargs[a] for a in args}
    content = bound_column.render(**kwargs)
    if bound_column.link:
        return bound_column.link(content, **row._optional_cell_arguments(bound_column, value))
    return content


@register.filter
def form_errors(form) -> list:
    """The errors shown above a form (templates/inc/form_fields.html): the form's own and
    those of its hidden fields, which have no place of their own on the page (issue 11,
    point 9). Here because this is the kernel's registered tag library (settings.py)."""
    errors = list(form.non_field_errors())
    for field in form.hidden_fields():
        errors.extend(field.errors)
    return errors
