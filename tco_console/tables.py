"""The base for every console table (django-tables2): one template, stable paging."""

from contextlib import nullcontext
from datetime import datetime

import django_tables2 as tables
from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import dateformat, timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import AttributeDict, OrderByTuple

from .html import escaped, format_html, format_html_join
from .planning import joins_as_written, plain_list

PER_PAGE_CHOICES = (25, 50, 100)


class ConsoleTable(tables.Table):
    """Tables page in the database. Every orderable column sorts with a final primary-key
    tie-breaker, so pages never skip or repeat rows when sort keys have duplicates.

    `?per_page=` is one of the sizes the table offers (`per_page_choices`, shown under it);
    any other value is the table's default, so nobody pages a whole table in one response.
    `?page=` below 1 is the first page; past the end, the last one (the paginator's own
    rule), or a 404 on lists that never count their rows (LazyCountPaginator)."""

    class Meta:
        template_name = "inc/table.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        per_page = 25

    @property
    def per_page_choices(self) -> tuple[int, ...]:
        return tuple(sorted({self._meta.per_page, *PER_PAGE_CHOICES}))

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        if per_page not in self.per_page_choices:
            per_page = self._meta.per_page
        if not isinstance(page, int) or page < 1:
            page = 1
        found = super().paginate(paginator_class, per_page, page, *args, **kwargs)
        if getattr(self.paginator, "count", None) == 0:
            # nothing to read: Django would compile the whole query (its joins and ordering)
            # for an empty slice before finding it empty, 3 ms on a page of orders (issue 16)
            self.page.object_list = []
        return found

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, column in cls.base_columns.items():
            if column.orderable is False:
                continue
            keys = list(column.order_by or (str(column.accessor or name),))
            if not any(k.lstrip("-") in {"pk", "id"} for k in keys):
                column.order_by = OrderByTuple((*keys, "pk"))


class OrganizationScopedTable(ConsoleTable):
    """A table that names accounts as the viewer's organization knows them (O4: a member's
    name in the organization, not its account name): the view passes
    `organization_id=request.console.organization_id`, or None outside an organization."""

    def __init__(self, *args, organization_id=None, **kwargs):
        self.organization_id = organization_id
        super().__init__(*args, **kwargs)


# The largest OFFSET a database takes (a signed 64-bit integer on PostgreSQL and SQLite).
MAX_OFFSET = 2**63 - 1


class LazyCountPaginator(tables.LazyPaginator):
    """Pages without COUNT(*) (lists of millions of rows): "1–25", then "next" while more
    rows follow. The shared table template leaves the total out when `count` is None. A page
    of a list not filtered through a join is read with its joins planned as written
    (tco_console/planning.py): planning them took ten times as long as reading them."""

    count = None

    def page(self, number):
        number = self.validate_number(number or 1)
        if (number - 1) * self.per_page > MAX_OFFSET:
            raise Http404(_("There is no such page."))
        rows = self.object_list  # the table's rows, around its data, around its queryset
        while not hasattr(rows, "query") and hasattr(rows, "data"):
            rows = rows.data
        try:
            with joins_as_written() if plain_list(rows) else nullcontext():
                page = super().page(number)
        except EmptyPage:
            # Past the end: showing "the last page" would need the COUNT(*) this avoids.
            raise Http404(_("There is no such page.")) from None
        return LazyPage(page.object_list, page.number, self)


class LazyPage(Page):
    def end_index(self):
        return self.start_index() + len(self.object_list) - 1


def _cache_signatures() -> None:
    """django-tables2 inspects the signature of a column's render method for every cell
    (`utils.signature`), which was half the time of a 25-row page. A method's signature
    never changes, so remember it per function (bound methods share their function's)."""
    import types

    from django_tables2 import utils

    if getattr(utils.signature, "cached", False):
        return
    inspect_signature = utils.signature
    known: dict = {}

    def signature(fn):
        if isinstance(fn, types.MethodType):
            key = ("method", fn.__func__)
        elif isinstance(fn, types.FunctionType):
            key = ("function", fn)
        else:
            return inspect_signature(fn)
        found = known.get(key)
        if found is None:
            found = known[key] = inspect_signature(fn)
        return found

    signature.cached = True
    utils.signature = signature


