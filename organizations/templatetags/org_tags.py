"""The department tree (O3), rendered in Python: an organization may have 1,000 departments,
and a template include per node would cost more than the rest of the page."""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def department_tree(node, selected=None, interactive=False):
    """Nested `<li>`s: each department links to the members page filtered to it; the count
    is of members in the department and below. `interactive` (the members page) also loads
    the list in place: the `<ul>` around carries hx-target/hx-swap/hx-push-url/hx-include,
    and console.js copies `data-department` into the filter form before htmx sends it."""
    base = reverse("organizations:members")
    title = escape(_("members in this department and below"))

    def render(n) -> str:
        # plain string building with every value escaped: a template include (or format_html)
        # per node cost more than the rest of the page at 1,000 departments
        d = n.department
        root = d.is_root
        value = "" if root else str(d.pk)
        name = escape(d.name)
        active = " active" if selected == d.pk or (not selected and root) else ""
        href = base if root else f"{base}?department={d.pk}"
        hx = f' hx-get="{base}" data-department="{value}"' if interactive else ""
        icon = "bi-building" if root else "bi-folder2"
        children = "".join(render(c) for c in n.children)
        return (
            f'<li><a class="dept-link{active}" href="{href}"{hx} data-dept="{name}">'
            f'<span><i class="bi {icon} me-1"></i>{name}</span>'
            f'<span class="count" title="{title}">{n.subtree_count}</span></a>'
            f"{f'<ul>{children}</ul>' if children else ''}</li>"
        )

    return mark_safe(render(node)) if node is not None else ""
