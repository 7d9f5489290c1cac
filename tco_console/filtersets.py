"""The one search rule of every list's filter bar (`q`), shared by both apps' filtersets."""

from __future__ import annotations

from django.db.models import Q


class SearchMixin:
    """A FilterSet's `q` filter, `method="search"`: a case-insensitive substring of any of
    `search_fields`; a blank search filters nothing."""

    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for f in self.search_fields:
            q |= Q(**{f"{f}__icontains": value})
        return queryset.filter(q)