_cache_signatures()


class TemplateColumn(tables.TemplateColumn):
    """A template cell rendered with the page's context, flattened, and no request: with
    the request, Django would run every context processor again for each cell."""

    def render(self, record, table, value, bound_column, **kwargs):
        parent_context = getattr(table, "context", None) or Context()
        context = self.get_context_data(
            record=record, table=table, value=value, bound_column=bound_column, **kwargs
        )
        with parent_context.update(context):
            if self.template_code:
                return Template(self.template_code).render(parent_context)
            return get_template(self.template_name).render(parent_context.flatten())


class CheckBoxColumn(tables.CheckBoxColumn):
    """django-tables2's checkbox column, its `<input>` worked out once per column when nothing
    about it depends on the row (never checked, no attribute computed from the record): each
    cell only puts its value in. The library builds and escapes every attribute again for
    each row (a tenth of the members page, issue 16); the HTML is the same."""

    def render(self, value, bound_column, record):
        if value is None:
            return super().render(value, bound_column, record)
        parts = self.__dict__.get("_parts")
        if parts is None or parts[0] != bound_column.name:
            parts = self._parts = (bound_column.name, self._static(bound_column.name))
        if parts[1] is None:
            return super().render(value, bound_column, record)
        before, after = parts[1]
        return SafeString(f"<input {before}{escaped(value)}{after} />")

    def _static(self, name) -> tuple[str, str] | None:
        """The attributes before the value and after it, or None when any depends on the row
        (`AttributeDict.as_html` of the library's attributes, in its order)."""
        specific = self.attrs.get("td__input") or self.attrs.get("input") or {}
        attrs = dict({"type": "checkbox", "name": name, "value": _VALUE}, **specific)
        if self.checked is not None or any(callable(v) for v in attrs.values()):
            return None
        html = AttributeDict(attrs).as_html()
        mark = f'value="{_VALUE}"'
        if html.count(mark) != 1:  # the value set by the column's own attributes
            return None
        before, after = html.split(mark)
        return f'{before}value="', f'"{after}'


_VALUE = "\x00value\x00"  # where a checkbox's value goes (no attribute holds it)


class DateTimeColumn(tables.Column):
    """A date/time cell in the console's time zone with a Django date format. (The library's
    DateTimeColumn compiles a template for every cell.)"""

    def __init__(self, *args, format="Y-m-d H:i", **kwargs):
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        return dateformat.format(value, self.format)


class DateColumn(DateTimeColumn):
    def __init__(self, *args, format="Y-m-d", **kwargs):
        super().__init__(*args, format=format, **kwargs)


class ChoiceLabels:
    """`instance.get_FOO_display()` for one field, its choices read once: Django builds a
    dictionary of all the field's choices for every call, hashing each lazy label on the way
    (a translation lookup per choice, twenty for a journal's kind), issue 16."""

    def __init__(self, field):
        self.labels = dict(make_hashable(field.flatchoices))

    def __call__(self, value) -> str:
        return force_str(self.labels.get(make_hashable(value), value), strings_only=True)

    @classmethod
    def of(cls, model, name: str) -> "ChoiceLabels":
        """The labels of `model.name`, made once per process (the labels stay lazy: each call
        reads them in the active language)."""
        key = (model, name)
        if key not in _CHOICE_LABELS:
            _CHOICE_LABELS[key] = cls(model._meta.get_field(name))
        return _CHOICE_LABELS[key]


_CHOICE_LABELS: dict = {}


def badge(label, css: str = "", *, testid: str | None = None, title: str | None = None):
    """A state shown as a Bootstrap badge: `<span class="badge {css}">{label}</span>`, with
    `data-testid` and `title` when given. Every table cell that shows a state goes through
    here, so the markup (and the hooks tests and scripts find it by) is written once.
    Everything passed in is escaped."""
    attrs = format_html_join(
        "",
        ' {}="{}"',
        ((k, v) for k, v in (("data-testid", testid), ("title", title)) if v is not None),
    )
    return format_html('<span class="badge {}"{}>{}</span>', css, attrs, label)
