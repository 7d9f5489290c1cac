"""The department tree (O3), rendered in Python: an organization may have 1,000 departments,
and a template include per node would cost more than the rest of the page."""

import json

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def department_tree(node, selected=None):
    """Nested `<li>`s: each department links to the members page filtered to it, in place
    (htmx) and as a real URL; the count is of members in the department and below."""
    base = reverse("organizations:members")
    title = _("members in this department and below")

    def render(n) -> str:
        d = n.department
        root = d.is_root
        value = "" if root else str(d.pk)
        active = selected == d.pk or (not selected and root)
        children = ""
        if n.children:
            children = format_html("<ul>{}</ul>", mark_safe("".join(render(c) for c in n.children)))
        return format_html(
            '<li><a class="dept-link{}" href="{}" hx-get="{}" hx-include="#filter-form" '
            'hx-vals=\'{}\' hx-target="#members-region" hx-swap="outerHTML" '
            'hx-push-url="true" hx-on:click="var f=document.getElementById(\'id_department\'); '
            'if (f) f.value=\'{}\'" data-dept="{}"><span><i class="bi {} me-1"></i>{}</span>'
            '<span class="count" title="{}">{}</span></a>{}</li>',
            " active" if active else "",
            f"{base}?department={d.pk}" if not root else base,
            base,
            json.dumps({"department": value}),
            value,
            d.name,
            "bi-building" if root else "bi-folder2",
            d.name,
            title,
            n.subtree_count,
            children,
        )

    return render(node) if node is not None else ""


__all__ = ["department_tree"]
