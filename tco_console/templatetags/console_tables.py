"""Table rows rendered in Python (the shared table template's `<tbody>`).

The library's template renders each cell through the template engine (attributes, then the
value), which made a 25-row, 13-column page cost ~100 ms. This does the same per cell (the
column's `td` attributes for that row, the value escaped and localized as `{{ cell }}` would)
without the engine, and a column's `td` attributes once per table when none is computed
from the row (issue 16: the library recomputes them for every cell).
"""

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table):
    static = {}  # column name → its `td` attributes, for columns whose attributes are fixed
    for column in table.columns:
        attrs = {**table.attrs, **column.column.attrs}
        td = attrs.get("td", attrs.get("cell", {}))
        if not any(callable(v) for v in td.values()):
            static[column.name] = column.attrs["td"].as_html()
    rows = []
    for row in table.paginated_rows:
        cells = "".join(
            f"<td {static[column.name] if column.name in static else column.attrs['td'].as_html()}>"
            f"{render_value_in_context(cell, context)}</td>"
            for column, cell in row.items()
        )
        rows.append(f"<tr {row.attrs.as_html()}>{cells}</tr>")
    return mark_safe("\n".join(rows))


@register.filter
def form_errors(form) -> list:
    """The errors shown above a form (templates/inc/form_fields.html): the form's own and
    those of its hidden fields, which have no place of their own on the page (issue 11,
    point 9). Here because this is the kernel's registered tag library (settings.py)."""
    errors = list(form.non_field_errors())
    for field in form.hidden_fields():
        errors.extend(field.errors)
    return errors
