"""Reading many rows without the ORM's per-value converters, for jobs that judge hundreds of thousands of rows.

SQLite gives naive UTC datetimes (or UTC text, parsed by ``datetime.fromisoformat`` in C); PostgreSQL's driver
gives aware datetimes already. Everything else passes through as the driver gives it.
"""

from __future__ import annotations

import datetime as dt
import json as json_module

from django.db import connections
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Concat


def values(queryset: QuerySet, fields: tuple[str, ...], *, times: tuple[str, ...] = (),
           flags: tuple[str, ...] = (), json: tuple[str, ...] = ()) -> list[dict]:
    """Rows of ``queryset.values(*fields)`` as dicts; ``times`` are parsed to aware datetimes, ``flags`` to bool,
    ``json`` from the stored text (SQLite and PostgreSQL's jsonb both arrive as text or already parsed)."""
    connection = connections[queryset.db]
    if connection.vendor == "sqlite" and times:
        # A column of declared type datetime goes through the driver's per-value converter; the same value as an
        # expression comes back as text, which fromisoformat parses far faster.
        texts = {name: Concat(F(name), Value(""), output_field=CharField()) for name in times}
        queryset = queryset.annotate(**{f"_text_{name}": expression for name, expression in texts.items()})
        selected = [f"_text_{name}" if name in times else name for name in fields]
    else:
        selected = list(fields)
    sql, params = queryset.values_list(*selected).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    at = [fields.index(name) for name in times]
    yes = [fields.index(name) for name in flags]
    parsed = [fields.index(name) for name in json]
    result = []
    for row in rows:
        row = list(row)
        for i in at:
            value = row[i]
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value) if value else None  # Concat turns NULL into
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)  # stored as UTC (USE_TZ)
            row[i] = value
        for i in yes:
            row[i] = bool(row[i])
        for i in parsed:
            if isinstance(row[i], (str, bytes)):
                row[i] = json_module.loads(row[i])
        result.append(dict(zip(fields, row, strict=True)))
    return result
