"""How far a recording's clock is trusted: every time source a file carries, the one taken as its recording time,
and whether the others agree.

Sources, all read from the recording device's own clock:

- ``file_name``: the camera's registered naming pattern (local wall-clock time);
- ``exif``: a photo's DateTimeOriginal with OffsetTimeOriginal (local time when the offset is missing);
- ``quicktime``: the QuickTime creation date, which carries its UTC offset;
- ``container``: the MP4/MOV (or Matroska) creation time, UTC by the standard;
- ``bext``: a Broadcast WAV's origination date and time (local);
- ``idit``: an AVI's date/time original (local);
- ``icrd``: a WAV or AVI's LIST/INFO creation date (local; often the day only).

The recording time (``Record.recorded_start``) is chosen by one rule:

1. the file name, when it matches a camera pattern: the firmware names the file from its clock when recording
   starts, and it is what the camera's own index and the officer see;
2. otherwise the embedded time, most specific first, in the order of the list above (a day-only date is never
   chosen);
3. the end is the start plus the decoded duration.

The chosen time is the device's clock. Linking, storage deadlines and compliance all use it corrected by the skew
the device showed when it was docked (``evidence.classify.corrected_span``).

Any other source further than ``LAWTRACE_CLOCK_TOLERANCE_SECONDS`` from both the chosen start and end (a camera may
stamp the container when it closes the file) — or a day-only date naming another day — is a disagreement: kept on
the record with both values and raised as a compliance finding on the clip. An MP4 creation time that is the local
wall-clock time written as if it were UTC, a common firmware fault, agrees when read that way and is shown so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.models import TimeSource

PRECEDENCE = ("file_name", "exif", "quicktime", "container", "bext", "idit", "icrd")


@dataclass(frozen=True)
class Reading:
    source: str
    moment: dt.datetime  # aware
    day_only: bool = False
    local_as_utc: bool = False  # an MP4 time read as local wall-clock time, because that is what it agrees as

    def as_json(self) -> dict:
        return {"source": self.source, "time": self.moment.isoformat(), "day_only": self.day_only,
                "local_as_utc": self.local_as_utc}


@dataclass(frozen=True)
class Disagreement:
    chosen: Reading
    other: Reading
    seconds: int


@dataclass(frozen=True)
class Verdict:
    start: dt.datetime | None
    end: dt.datetime | None
    source: str
    readings: tuple[Reading, ...]
    disagreement: Disagreement | None = None


def local(moment: dt.datetime) -> dt.datetime:
    """A naive wall-clock time of the device, in the deployment's time zone."""
    return timezone.make_aware(moment, timezone.get_default_timezone())


def decide(name_start: dt.datetime | None, name_end: dt.datetime | None, embedded: list[Reading],
           duration_seconds: float | None, tolerance: dt.timedelta) -> Verdict:
    readings = ([Reading("file_name", name_start)] if name_start else []) + list(embedded)
    chosen = next((r for source in PRECEDENCE for r in readings if r.source == source and not r.day_only), None)
    if chosen is None:
        return Verdict(None, None, "", tuple(readings))
    start = chosen.moment
    end = name_end if chosen.source == "file_name" and name_end else \
        start + dt.timedelta(seconds=duration_seconds or 0)
    judged: list[Reading] = []
    worst: Disagreement | None = None
    for reading in readings:
        if reading is chosen:
            judged.append(reading)
            continue
        reading = _as_local_if_that_agrees(reading, start, end, tolerance)
        judged.append(reading)
        seconds = _distance(reading, start, end)
        if seconds > tolerance.total_seconds() and (worst is None or seconds > worst.seconds):
            worst = Disagreement(chosen, reading, int(seconds))
    return Verdict(start, end, chosen.source, tuple(judged), worst)


def _distance(reading: Reading, start: dt.datetime, end: dt.datetime) -> float:
    if reading.day_only:
        day = timezone.localtime(start).date()
        return abs((reading.moment.date() - day).days) * 86400.0
    if start <= reading.moment <= end:
        return 0.0
    return min(abs((reading.moment - start).total_seconds()), abs((reading.moment - end).total_seconds()))


def _as_local_if_that_agrees(reading: Reading, start: dt.datetime, end: dt.datetime,
                             tolerance: dt.timedelta) -> Reading:
    if reading.source != "container" or _distance(reading, start, end) <= tolerance.total_seconds():
        return reading
    wall = local(reading.moment.astimezone(dt.UTC).replace(tzinfo=None))
    candidate = Reading(reading.source, wall, local_as_utc=True)
    return candidate if _distance(candidate, start, end) <= tolerance.total_seconds() else reading


def label(source: str) -> str:
    return str(dict(TimeSource.choices).get(source, source))


def disagreement_params(stored: list[dict] | None, chosen_source: str, start: dt.datetime | None,
                        end: dt.datetime | None) -> dict:
    """The two values a disagreement is shown with: the chosen time and the source furthest from it."""
    if start is None:
        return {}
    end = end or start
    chosen = next((item for item in stored or [] if item.get("source") == chosen_source), None)
    worst, worst_seconds = None, -1.0
    for item in stored or []:
        if item is chosen:
            continue
        try:
            reading = Reading(item["source"], dt.datetime.fromisoformat(item["time"]), bool(item.get("day_only")))
        except (KeyError, TypeError, ValueError):
            continue
        seconds = _distance(reading, start, end)
        if seconds > worst_seconds:
            worst, worst_seconds = item, seconds
    if worst is None:
        return {}
    return {"chosen_source": chosen_source, "chosen": start.isoformat(), "other_source": worst["source"],
            "other": worst["time"], "other_day_only": bool(worst.get("day_only")), "seconds": int(worst_seconds)}


def describe(params: dict) -> str:
    """A disagreement in words, with both values (``disagreement_params``)."""

    def shown(value: str, day_only: bool = False) -> str:
        try:
            moment = timezone.localtime(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
        return f"{moment:%Y-%m-%d}" if day_only else f"{moment:%Y-%m-%d %H:%M:%S}"

    return _("%(chosen_source)s says %(chosen)s, %(other_source)s says %(other)s: %(seconds)s seconds apart. The "
             "recording time is taken from %(chosen_source)s.") % {
        "chosen_source": label(params.get("chosen_source", "")), "chosen": shown(params.get("chosen", "")),
        "other_source": label(params.get("other_source", "")),
        "other": shown(params.get("other", ""), bool(params.get("other_day_only"))),
        "seconds": params.get("seconds", "")}


@dataclass(frozen=True)
class Row:
    label: str
    moment: dt.datetime | None
    day_only: bool
    local_as_utc: bool


def rows(stored: list[dict] | None) -> list[Row]:
    """The stored readings, labelled, for pages."""
    labels = dict(TimeSource.choices)
    found = []
    for item in stored or []:
        try:
            moment = dt.datetime.fromisoformat(item["time"])
        except (KeyError, TypeError, ValueError):
            moment = None
        source = item.get("source", "")
        found.append(Row(str(labels.get(source, source)), moment, bool(item.get("day_only")),
                         bool(item.get("local_as_utc"))))
    return found
