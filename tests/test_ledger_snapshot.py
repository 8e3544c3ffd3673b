"""Verification while other nodes append (issue 23, the cluster bench's verify=fail): one run checks one moment of the
database; what is appended meanwhile is left for the next run and never reads as tampering."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, transaction

from ledger import checkpoints, rawsql, tree
from ledger import verification as verification_module
from ledger.events import record_event
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)


def _append_elsewhere(n: int) -> None:
    """What another web node does meanwhile: appends on a connection of its own, committed before we go on."""

    def work() -> None:
        try:
            for i in range(n):
                with transaction.atomic():
                    record_event("test.elsewhere", detail={"i": i})
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def _appending_after_the_head_is_read(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    read_checkpoints = verification_module._database_checkpoints

    def then_append(report):
        _append_elsewhere(n)
        return read_checkpoints(report)

    monkeypatch.setattr(verification_module, "_database_checkpoints", then_append)


def test_events_appended_during_verification_are_left_for_the_next_run(monkeypatch):
    for i in range(6):
        with transaction.atomic():
            record_event("test.event", detail={"i": i})
    checkpoints.make_checkpoint()
    _appending_after_the_head_is_read(monkeypatch, 3)
    report = verify_ledger()
    assert report.passed, [p.message for p in report.problems]
    assert report.events_checked == 7  # six events and the checkpoint's, as the head stood when the run began
    monkeypatch.undo()
    again = verify_ledger()
    assert again.passed and again.events_checked == tree.current_size() == 10


def test_without_one_snapshot_the_same_appends_read_as_rows_past_the_head(monkeypatch):
    """The control: the test above can fail. Read statement by statement, the appended rows look forged."""
    for i in range(4):
        with transaction.atomic():
            record_event("test.event", detail={"i": i})
    _appending_after_the_head_is_read(monkeypatch, 2)
    monkeypatch.setattr(rawsql, "one_snapshot", contextlib.nullcontext)
    report = verify_ledger()
    assert ("inserted", "#4") in {(p.kind, p.where) for p in report.problems}


def test_a_verification_job_reports_progress_beside_its_snapshot(monkeypatch):
    """The job's progress is written while the run reads one read-only snapshot: through a connection of its own."""
    from ledger.models import VerificationRun
    from ledger.tasks import run_verification

    for i in range(3):
        with transaction.atomic():
            record_event("test.event", detail={"i": i})
    run = VerificationRun.objects.create()
    _appending_after_the_head_is_read(monkeypatch, 2)
    assert run_verification.func(run.pk) == VerificationRun.State.PASSED
    run.refresh_from_db()
    assert run.events_checked == 3 and run.heartbeat_at is not None and not run.problems
