from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices.models import Device
from evidence.dump import import_dump
from evidence.ingest import IngestRefused, Origin
from evidence.models import Record
from evidence.services import report_docking
from org.services import staff_by_number

STATUS_LABELS = {"filed": gettext_lazy("filed"), "duplicate": gettext_lazy("already filed"),
                 "quarantined": gettext_lazy("unreadable, kept apart"), "skipped": gettext_lazy("skipped"),
                 "refused": gettext_lazy("refused")}
# Exit codes beyond Django's 1 (a usage error): something was not filed, or something is not a readable recording.
EXIT_REFUSED = 2
EXIT_UNREADABLE = 3


def _moment(value: str, option: str) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(_("%(option)s: %(value)s is not a time (example: 2026-11-22T09:30:00)")
                           % {"option": option, "value": value})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = ("Import a body camera's dump folder (recursively) into the archive. Safe to run again. Exit status: 0 "
            "every file filed or already filed; 2 some files refused (not filed); 3 some files kept but unreadable.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--device", required=True, help="serial number of the camera")
        parser.add_argument("--officer", required=True, help="staff or certificate number of the officer")
        parser.add_argument("--agency", help="agency code, when the serial is registered in several agencies")
        parser.add_argument("--device-clock", help="the camera's clock read at docking, to record its skew")
        parser.add_argument("--remote-reason", default="", help="remote or continuous work, stated by the officer")
        parser.add_argument("--returned-at", help="when the officer returned to the unit")

    def handle(self, *args, **options) -> None:
        devices = Device.objects.filter(serial=options["device"]).select_related("agency", "unit")
        if options["agency"]:
            devices = devices.filter(agency__code=options["agency"])
        matches = list(devices[:2])
        if not matches:
            raise CommandError(_("No device with serial number %(serial)s is registered.")
                               % {"serial": options["device"]})
        if len(matches) > 1:
            raise CommandError(_("Several agencies registered this serial number; name one with --agency."))
        device = matches[0]
        officer = staff_by_number(device.agency, options["officer"])
        if officer is None:
            raise CommandError(_("%(agency)s has no staff member with number %(number)s.")
                               % {"agency": device.agency, "number": options["officer"]})
        if options["device_clock"]:
            docking = report_docking(device, device_time=_moment(options["device_clock"], "--device-clock"))
            self.stdout.write(_("Device clock skew: %(skew)+d s") % {"skew": docking.skew_seconds})
        origin = Origin(
            agency=device.agency, channel=Record.Channel.DUMP, device=device, officer=officer,
            unit=device.unit or officer.unit, remote_reason=options["remote_reason"],
            returned_to_unit_at=_moment(options["returned_at"], "--returned-at") if options["returned_at"] else None,
        )

        def progress(index: int, total: int, result) -> None:
            label = STATUS_LABELS[result.status]
            self.stdout.write(f"[{index}/{total}] {label} {result.path}: {result.message}")

        try:
            report = import_dump(options["folder"], origin, progress=progress)
        except IngestRefused as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{STATUS_LABELS[s]} {report.count(s)}" for s in STATUS_LABELS)
        self.stdout.write(_("Done: %(summary)s") % {"summary": summary})
        if report.count("refused"):
            raise CommandError(_("Some files were not filed; see above. Run again after fixing them: "
                                 "files already filed are not imported twice."), returncode=EXIT_REFUSED)
        if report.count("quarantined"):
            raise CommandError(_("Some files could not be read as recordings; they are kept unchanged and listed "
                                 "for the archivist as unreadable files, and count for no activity."),
                               returncode=EXIT_UNREADABLE)
