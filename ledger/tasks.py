from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from ledger import checkpoints, publication, witness
from ledger.models import VerificationRun
from ledger.verification import verify_ledger

log = logging.getLogger(__name__)


@task()
def sign_checkpoint() -> int | None:
    made = checkpoints.make_checkpoint()
    # Publish this one and any an unreachable store held back before.
    publication.publish_pending()
    return made.size if made else None


@task()
def push_witness() -> list[bool]:
    return [delivery.ok for delivery in witness.push()]


@task()
def run_verification(run_id: int) -> str:
    """Always ends passed or failed: a fault inside verification fails the run with its reason."""
    run = VerificationRun.objects.get(pk=run_id)
    VerificationRun.objects.filter(pk=run_id).update(state=VerificationRun.State.RUNNING, heartbeat_at=timezone.now())

    side = None if connection.in_atomic_block else connections.create_connection(DEFAULT_DB_ALIAS)

    def progress(done: int, total: int) -> None:
        # Verification reads one snapshot on this thread's connection, where nothing may be written: the progress
        # goes through a connection of its own (inside a caller's transaction, a test's, through that one).
        if side is None:
            VerificationRun.objects.filter(pk=run_id).update(events_checked=done, heartbeat_at=timezone.now())
            return
        with side.cursor() as cursor:
            cursor.execute(f"UPDATE {VerificationRun._meta.db_table} SET events_checked = %s, heartbeat_at = %s "
                           "WHERE id = %s", [done, side.ops.adapt_datetimefield_value(timezone.now()), run_id])

    try:
        report = verify_ledger(progress)
    except Exception as error:  # noqa: BLE001 — reported on the run, never left "running"
        log.exception("ledger verification run %s failed", run_id)
        run.problems = [{"kind": "error", "label": _("verification error"), "where": "", "ref": "",
                         "message": _("The verification could not be completed: %(error)s")
                         % {"error": f"{error.__class__.__name__}: {error}"}}]
        run.state = VerificationRun.State.FAILED
    else:
        run.events_checked = report.events_checked
        run.checkpoints_checked = report.checkpoints_checked
        run.problems = report.as_json()
        run.state = VerificationRun.State.PASSED if report.passed else VerificationRun.State.FAILED
    finally:
        if side is not None:
            side.close()
    run.finished_at = timezone.now()
    run.save(update_fields=["events_checked", "checkpoints_checked", "problems", "state", "finished_at"])
    return run.state
