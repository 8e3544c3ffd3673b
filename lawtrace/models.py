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


class Lease(models.Model):
    """A duty one process of the cluster holds until it stops renewing it (``lawtrace.leases``): a named duty such as
    the scheduler's, or running one task of the database queue (``task`` set), which another worker takes over once
    the lease has lapsed."""

    name = models.CharField(_("duty"), max_length=64, unique=True)
    holder = models.CharField(_("held by"), max_length=128, blank=True)
    expires_at = models.DateTimeField(_("held until"), db_index=True)
    task = models.OneToOneField("django_tasks_database.DBTaskResult", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="lease", verbose_name=_("task"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    renewed_at = models.DateTimeField(_("renewed at"), null=True, blank=True)
    takeovers = models.PositiveSmallIntegerField(_("taken over from dead workers"), default=0)

    class Meta:
        verbose_name = _("lease")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or '-'}"
