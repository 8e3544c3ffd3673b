"""Opening and closing findings, each on the ledger.

A finding is derived from the facts of an activity, but its opening and its closing are what supervisors and
connected systems follow (the outbound feed carries them, integration/feed.py), so each is an event: ``finding.open``
and ``finding.close``, with the rule, the activity, the articles and why. A recompute writes them in one append
(``record_events``) and only for real changes: a finding that still holds writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from compliance.models import Finding
from ledger.events import record_events

OPEN, CLOSE = "finding.open", "finding.close"
OBJECT_TYPE = Finding._meta.label_lower


@dataclass(frozen=True)
class Cause:
    """What made the engine judge again: a recorded change (its ledger number), the nightly recompute, or the
    activity's recordings falling due. Each has its own sentence, kept as a message id (ledger.wording)."""

    opened: str
    closed: str
    event_seq: int | None = None


def after_event(seq: int | None) -> Cause:
    return Cause(gettext_noop("Found when a change to the activity, its recordings or its devices was recorded."),
                 gettext_noop("Resolved when a change to the activity, its recordings or its devices was recorded."),
                 seq)


RECOMPUTE = Cause(gettext_noop("Found when every activity was judged again (the nightly recompute)."),
                  gettext_noop("Resolved when every activity was judged again (the nightly recompute)."))
FELL_DUE = Cause(gettext_noop("Found when the activity's recordings fell due."),
                 gettext_noop("Resolved when the activity's recordings fell due."))


def _facts(rule: str, activity_id: int, severity: str, cites: str, record_id: int | None,
           officer_id: int | None) -> dict:
    return {"rule": rule, "activity": activity_id, "severity": severity, "cites": cites, "record": record_id,
            "officer": officer_id}


def open_findings(findings: list[Finding], agency_codes: dict[int, str], cause: Cause) -> list[Finding]:
    """Store new findings and their ``finding.open`` events, in one insert and one append each."""
    made = Finding.objects.bulk_create(findings)
    detail = {"reason": cause.opened, "trigger": cause.event_seq}
    record_events([
        {"verb": OPEN, "agency_code": agency_codes.get(f.agency_id, ""), "object_type": OBJECT_TYPE,
         "object_id": f.pk, "object_label": f.cites,
         "after": _facts(f.rule, f.activity_id, f.severity, f.cites, f.record_id, f.officer_id), "detail": detail}
        for f in made])
    return made


@dataclass(frozen=True)
class OpenFinding:
    """An open finding as the store reads it, enough to close it and say which it was."""

    pk: int
    agency_id: int
    activity_id: int
    rule: str
    severity: str
    cites: str
    record_id: int | None
    officer_id: int | None
    fingerprint: str
    params: dict


def close_findings(rows: list[OpenFinding], agency_codes: dict[int, str], cause: Cause, now: dt.datetime) -> None:
    """Close findings whose facts no longer hold, each with its ``finding.close`` event."""
    if not rows:
        return
    Finding.objects.filter(pk__in=[row.pk for row in rows], closed_at=None).update(closed_at=now)
    detail = {"reason": cause.closed, "trigger": cause.event_seq}
    record_events([
        {"verb": CLOSE, "agency_code": agency_codes.get(row.agency_id, ""), "object_type": OBJECT_TYPE,
         "object_id": row.pk, "object_label": row.cites,
         "after": {**_facts(row.rule, row.activity_id, row.severity, row.cites, row.record_id, row.officer_id),
                   "closed_at": now.astimezone(dt.UTC).isoformat()}, "detail": detail}
        for row in rows])
