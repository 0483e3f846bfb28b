"""Bulk loading with PostgreSQL COPY, filling every column a caller leaves out with its model default."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def copy_rows(model: type[Model], columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY `rows` (tuples in the order of `columns`, attribute names such as "account_id") into
    the model's table. Columns not given get the field's Python default, so NOT NULL fields with
    defaults need not be listed. Returns the number of rows written."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {sorted(unknown)}")
    extra = [f for name, f in fields.items() if name not in columns and not f.primary_key and _needs_value(f)]
    names = [fields[c].column for c in columns] + [f.column for f in extra]
    defaults = tuple(_db_default(f) for f in extra)
    json_positions = [i for i, c in enumerate(columns) if fields[c].get_internal_type() == "JSONField"]
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_positions:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i])
            copy.write_row((*row, *defaults))
            written += 1
    return written


def _needs_value(field) -> bool:
    return field.has_default() or not field.null


def _db_default(field):
    value = field.get_default() if field.has_default() else ("" if not field.null else None)
    return json.dumps(value) if field.get_internal_type() == "JSONField" else value
