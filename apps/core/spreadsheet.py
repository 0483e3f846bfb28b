"""CSV export helpers shared by every report."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse


def safe_cell(value) -> str:
    """Text for a spreadsheet cell; a leading = + - @ (or tab, CR) is defused with a quote so no
    cell runs as a formula when the file is opened in a spreadsheet. Use it for text people wrote
    (names, comments, labels); numbers are written as they are."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a streaming response."""

    def write(self, value):
        return value


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream `rows` as a CSV download, row by row, without building the file in memory."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
