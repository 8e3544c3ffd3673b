"""Reading many rows without the ORM's per-value converters, for jobs that judge hundreds of thousands of rows.

SQLite gives naive UTC datetimes (or UTC text, parsed by ``datetime.fromisoformat`` in C); PostgreSQL's driver
gives aware datetimes already. Everything else passes through as the driver gives it.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import QuerySet


def values(queryset: QuerySet, fields: tuple[str, ...], *, times: tuple[str, ...] = (),
           flags: tuple[str, ...] = ()) -> list[dict]:
    """Rows of ``queryset.values(*fields)`` as dicts; ``times`` are parsed to aware datetimes, ``flags`` to bool."""
    sql, params = queryset.values_list(*fields).query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    at = [fields.index(name) for name in times]
    yes = [fields.index(name) for name in flags]
    result = []
    for row in rows:
        row = list(row)
        for i in at:
            value = row[i]
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)  # stored as UTC (USE_TZ)
            row[i] = value
        for i in yes:
            row[i] = bool(row[i])
        result.append(dict(zip(fields, row, strict=True)))
    return result
