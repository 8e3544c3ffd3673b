from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from ledger import checkpoints
from ledger.models import VerificationRun
from ledger.verification import verify_ledger


@task()
def sign_checkpoint() -> int | None:
    made = checkpoints.make_checkpoint()
    return made.size if made else None


@task()
def run_verification(run_id: int) -> str:
    run = VerificationRun.objects.get(pk=run_id)
    run.state = VerificationRun.State.RUNNING
    run.save(update_fields=["state"])

    def progress(done: int, total: int) -> None:
        VerificationRun.objects.filter(pk=run_id).update(events_checked=done)

    report = verify_ledger(progress)
    run.events_checked = report.events_checked
    run.checkpoints_checked = report.checkpoints_checked
    run.problems = report.as_json()
    run.state = VerificationRun.State.PASSED if report.passed else VerificationRun.State.FAILED
    run.finished_at = timezone.now()
    run.save()
    return run.state
