import datetime as dt
import os
import signal
import socket
import threading
import uuid

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from lawtrace import leases, scheduler

LEASE = "scheduler"


class Command(BaseCommand):
    help = ("Enqueue periodic jobs when they are due (run beside db_worker). On several nodes, one holds the "
            "scheduler lease and the others stand by.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=int, default=15, help="seconds between looks (default 15)")
        parser.add_argument("--lease-seconds", type=int, default=0,
                            help="how long the lease lasts unrenewed (default four intervals)")

    def handle(self, *args, once: bool, interval: int, lease_seconds: int, **options) -> None:
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        ttl = dt.timedelta(seconds=lease_seconds or 4 * interval)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        holding = False
        try:
            while not stop.is_set():
                close_old_connections()
                held = leases.hold_lease(LEASE, holder, ttl)
                if held != holding:
                    self.stdout.write(f"{holder}: {'holds' if held else 'stands by for'} the scheduler lease")
                    holding = held
                if held:
                    for name in scheduler.run_due():
                        self.stdout.write(f"enqueued {name}")
                if once:
                    return
                stop.wait(interval)
        finally:
            if holding:
                leases.release_lease(LEASE, holder)
