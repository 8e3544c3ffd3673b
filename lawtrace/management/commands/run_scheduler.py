import time

from django.core.management.base import BaseCommand, CommandParser

from lawtrace import scheduler


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (run beside db_worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=int, default=15, help="seconds between looks (default 15)")

    def handle(self, *args, once: bool, interval: int, **options) -> None:
        while True:
            for name in scheduler.run_due():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
