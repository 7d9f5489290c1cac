"""The department tree (O3), rendered in Python: an organization may have 1,000 departments,
and a template include per node would cost more than the rest of the page."""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def department_tree(node, selected=None, interactive=False, opened=None):
    """Nested `<li>`s of the departments read (`selectors.department_tree`: a small tree
    whole; of a large one, Root's level and the way down to the selected department): each
    links to the members page filtered to it; the count is of members in the department and
    below; a department whose sub-departments were not read has a button that loads them.
    `interactive` (the members page) also loads the list in place: the `<ul>` around carries
    hx-target/hx-swap/hx-push-url/hx-include, and console.js copies `data-department` into the
    filter form before htmx sends it. `opened`: the departments whose sub-departments are drawn
    (None: every one read)."""
    if node is None:
        return ""
    return mark_safe(_Tree(selected, interactive, opened).render(node))


class _Tree:
    def __init__(self, selected, interactive, opened):
        self.selected, self.interactive, self.opened = selected, interactive, opened
        self.base = reverse("organizations:members")
        self.more_url = reverse("organizations:department_branch")
        self.title = escape(_("members in this department and below"))

    def render(self, n) -> str:
        # plain string building with every value escaped: a template include (or format_html)
        # per node cost more than the rest of the page at 1,000 departments
        d = n.department
        root = d.is_root
        value = "" if root else str(d.pk)
        name = escape(d.name)
        active = " active" if self.selected == d.pk or (not self.selected and root) else ""
        href = self.base if root else f"{self.base}?department={d.pk}"
        hx = f' hx-get="{self.base}" data-department="{value}"' if self.interactive else ""
        icon = "bi-building" if root else "bi-folder2"
        below = ""
        if n.children and (self.opened is None or d.pk in self.opened):
            below = f"<ul>{''.join(self.render(c) for c in n.children)}</ul>"
        elif n.child_count:
            label = escape(
                ngettext("%(n)s sub-department", "%(n)s sub-departments", n.child_count)
                % {"n": n.child_count}
            )
            show = escape(_("Show the sub-departments of %(name)s") % {"name": d.name})
            mode = "&amp;interactive=1" if self.interactive else ""
            below = (
                f'<button type="button" class="dept-more" data-testid="dept-more" '
                f'hx-get="{self.more_url}?node={d.pk}{mode}" hx-target="closest li" '
                f'hx-swap="outerHTML" hx-push-url="false" hx-include="this" title="{show}" '
                f'aria-label="{show}">'
                f'<i class="bi bi-plus-square me-1" aria-hidden="true"></i>{label}</button>'
            )
        return (
            f'<li><a class="dept-link{active}" href="{href}"{hx} data-dept="{name}">'
            f'<span><i class="bi {icon} me-1"></i>{name}</span>'
            f'<span class="count" title="{self.title}">{n.subtree_count}</span></a>'
            f"{below}</li>"
        )
