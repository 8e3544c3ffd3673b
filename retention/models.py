"""Retention per record (R5), holds (R6.1), purge proposals and tombstones (R5, 000/2/15)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Schedule(models.Model):
    """How long one record is kept, by which rules of its agency's pack. Recomputed when its facts change."""

    record = models.OneToOneField("evidence.Record", primary_key=True, on_delete=models.PROTECT,
                                  related_name="retention")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    retain_until = models.DateField(_("kept until"), null=True, blank=True)
    computed_until = models.DateField(_("the rules now give"), null=True, blank=True)
    permanent = models.BooleanField(_("kept permanently"), default=False)
    pending = models.CharField(_("no end date yet because"), max_length=200, blank=True)
    rules = models.CharField(_("retention rules"), max_length=200, blank=True)
    cites = models.CharField(_("articles"), max_length=200, blank=True)
    label = models.TextField(_("rule"), blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("retention schedule")
        indexes = [models.Index(fields=["agency", "retain_until"])]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.retain_until or ('permanent' if self.permanent else self.pending)}"

    @property
    def shortening_pending(self) -> bool:
        """The rules now give an earlier end than the one in force: only the head may shorten (R5)."""
        return (self.retain_until is not None and self.computed_until is not None
                and self.computed_until < self.retain_until)


class Hold(models.Model):
    class Kind(models.TextChoices):
        LONG_TERM = "long_term", _("long-term preservation")
        LITIGATION = "litigation", _("litigation")
        REVIEW = "review", _("administrative review")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey("evidence.Record", verbose_name=_("record"), on_delete=models.PROTECT,
                               related_name="holds")
    kind = models.CharField(_("kind of hold"), max_length=16, choices=Kind.choices)
    trigger = models.CharField(_("preservation trigger"), max_length=64, blank=True)
    trigger_label = models.CharField(_("preservation trigger"), max_length=200, blank=True)
    cites = models.CharField(_("articles"), max_length=200, blank=True)
    reason = models.TextField(_("reason for the hold"))
    supporting = models.ManyToManyField("evidence.Record", verbose_name=_("supporting records"), blank=True,
                                        related_name="+")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("why released"), blank=True)

    class Meta:
        verbose_name = _("hold")
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["record", "released_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.record_id}"


class PurgeProposal(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("approved, waiting for the purge job")
        REJECTED = "rejected", _("rejected")
        DONE = "done", _("purged")
        BLOCKED = "blocked", _("blocked")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey("evidence.Record", verbose_name=_("record"), on_delete=models.PROTECT,
                               related_name="purge_proposals")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PROPOSED)
    reason = models.TextField(_("why it has no preservation value"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    blocked_reason = models.TextField(_("why it was not purged"), blank=True)

    class Meta:
        verbose_name = _("purge proposal")
        ordering = ["-proposed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["record"], condition=models.Q(state__in=[
            "proposed", "approved"]), name="one_live_purge_proposal_per_record")]

    def __str__(self) -> str:
        return f"purge #{self.record_id} {self.state}"


class Tombstone(models.Model):
    """What remains of a purged record: its hashes, its metadata, who approved and when it went (R5, 000/2/15)."""

    record = models.OneToOneField("evidence.Record", primary_key=True, on_delete=models.PROTECT,
                                  related_name="tombstone")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField("SHA-256", max_length=64)
    sm3 = models.CharField("SM3", max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    metadata = models.JSONField(_("metadata"))
    approvals = models.JSONField(_("approvals"))
    purged_at = models.DateTimeField(_("purged at"))
    event_seq = models.BigIntegerField(_("ledger event"))

    class Meta:
        verbose_name = _("tombstone")
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"tombstone #{self.record_id}"
