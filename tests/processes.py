"""Real processes for crash tests: a child runs Django against the test database (a file for SQLite, the test
database for PostgreSQL), optionally with a line of test code that stops it at a chosen point, so the parent can
kill it there with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# Runs in the child: ``HOLD`` names an attribute to wrap (``module:object.attr`` or ``module:attr``); when it is
# reached, the child writes ``MARK`` and waits to be killed. ``before`` holds on entry, ``after`` once it returned.
PRELUDE = """
import importlib, os, pathlib, sys, time
import django
django.setup()
hold = os.environ.get("HOLD", "")
if hold:
    where, when = hold.rsplit("@", 1)
    module_name, _, path = where.partition(":")
    owner = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    real = getattr(owner, name)
    def stop():
        pathlib.Path(os.environ["MARK"]).write_text("reached")
        time.sleep(3600)
    def held(*args, **kwargs):
        if when == "before":
            stop()
        result = real(*args, **kwargs)
        stop()
        return result
    setattr(owner, name, held)
from django.core.management import CommandError, call_command
try:
    call_command(*sys.argv[1:])
except CommandError as error:  # as manage.py would: the message, and the command's exit status
    print(error, file=sys.stderr)
    sys.exit(error.returncode)
"""


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(), "LAWTRACE_STORE_DIR": str(settings.EVIDENCE_STORE_DIR),
           "LAWTRACE_UPLOAD_DIR": str(settings.EVIDENCE_UPLOAD_DIR), "LAWTRACE_STORE": "local",
           "LAWTRACE_TASK_BACKEND": "django_tasks_db.DatabaseBackend", "PYTHONUNBUFFERED": "1"}
    env.pop("LAWTRACE_DEBUG", None)
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 — closed by the OS when the child goes
    return subprocess.Popen([sys.executable, "-c", PRELUDE, *args], cwd=ROOT, env=env, stdout=handle,
                            stderr=subprocess.STDOUT)


def run(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_for(mark: Path, child: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not mark.exists():
        if child.poll() is not None:
            raise AssertionError(f"the child ended before its stop:\n{log.read_text()}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"the child never reached its stop:\n{log.read_text()}")
        time.sleep(0.05)


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
