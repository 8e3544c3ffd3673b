"""Which feed events a connected system may not receive: those about a case or a record marked confidential
(国家秘密、商业秘密、个人隐私, 000/1/10) that its account is not cleared for.

A system is cleared as a person is: the security administrator sets the marks on the account it acts as
(``org.services.set_clearances``, an event), and ``cases.permissions.cleared`` judges both. An event is tied to a
case or a record by its object (a case, an activity, a decision, a record, a finding, a work record, an access
request) and by the ids it carries (``case``, ``activity``, ``record``, ``records``). The marks read now decide, so
a case marked later withholds its earlier events too, as the pages hide it.
"""

from __future__ import annotations

from collections.abc import Iterable

from access.models import AccessRequest
from cases.models import Activity, Decision
from cases.queries import uncleared_case_ids
from compliance.models import Finding, InterruptionNote
from evidence.models import Record
from ledger.models import Event
from org.models import User

OBJECT_KINDS = {"cases.case": "case", "cases.activity": "activity", "cases.decision": "decision",
                "evidence.record": "record", "compliance.finding": "finding", "compliance.interruptionnote": "note",
                "access.accessrequest": "request"}
KEY_KINDS = {"case": "case", "activity": "activity", "record": "record", "records": "record"}


def _ids(value: object) -> Iterable[int]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int) and not isinstance(item, bool):
            yield item
        elif isinstance(item, str) and item.isdigit():
            yield int(item)


def withheld(principal: User, events: list[Event]) -> set[int]:
    """The sequence numbers of ``events`` the principal is not cleared for; a few queries per page of events."""
    refs: dict[int, list[tuple[str, int]]] = {}
    wanted: dict[str, set[int]] = {}
    for event in events:
        found = []
        kind = OBJECT_KINDS.get(event.object_type)
        if kind is not None:
            found += [(kind, pk) for pk in _ids(event.object_id)]
        for values in (event.before or {}, event.after or {}):
            for key, kind in KEY_KINDS.items():
                found += [(kind, pk) for pk in _ids(values.get(key))]
        refs[event.seq] = found
        for kind, pk in found:
            wanted.setdefault(kind, set()).add(pk)
    if not wanted:
        return set()
    hidden_cases = uncleared_case_ids(principal)
    cleared_marks = set(principal.clearances or ())
    # Everything is brought down to cases and records, then to whether the principal may know of them.
    case_of: dict[tuple[str, int], int | None] = {}
    record_of: dict[tuple[str, int], int | None] = {}
    for kind, model, path in (("activity", Activity, "case_id"), ("decision", Decision, "case_id"),
                              ("note", InterruptionNote, "activity__case_id")):
        if wanted.get(kind):
            case_of.update({(kind, pk): case for pk, case in
                            model.objects.filter(pk__in=wanted[kind]).values_list("pk", path)})
    if wanted.get("finding"):
        for pk, case, record in Finding.objects.filter(pk__in=wanted["finding"]).values_list(
                "pk", "activity__case_id", "record_id"):
            case_of[("finding", pk)], record_of[("finding", pk)] = case, record
            if record is not None:
                wanted.setdefault("record", set()).add(record)
    requested: dict[int, list[int]] = {}
    if wanted.get("request"):
        for pk, record in AccessRequest.records.through.objects.filter(
                accessrequest_id__in=wanted["request"]).values_list("accessrequest_id", "record_id"):
            requested.setdefault(pk, []).append(record)
            wanted.setdefault("record", set()).add(record)
    hidden_records = {pk for pk, case, mark in Record.objects.filter(pk__in=wanted.get("record", ())).values_list(
        "pk", "case_id", "confidentiality") if (mark and mark not in cleared_marks) or case in hidden_cases}

    def hidden(kind: str, pk: int) -> bool:
        if kind == "case":
            return pk in hidden_cases
        if kind == "record":
            return pk in hidden_records
        if kind == "request":
            return any(r in hidden_records for r in requested.get(pk, ()))
        return case_of.get((kind, pk)) in hidden_cases or record_of.get((kind, pk)) in hidden_records

    return {seq for seq, found in refs.items() if any(hidden(kind, pk) for kind, pk in found)}
