"""Retention per record (000/2/15), holds (000/2/16), purge proposals and tombstones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


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

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("retention schedule")
        indexes = [models.Index(fields=["agency", "retain_until"])]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.retain_until or ('permanent' if self.permanent else self.pending)}"

    @property
    def shortening_pending(self) -> bool:
        """The rules now give an earlier end than the one in force: only the head may shorten (000/2/15)."""
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

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("hold")
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["record", "released_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.record.original_name}"


class PurgeProposal(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("approved, waiting for the purge job")
        ERASING = "erasing", _("tombstone written, content being removed")
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

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("purge proposal")
        ordering = ["-proposed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["record"], condition=models.Q(state__in=[
            "proposed", "approved"]), name="one_live_purge_proposal_per_record")]

    def __str__(self) -> str:
        return f"purge #{self.record_id} {self.state}"


class Tombstone(models.Model):
    """What remains of a purged record: its hashes, its metadata, who approved and when it went (000/2/15, 000/2/15)."""

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

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tombstone")
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"tombstone #{self.record_id}"


class Disc(models.Model):
    """One disc image (000/2/16): an evidence package burned as ISO 9660 with Joliet names, kept as two carriers."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        MAKING = "making", _("being made")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("activity or case name and number"), max_length=200)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    records = models.ManyToManyField("evidence.Record", verbose_name=_("records"), related_name="discs")
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
                              related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    made_at = models.DateTimeField(_("made at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    error = models.TextField(_("error"), blank=True)
    image_name = models.CharField(_("image file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    sm3 = models.CharField("SM3", max_length=64, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("disc image")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.pk})"


class Carrier(models.Model):
    """A physical copy of a disc, kept in its own place (two copies: 000/2/16, 002/音像/16)."""

    disc = models.ForeignKey(Disc, on_delete=models.PROTECT, related_name="carriers")
    copy_number = models.PositiveSmallIntegerField(_("copy"))
    serial = models.CharField(_("carrier serial"), max_length=64)
    storage_place = models.CharField(_("storage place"), max_length=120)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("registered at"))
    next_check_on = models.DateField(_("next read check"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("disc carrier")
        ordering = ["disc", "copy_number"]
        constraints = [models.UniqueConstraint(fields=["disc", "copy_number"], name="one_carrier_per_copy")]

    def __str__(self) -> str:
        return f"{self.disc.title} #{self.copy_number} {self.serial}"


class ReadCheck(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="checks")
    checked_at = models.DateTimeField(_("checked at"))
    readable = models.BooleanField(_("readable and hashes match"))
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.checked_at:%Y-%m-%d}"
