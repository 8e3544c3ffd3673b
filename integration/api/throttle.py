"""The rate limit per token, held in the database so every web node counts the same calls.

Several stateless web nodes serve the API on one PostgreSQL (README 部署): a count kept in a process (Django's local
memory cache) would let a system make the limit's worth of calls on each node. Each call adds one to its token's row
for the current window in one statement (an upsert returning the new count), atomic on PostgreSQL and SQLite, and
committed at once so no other call waits on the row lock. Windows are fixed (whole periods since the epoch): at a
window's edge a system may make up to twice the limit in one period, which is what a limit meant to keep one system
from crowding out the others needs, for one write per call.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from rest_framework import throttling
from rest_framework.request import Request

from integration import accounts
from integration.models import TokenCalls

_TABLE = TokenCalls._meta.db_table
_COUNT_SQL = (
    f'INSERT INTO {_TABLE} ("token_id", "window", "calls") VALUES (%s, %s, 1) '
    f'ON CONFLICT ("token_id") DO UPDATE SET '
    f'"calls" = CASE WHEN {_TABLE}."window" = excluded."window" THEN {_TABLE}."calls" + 1 ELSE 1 END, '
    f'"window" = excluded."window" '
    f'RETURNING "calls"'
)


def parse(rate: str) -> tuple[int, int]:
    """"600/min" → (600 calls, 60 seconds); the period is the first letter of s, min, h or d, as DRF reads it."""
    calls, period = rate.split("/")
    return int(calls), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def count_call(token_id: int, period: int, now: float | None = None) -> tuple[int, float]:
    """Count one call of the token: (calls in the current window including this one, seconds until it ends)."""
    moment = time.time() if now is None else now
    window = int(moment // period)
    # One statement in autocommit (the API keeps no request-wide transaction): the row is never held locked while a
    # call runs.
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [token_id, window])
        calls = cursor.fetchone()[0]
    return calls, (window + 1) * period - moment


class TokenThrottle(throttling.BaseThrottle):
    """Calls per token, whatever address or web node they come from (settings.INTEGRATION_API_RATE)."""

    def __init__(self) -> None:
        self.remaining: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        caller = request.auth
        if not isinstance(caller, accounts.Caller):
            return True  # no token: authentication refuses the call
        limit, period = parse(settings.INTEGRATION_API_RATE)
        calls, remaining = count_call(caller.token.pk, period)
        if calls <= limit:
            return True
        self.remaining = remaining
        return False

    def wait(self) -> float | None:
        return self.remaining
