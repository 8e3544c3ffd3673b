from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evidence.models import FilenamePattern, Station
from evidence.services import add_name_pattern, create_station, disable_station
from org.models import Agency, Unit


class Command(BaseCommand):
    help = "Collection stations and camera file-name patterns: add a station (its token is shown once), list, disable."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="register a station and print its token once")
        add.add_argument("name")
        add.add_argument("--agency", required=True, help="agency code")
        add.add_argument("--unit", help="unit name")
        actions.add_parser("list")
        disable = actions.add_parser("disable")
        disable.add_argument("name")
        disable.add_argument("--agency", required=True)
        pattern = actions.add_parser("pattern", help="add a camera model's file-name pattern")
        pattern.add_argument("brand")
        pattern.add_argument("model", help="empty string for every model of the brand")
        pattern.add_argument("regex", help="named groups: serial, officer, start, end, seq")
        pattern.add_argument("--time-format", default="%Y%m%d%H%M%S")
        actions.add_parser("patterns")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error

    def _agency(self, code: str) -> Agency:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise CommandError(_("No agency with code %(code)s.") % {"code": code})
        return agency

    def _add(self, name: str, agency: str, unit: str | None, **options) -> None:
        owner = self._agency(agency)
        found_unit = Unit.objects.filter(agency=owner, name=unit).first() if unit else None
        if unit and found_unit is None:
            raise CommandError(_("No unit named %(name)s.") % {"name": unit})
        station, token = create_station(owner, name=name, unit=found_unit)
        self.stdout.write(_("Station %(name)s registered. Its token, shown only now:") % {"name": station.name})
        self.stdout.write(token)

    def _list(self, **options) -> None:
        for station in Station.objects.select_related("agency").order_by("agency__code", "name"):
            state = _("active") if station.active else _("disabled")
            self.stdout.write(f"{station.agency.code}\t{station.name}\t{state}")

    def _disable(self, name: str, agency: str, **options) -> None:
        station = Station.objects.filter(agency=self._agency(agency), name=name).first()
        if station is None:
            raise CommandError(_("No station named %(name)s.") % {"name": name})
        disable_station(station)
        self.stdout.write(_("Station %(name)s disabled.") % {"name": name})

    def _pattern(self, brand: str, model: str, regex: str, time_format: str, **options) -> None:
        add_name_pattern(brand=brand, model=model, regex=regex, time_format=time_format)
        self.stdout.write(_("Pattern added."))

    def _patterns(self, **options) -> None:
        for row in FilenamePattern.objects.all():
            self.stdout.write(f"{row.brand}\t{row.model or '*'}\t{row.regex}\t{row.time_format}")
