import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lawtrace.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database, the keys and the store into DEST (a new snapshot; the store copy is incremental)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="backup directory, ideally on another disk or machine")
        parser.add_argument("--keep", type=int, default=7, help="complete snapshots to keep (default 7)")
        parser.add_argument("--no-store", action="store_true",
                            help="leave the store out (it is replicated by the S3 cluster itself)")

    def handle(self, *args, dest: Path, keep: int, no_store: bool, **options) -> None:
        if not dest.is_absolute():
            raise CommandError("DEST must be an absolute path")
        try:
            summary = backup(dest, keep=keep, store=not no_store)
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(json.dumps({
            "snapshot": str(summary.snapshot), "database_bytes": summary.database_bytes,
            "objects": summary.objects, "objects_copied": summary.objects_copied,
            "bytes_copied": summary.bytes_copied, "ledger_events": summary.ledger_size}))
