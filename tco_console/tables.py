"""The base for every console table (django-tables2): one template, stable paging."""

from datetime import datetime

import django_tables2 as tables
from django.core.paginator import Page
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import dateformat, timezone
from django_tables2.utils import OrderByTuple


class ConsoleTable(tables.Table):
    """Tables page in the database. Every orderable column sorts with a final primary-key
    tie-breaker, so pages never skip or repeat rows when sort keys have duplicates."""

    class Meta:
        template_name = "inc/table.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        per_page = 25

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, column in cls.base_columns.items():
            if column.orderable is False:
                continue
            keys = list(column.order_by or (str(column.accessor or name),))
            if not any(k.lstrip("-") in {"pk", "id"} for k in keys):
                column.order_by = OrderByTuple((*keys, "pk"))


class LazyCountPaginator(tables.LazyPaginator):
    """Pages without COUNT(*) (lists of millions of rows): "1–25", then "next" while more
    rows follow. The shared table template leaves the total out when `count` is None."""

    count = None

    def page(self, number):
        page = super().page(number)
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
