from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from devices import imports
from lawtrace.tables import TableError
from org.cli import operator_label, report_lines
from org.models import Agency


class Command(BaseCommand):
    help = "Recording devices at the server: import the register (序列号, 品牌, 型号, 单位, 保管人; 设备类型 optional)."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("import", help="import a device register from .xlsx or .csv")
        load.add_argument("file")
        load.add_argument("--agency", required=True, help="agency code")
        load.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")

    def handle(self, *args, action: str, file: str, agency: str, dry_run: bool, **options) -> None:
        found = Agency.objects.filter(code=agency).first()
        if found is None:
            raise CommandError(_("No agency has the code %(code)s.") % {"code": agency})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": path})
        try:
            plan = imports.plan(found, path.name, path.read_bytes())
        except TableError as error:
            raise CommandError(str(error)) from error
        if not dry_run:
            imports.apply(plan, actor=None, actor_label=operator_label())
        for line in report_lines(plan):
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
