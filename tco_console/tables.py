"""The base for every console table (django-tables2): one template, stable paging."""

import django_tables2 as tables
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
