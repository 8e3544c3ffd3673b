"""执法记录仪使用情况台账 (000/2/4, 002/音像/4): who used each device, hand-over times, what was recorded.

Read from the hand-over events, not from a table anyone can edit, so the ledger is as tamper-evident as the log.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.models import Device
from evidence.queries import device_recordings
from ledger.queries import events_matching
from org.models import Agency, User


@dataclass
class LedgerRow:
    device_id: int
    device: str
    holder: str
    out_at: dt.datetime
    purpose: str
    out_by: str
    back_at: dt.datetime | None = None
    back_by: str = ""
    back_note: str = ""
    clips: int = 0
    photos: int = 0
    minutes: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def recorded(self) -> str:
        if not (self.clips or self.photos):
            return _("nothing recorded")
        return _("%(clips)d recordings, %(minutes).0f minutes; %(photos)d photos") % {
            "clips": self.clips, "minutes": self.minutes, "photos": self.photos}


def _visible_keys(user: User):
    """The ledger's object ids of the devices ``user`` may see, as a subquery: the ledger shows exactly the devices
    the device list shows, by the one rule ``devices/permissions.py`` declares (an administrator sees neither)."""
    return Device.objects.restrict(user).annotate(key=Cast("pk", CharField())).values("key")


def rows(user: User, start: dt.datetime, end: dt.datetime, device_id: int | None = None) -> list[LedgerRow]:
    """Hand-overs of the devices ``user`` may see that began in [start, end), with their returns (whenever they
    came) and what was recorded."""
    agency = user.agency
    if agency is None:
        return []
    found: dict[str, LedgerRow] = {}
    outs = events_matching(verbs=["device.hand_out"], agency_code=agency.code, object_type="devices.device",
                           object_ids=[device_id] if device_id else None, since=start, until=end
                           ).filter(object_id__in=_visible_keys(user))
    for event in outs:
        after = event.after or {}
        found[str(after.get("hand_over"))] = LedgerRow(
            device_id=int(event.object_id), device=event.object_label, holder=after.get("holder_label", ""),
            out_at=dt.datetime.fromisoformat(after["out_at"]), purpose=after.get("purpose", ""),
            out_by=event.actor_label)
    if found:
        backs = events_matching(verbs=["device.return"], agency_code=agency.code, object_type="devices.device",
                                object_ids={r.device_id for r in found.values()}, since=start)
        for event in backs:
            row = found.get(str((event.after or {}).get("hand_over")))
            if row is not None:
                row.back_at = dt.datetime.fromisoformat(event.after["back_at"])
                row.back_by, row.back_note = event.actor_label, event.after.get("note", "")
        _add_recordings(list(found.values()))
    return sorted(found.values(), key=lambda r: (r.out_at, r.device))


def _add_recordings(ledger: list[LedgerRow]) -> None:
    now = timezone.now()
    earliest = min(r.out_at for r in ledger)
    latest = max(r.back_at or now for r in ledger)
    by_device: dict[int, list[LedgerRow]] = {}
    for row in ledger:
        by_device.setdefault(row.device_id, []).append(row)
    for device_id, start, end, kind in device_recordings(list(by_device), earliest, latest):
        for row in by_device[device_id]:
            if row.out_at <= start <= (row.back_at or now):
                if kind == "photo":
                    row.photos += 1
                else:
                    row.clips += 1
                    row.minutes += ((end or start) - start).total_seconds() / 60
                break


def statement(start: dt.date, end: dt.date, device, total: int) -> str:
    """What a printed or exported ledger covers, on the document itself: the period, the device, and how many
    hand-overs that is — all of them."""
    text = _("Period: %(start)s ~ %(end)s; %(total)d hand-overs, all of them.") % {
        "start": start.isoformat(), "end": end.isoformat(), "total": total}
    if device is not None:
        text += _(" Device: %(device)s only.") % {"device": device}
    return text


def span(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The days ``first`` to ``last`` (both included, local time) as instants."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def printed(user: User, params: dict):
    """The ledger as a printed document (printing.documents) of the period and device in ``params`` (ISO dates and
    a device id, as the page took them), as ``user`` may see it. Its rows are few bytes each and read at once; the
    layout, which is what costs, is made a batch at a time (printing/render.py)."""
    from printing.documents import Document, chunks

    first, last = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
    device = Device.objects.restrict(user).filter(pk=params["device"]).first() if params.get("device") else None
    if params.get("device") and device is None:
        ledger = []  # the device is no longer one the user may see: nothing of it is printed
    else:
        ledger = rows(user, *span(first, last), device.pk if device else None)
    return Document(template="devices/usage_ledger_print.html", title=f"使用情况台账-{first:%Y%m%d}-{last:%Y%m%d}",
                    statement=statement(first, last, device, len(ledger)), total=len(ledger),
                    batches=lambda size: chunks(ledger, size),
                    context={"agency": user.agency, "printed_at": timezone.now()})


def xlsx(agency: Agency, ledger: list[LedgerRow], start: dt.datetime, end: dt.datetime, *,
         statement: str = "") -> bytes:
    from lawtrace.spreadsheets import workbook

    buffer = io.BytesIO()
    book = workbook(buffer)
    sheet = book.add_worksheet(_("Usage ledger"))
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write(0, 0, _("Recording device usage ledger") + f" · {agency.name}", bold)
    last_day = timezone.localtime(end - dt.timedelta(microseconds=1))
    sheet.write(1, 0, statement or f"{timezone.localtime(start):%Y-%m-%d} – {last_day:%Y-%m-%d}")
    heads = [_("device"), _("used by"), _("handed out at"), _("handed out by"), _("purpose"), _("returned at"),
             _("received back by"), _("condition on return"), _("recorded")]
    for col, head in enumerate(heads):
        sheet.write(3, col, head, bold)
    for line, row in enumerate(ledger, start=4):
        sheet.write(line, 0, row.device)
        sheet.write(line, 1, row.holder)
        sheet.write_datetime(line, 2, timezone.localtime(row.out_at).replace(tzinfo=None), when)
        sheet.write(line, 3, row.out_by)
        sheet.write(line, 4, row.purpose)
        if row.back_at:
            sheet.write_datetime(line, 5, timezone.localtime(row.back_at).replace(tzinfo=None), when)
        else:
            sheet.write(line, 5, _("not yet returned"))
        sheet.write(line, 6, row.back_by)
        sheet.write(line, 7, row.back_note)
        sheet.write(line, 8, row.recorded)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 8, 18)
    book.close()
    return buffer.getvalue()
