"""Reading the ledger: registers and ledgers of later components are filters over events, not tables of their own.

The access register (查阅登记簿) is ``events_matching(verbs=ACCESS_VERBS, agency_code=…)``; the device usage ledger
(执法记录仪使用情况台账) is ``events_matching(object_type="devices.device", object_ids=[…])``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from ledger.models import Event


def events_matching(*, verbs: Iterable[str] | None = None, verb_prefix: str = "", object_type: str = "",
                    object_ids: Iterable[str | int] | None = None, agency_code: str = "", actor_id: int | None = None,
                    result: str = "", since: dt.datetime | None = None, until: dt.datetime | None = None,
                    ) -> QuerySet[Event]:
    """Events in log order, narrowed by whichever filters are given; ``until`` is exclusive."""
    events = Event.objects.select_related("actor").order_by("seq")
    if verbs is not None:
        events = events.filter(verb__in=list(verbs))
    if verb_prefix:
        events = events.filter(verb__startswith=verb_prefix)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_ids is not None:
        events = events.filter(object_id__in=[str(i) for i in object_ids])
    if agency_code:
        events = events.filter(agency_code=agency_code)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if result:
        events = events.filter(result=result)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events


def recorded(obj_type: str, object_id: int | str, verb: str, key: str) -> object | None:
    """A value the latest done ``verb`` event of the object recorded in ``after`` (a made file's hash, say): what a
    row of the object's own table is checked against, since whoever holds the database can edit that row."""
    event = (Event.objects.filter(object_type=obj_type, object_id=str(object_id), verb=verb, result=Event.Result.DONE)
             .order_by("-seq").values_list("after", flat=True).first())
    return event.get(key) if isinstance(event, dict) else None


def last_checkpoint_at() -> dt.datetime | None:
    """When the newest checkpoint was signed (for health checks and metrics)."""
    from ledger.models import Checkpoint

    return Checkpoint.objects.order_by("-id").values_list("signed_at", flat=True).first()
