from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django_tasks import task


@task()
def prune_task_results() -> None:
    """Finished task results are working data, not records (the ledger holds what happened): without pruning the
    table would grow by several rows per recording for years. Failed ones are kept longer, for whoever looks."""
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return
    call_command("prune_db_task_results", "--min-age-days", str(settings.TASK_RESULTS_KEEP_DAYS),
                 "--failed-min-age-days", str(settings.TASK_RESULTS_KEEP_DAYS * 3), verbosity=0)
