"""CSV exports, streamed: the rows go out as the database cursor yields them, so an export of
millions of rows needs neither memory nor a time limit on the server."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object whose write returns the line (csv.writer then yields it)."""

    def write(self, value):
        return value


def csv_response(header: Iterable, rows: Iterable[Iterable], filename: str):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
