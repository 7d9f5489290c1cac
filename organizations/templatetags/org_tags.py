"""The department tree (O3), rendered in Python: an organization may have 1,000 departments,
and a template include per node would cost more than the rest of the page."""

import json

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def department_tree(node, selected=None):
    """Nested `<li>`s: each department links to the members page filtered to it, in place
    (htmx) and as a real URL; the count is of members in the department and below."""
    base = reverse("organizations:members")
    title = escape(_("members in this department and below"))

    def render(n) -> str:
        # plain string building with every value escaped: format_html per node cost more
        # than the rest of the page at 1,000 departments
        d = n.department
        root = d.is_root
        value = "" if root else str(d.pk)
        name = escape(d.name)
        active = " active" if selected == d.pk or (not selected and root) else ""
        href = base if root else f"{base}?department={d.pk}"
        vals = escape(json.dumps({"department": value}))
        icon = "bi-building" if root else "bi-folder2"
        children = "".join(render(c) for c in n.children)
        return (
            f'<li><a class="dept-link{active}" href="{href}" hx-get="{base}" '
            f'hx-include="#filter-form" hx-vals="{vals}" hx-target="#members-region" '
            'hx-swap="outerHTML" hx-push-url="true" hx-on:click="var f=document.'
            f"getElementById('id_department'); if (f) f.value='{value}'\" "
            f'data-dept="{name}"><span><i class="bi {icon} me-1"></i>{name}</span>'
            f'<span class="count" title="{title}">{n.subtree_count}</span></a>'
            f"{f'<ul>{children}</ul>' if children else ''}</li>"
        )

    return mark_safe(render(node)) if node is not None else ""


__all__ = ["department_tree"]
