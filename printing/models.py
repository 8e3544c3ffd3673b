"""A long printed register or ledger made in the background (issue 27): what was asked, how far the job is, and the
PDF it left on the server for the one who asked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


class PrintJob(models.Model):
    class Kind(models.TextChoices):  # each declared with how to build it by its app (printing.documents)
        ACCESS_REGISTER = "access_register", _("Access register")
        USAGE_LEDGER = "usage_ledger", _("Recording device usage ledger")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        MAKING = "making", _("being made")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("failed")
        REMOVED = "removed", _("removed from the server")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("document"), max_length=40, choices=Kind.choices)
    params = models.JSONField(_("what was asked"), default=dict)  # the period and filters, as the page took them
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    statement = models.TextField(_("what it covers"), blank=True)  # as printed on its first page
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    total_rows = models.PositiveIntegerField(_("entries in all"), default=0)
    done_rows = models.PositiveIntegerField(_("entries done"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    # Written with each batch: a job whose worker died stops beating and is seen as failed (printing.services).
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("printed document")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self) -> str:
        return f"打印文书 {self.pk}"

    def in_progress(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.MAKING)
