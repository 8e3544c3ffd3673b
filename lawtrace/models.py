from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """When a periodic job next runs, kept in the database so a restart neither skips nor repeats it."""

    name = models.CharField(_("job"), max_length=64, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_result_id = models.CharField(_("last task"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskLease(models.Model):
    """Which worker runs a task of the database queue, and until when that holds unless renewed (lawtrace.leases)."""

    task = models.OneToOneField("django_tasks_database.DBTaskResult", primary_key=True, on_delete=models.CASCADE,
                                related_name="lease")
    worker_id = models.CharField(_("worker"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    renewed_at = models.DateTimeField(_("renewed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("lease expires at"), db_index=True)
    takeovers = models.PositiveSmallIntegerField(_("taken over from dead workers"), default=0)

    class Meta:
        verbose_name = _("task lease")

    def __str__(self) -> str:
        return f"{self.task_id} {self.worker_id or '-'}"
