import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lawtrace.backup import BackupError, check_restored, restore, snapshots


class Command(BaseCommand):
    help = ("Restore a backup snapshot into this installation's (empty) database, key directory and store, then "
            "check it: the ledger verifies, every record plays, every object is intact.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="a snapshot directory, or a backup directory (its newest)")
        parser.add_argument("--no-check", action="store_true", help="restore only; check later with --check-only")
        parser.add_argument("--check-only", action="store_true", help="only check the installation as it is")

    def handle(self, *args, source: Path, no_check: bool, check_only: bool, **options) -> None:
        if not check_only:
            snapshot = source
            if not (source / "manifest.json").exists():
                complete = snapshots(source) if source.is_dir() else []
                if not complete:
                    raise CommandError(f"no complete snapshot in {source}")
                snapshot = complete[-1]
            try:
                restored = restore(snapshot)
            except (BackupError, OSError) as exc:
                raise CommandError(f"restore failed: {exc}") from exc
            # A dump from an older release is brought up to this one's schema.
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write(json.dumps({"restored_from": str(snapshot), **restored}))
        if no_check:
            return
        result = check_restored()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if not result["passed"]:
            raise CommandError("the restored installation did not pass its checks")
