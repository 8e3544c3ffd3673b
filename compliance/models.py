from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


class Finding(models.Model):
    """Something an activity's recordings owe the agency's rules. Open until its inputs change so it no longer holds."""

    class Severity(models.TextChoices):
        HIGH = "high", _("serious")
        MEDIUM = "medium", _("moderate")
        LOW = "low", _("minor")

    class Rule(models.TextChoices):
        """The engine's rules (compliance.engine), one sentence each; how a finding reads is compliance.labels."""

        NOT_RECORDED = "not_recorded", _("required recording missing")
        START_NOT_COVERED = "start_not_covered", _("recording started late")
        END_NOT_COVERED = "end_not_covered", _("recording stopped early")
        GAP = "gap", _("recording interrupted")
        KEY_PHOTOS_MISSING = "key_photos_missing", _("no photos of key moments")
        WRITTEN_RECORD_MISSING = "written_record_missing", _("no written record for a partial recording")
        STORED_LATE = "stored_late", _("stored after the deadline")
        RECORDER_UNQUALIFIED = "recorder_unqualified", _("recorded by someone without enforcement qualification")
        PRE_USE_CHECK_MISSING = "pre_use_check_missing", _("no pre-use check of the device")
        PRE_USE_ITEM_FAILED = "pre_use_item_failed", _("device used after failing a pre-use check item")
        CLOCK_OFF = "clock_off", _("device clock was wrong")
        CLOCK_SOURCES_DISAGREE = "clock_sources_disagree", _("the recording's own times disagree")
        DEVICE_NOT_HANDED_OUT = "device_not_handed_out", _("device used without being handed over")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("cases.Activity", verbose_name=_("enforcement activity"), on_delete=models.PROTECT,
                                 related_name="findings")
    record = models.ForeignKey("evidence.Record", verbose_name=_("record"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="findings")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("officer"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    fingerprint = models.CharField(max_length=96)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    cites = models.CharField(_("articles"), max_length=200)
    params = models.JSONField(default=dict)
    opened_at = models.DateTimeField(_("found at"))
    closed_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("compliance finding")
        verbose_name_plural = _("compliance findings")
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["activity", "fingerprint"], condition=models.Q(closed_at=None),
                                               name="finding_one_open_per_fingerprint")]
        indexes = [models.Index(fields=["agency", "closed_at", "rule"]), models.Index(fields=["officer", "closed_at"]),
                   models.Index(fields=["activity", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.activity} · {self.cites}"


class ActivityStatus(models.Model):
    """The last verdict on one activity, kept so rates by unit, officer, category and month are one GROUP BY."""

    activity = models.OneToOneField("cases.Activity", on_delete=models.CASCADE, primary_key=True,
                                    related_name="compliance")
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    category = models.CharField(max_length=16)
    month = models.DateField()
    required = models.BooleanField()  # required by the checklist and past its storage deadline
    compliant = models.BooleanField()
    open_findings = models.PositiveIntegerField(default=0)
    evaluated_at = models.DateTimeField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["agency", "month"]), models.Index(fields=["agency", "required", "compliant"])]

    def __str__(self) -> str:
        return f"#{self.activity_id} {'✓' if self.compliant else '✗'}"


class InterruptionNote(models.Model):
    """工作记录 on a recording interruption (000/2/12): reason from the pack, explanation and basis, reviewed by the
    head. The same work record states why an activity was not recorded at all, on a ground the pack allows (the
    whole activity is then its period)."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for review")
        APPROVED = "approved", _("approved and filed")
        RETURNED = "returned", _("returned for revision")

    class Kind(models.TextChoices):
        INTERRUPTION = "interruption", _("recording interrupted")
        NON_RECORDING = "non_recording", _("not recorded")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey("cases.Activity", verbose_name=_("enforcement activity"), on_delete=models.PROTECT,
                                 related_name="interruption_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INTERRUPTION)
    reason = models.CharField(_("reason"), max_length=64)
    reason_label = models.CharField(_("reason"), max_length=200)
    reason_cites = models.CharField(_("articles"), max_length=200)
    explanation = models.TextField(_("what happened"))
    basis = models.TextField(_("basis"), help_text=_("The facts or rules that justify the interruption."))
    gap_start = models.DateTimeField(_("interrupted from"))
    gap_end = models.DateTimeField(_("resumed at"))
    clips = models.ManyToManyField("evidence.Record", verbose_name=_("clips before and after"), blank=True,
                                   related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    pack_version = models.PositiveIntegerField(_("policy pack version"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interruption note")
        verbose_name_plural = _("interruption notes")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["agency", "state"]), models.Index(fields=["activity", "state"])]
        constraints = [models.CheckConstraint(condition=models.Q(gap_end__gt=models.F("gap_start")),
                                              name="note_gap_positive")]

    def __str__(self) -> str:
        return f"{self.reason_label} · {localtime(self.gap_start):%Y-%m-%d %H:%M}"


class RecomputeRun(models.Model):
    """One full recompute: how many activities, and the findings it had to open or close (it should be none)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    evaluated = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    sample = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} +{self.opened} -{self.closed}"
