"""The tabs of a page, for the one tab bar `templates/inc/tabs.html` (issue 12: one way).

`{% tabs current key label href ... as items %}` lists a page's tabs by (key, label, href);
the tab whose key is `current` is the active one. Tabs a view lists (`items=`, pairs or
(key, label, count) triples) get their links here: `param=` makes each a change of that
query parameter on the current URL (a filter such as the order status, with `page` reset),
otherwise `?tab=key`, keeping `month` except on the `monthless` tabs.
"""

from dataclasses import dataclass

from django import template
from django.template.defaulttags import querystring

register = template.Library()


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    href: str
    active: bool
    count: int | None = None
    warn: bool = False  # the count needs attention (orders to be paid)
    testid: str = ""


@register.simple_tag(takes_context=True)
def tabs(
    context,
    current,
    *triples,
    items=(),
    param: str = "",
    warn: str = "",
    month=None,
    monthless: str = "",
    testids: bool = False,
):
    if len(triples) % 3:
        raise template.TemplateSyntaxError("tabs takes (key, label, href) triples")
    rows = [(*triples[i : i + 3], None) for i in range(0, len(triples), 3)]
    for key, label, *count in items:
        if param:
            href = querystring(context, **{param: key, "page": None})
        else:
            href = f"?tab={key}"
            if month and key not in monthless.split():
                href += f"&month={month:%Y-%m}"
        rows.append((key, label, href, count[0] if count else None))
    return [
        Tab(
            key=str(key),
            label=label,
            href=href,
            active=str(key) == str(current),
            count=count,
            warn=bool(warn and str(key) == warn and count),
            testid=f"{key}-tab" if testids else "",
        )
        for key, label, href, count in rows
    ]
