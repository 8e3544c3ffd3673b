"""四性检测 (DA/T 70): authenticity, integrity, usability and security of filed records, each check stated with
what it looked at, so the report can be defended line by line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence import classify
from evidence.models import Derivative, FixityCheck, Record
from evidence.probe import Probe
from ledger.bundles import event_is_proven
from ledger.models import Checkpoint, Event
from policy import current

PROPERTIES = {
    "authenticity": gettext_lazy("authenticity"),
    "integrity": gettext_lazy("integrity"),
    "usability": gettext_lazy("usability"),
    "security": gettext_lazy("security"),
}


@dataclass
class Check:
    prop: str
    passed: bool
    text: str


@dataclass
class RecordResult:
    record: Record
    checks: list[Check] = field(default_factory=list)

    def add(self, prop: str, passed: bool, text: str) -> None:
        self.checks.append(Check(prop, passed, text))

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def by_property(self) -> list[tuple[str, list[Check]]]:
        return [(str(label), [c for c in self.checks if c.prop == key]) for key, label in PROPERTIES.items()]


def assess(records: list[Record], now: dt.datetime | None = None) -> list[RecordResult]:
    now = now or timezone.now()
    checkpoint = Checkpoint.objects.order_by("-id").first()
    ingest_events = {e.object_id: e for e in Event.objects.filter(
        verb="record.ingest", result="done", object_type="evidence.record",
        object_id__in=[str(r.pk) for r in records])}
    last_checks = {}
    for check in FixityCheck.objects.filter(blob__in=[r.blob_id for r in records]).order_by("checked_at"):
        last_checks[check.blob_id] = check
    proxies = set(Derivative.objects.filter(record__in=records, kind=Derivative.Kind.PROXY)
                  .values_list("record_id", flat=True))
    return [_assess_one(r, ingest_events.get(str(r.pk)), last_checks.get(r.blob_id), r.pk in proxies, checkpoint, now)
            for r in records]


def _assess_one(record: Record, ingest: Event | None, fixity: FixityCheck | None, has_proxy: bool,
                checkpoint: Checkpoint | None, now: dt.datetime) -> RecordResult:
    result = RecordResult(record)
    blob = record.blob
    # Authenticity: the hashes on file are those the ledger recorded at ingest, and that entry is signed.
    recorded = (ingest.after or {}) if ingest else {}
    result.add("authenticity", bool(ingest) and recorded.get("sha256") == blob.sha256
               and recorded.get("sm3") == blob.sm3,
               _("SHA-256 and SM3 on file equal those recorded in the ledger when the record was filed."))
    proven = bool(ingest and checkpoint and event_is_proven(ingest, checkpoint))
    result.add("authenticity", proven,
               _("The filing event is included in signed checkpoint %(id)s (signature and inclusion proof verified).")
               % {"id": checkpoint.pk if checkpoint else "—"})
    result.add("authenticity", bool(record.recorded_start and record.device_id) or record.kind == "document",
               _("Source device and recording time are known."))
    # Integrity: content unchanged since filing, description complete.
    result.add("integrity", bool(fixity and fixity.outcome == FixityCheck.Outcome.INTACT),
               _("Latest fixity check: %(when)s, %(outcome)s.") % {
                   "when": timezone.localtime(fixity.checked_at).strftime("%Y-%m-%d %H:%M") if fixity else _("none"),
                   "outcome": fixity.get_outcome_display() if fixity else _("not yet checked")})
    pack = current.version_of(record.agency, record.pack_version)
    missing = classify.missing_fields(record, classify.classification_fields(pack))
    result.add("integrity", not missing, _("Classification complete.") if not missing
               else _("Classification incomplete: %(fields)s") % {"fields": "、".join(missing)})
    # Usability: the content can be read and shown.
    result.add("usability", record.playable, _("The file opens as %(kind)s.") % {"kind": record.get_kind_display()}
               if record.playable else _("No decoder can read it: %(reason)s.") % {
                   "reason": record.get_unreadable_reason_display() or _("the media could not be read")})
    if record.kind == "av":
        viewable = has_proxy or Probe(record.kind, record.media).browser_ready()
        result.add("usability", viewable, _("It plays in the viewing room (original or playback copy)."))
    # Security: write-once storage, checked within its cycle, every look on the record.
    result.add("security", blob.backend in ("local", "s3"),
               _("Stored write-once (%(backend)s), addressed by its SHA-256.") % {"backend": blob.backend})
    cycle = dt.timedelta(days=settings.FIXITY_CYCLE_DAYS)
    result.add("security", bool(fixity and now - fixity.checked_at <= cycle),
               _("Checked within the fixity cycle of %(days)s days.") % {"days": settings.FIXITY_CYCLE_DAYS})
    return result
