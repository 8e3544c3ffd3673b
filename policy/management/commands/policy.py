from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policy.loader import PackInvalid, load_pack
from policy.registry import registry


class Command(BaseCommand):
    help = "Policy packs: 'check FILE…' validates packs and prints each error with its YAML line; 'list' shows packs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate pack files")
        check.add_argument("files", nargs="+", type=Path)
        sub.add_parser("list", help="list the packs loaded by this installation")

    def handle(self, *args, action: str, files: list[Path] | None = None, **options) -> None:
        if action == "list":
            for code in registry().codes():
                for pack in registry().versions(code):
                    self.stdout.write(f"{code}\tv{pack.version}\t{pack.effective_from}\t{pack.agency.name}")
            return
        failed = 0
        for path in files or []:
            try:
                pack = load_pack(path)
            except PackInvalid as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(str(error))
                continue
            self.stdout.write(self.style.SUCCESS(f"{path}: OK ({pack.pack} v{pack.version}, {pack.agency.name})"))
        if failed:
            raise CommandError(f"{failed} pack(s) invalid")
