"""The one door through which every event is written (design principle 3).

Callers run inside the transaction of the change they describe: if the event cannot be written, the
change rolls back with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from ledger.models import Event


@dataclass(frozen=True)
class RequestContext:
    """Who asked and from where; built once per request and passed to action functions."""

    request_id: str = ""
    client_address: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> RequestContext:
        if request is None:
            return cls()
        return cls(
            request_id=getattr(request, "request_id", ""),
            client_address=request.META.get("REMOTE_ADDR") or None,
        )


SYSTEM = RequestContext(request_id="system")


def record_event(
    verb: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    agency_code: str = "",
    context: RequestContext = SYSTEM,
    result: str = Event.Result.DONE,
    before: dict | None = None,
    after: dict | None = None,
    detail: dict | None = None,
    actor_label: str = "",
) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if not agency_code:
        agency_code = _agency_code_of(obj) or _agency_code_of(actor)
    return Event.objects.create(
        occurred_at=timezone.now(),
        verb=verb,
        result=result,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        agency_code=agency_code,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:255] if obj is not None else "",
        request_id=context.request_id,
        client_address=context.client_address,
        before=before,
        after=after,
        detail=detail,
    )


def record_denial(verb: str, **kwargs: Any) -> Event:
    """Write a refused attempt in a transaction of its own.

    The refusal rolls back whatever the attempt started, but the attempt itself must stay on record, so
    call this outside the refused change's transaction, just before raising.
    """
    with transaction.atomic():
        return record_event(verb, result=Event.Result.DENIED, **kwargs)


def _agency_code_of(thing: Any) -> str:
    agency = getattr(thing, "agency", None)
    return getattr(agency, "code", "") if agency is not None else ""


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """JSON-safe values of the named fields, for before/after in an event."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(pk) for pk in getattr(instance, name).values_list("pk", flat=True)) \
                if instance.pk else []
            continue
        values[name] = _json_safe(getattr(instance, field.attname))
    return values


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # One representation per instant, whatever zone the value arrived in, so equal times compare equal.
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields whose value changed, so events stay readable."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def events_for_object(obj: models.Model, limit: int = 50) -> list[Event]:
    return list(
        Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-id")[:limit]
    )
