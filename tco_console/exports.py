"""CSV exports, streamed: the rows go out as the database cursor yields them, so an export of
millions of rows needs neither memory nor a time limit on the server.

Issue 17: the header is written in a language of the user's choice, `?lang=en` or
`?lang=zh-hans` on any export URL (each export button has a second one for the other
language, templates/inc/csv_language.html), by default the page's language. A header given
as `pgettext_lazy("CSV column", "bill_month")` is the stable English key in English (what
scripts read) and a Chinese column name in Chinese; the rows' own words (a transaction type,
"Untagged") follow the same language."""

import csv
from collections.abc import Iterable

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import translation

_DONE = object()


class _Echo:
    """A file-like object whose write returns the line (csv.writer then yields it)."""

    def write(self, value):
        return value


def csv_language(request) -> str:
    """The language an export's header is written in: `?lang=` when it names one of
    settings.LANGUAGES, else the language the page is shown in."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in dict(settings.LANGUAGES) else translation.get_language()


def csv_response(
    header: Iterable, rows: Iterable[Iterable], filename: str, *, language: str | None = None
):
    writer = csv.writer(_Echo())
    language = language or translation.get_language()

    def lines():
        # Each row is made and written inside the language, and nothing crosses a `yield`
        # with a language switched on (the streaming happens after the view returned).
        with translation.override(language):
            first = writer.writerow([str(h) for h in header])
        yield first
        row_iter = iter(rows)
        while True:
            with translation.override(language):
                row = next(row_iter, _DONE)
                line = None if row is _DONE else writer.writerow(row)
            if line is None:
                return
            yield line

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
