"""Double-random inspections (002 附件3, 001/1): the registry of targets, declared conflicts, and
committed-then-revealed draws."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


class InspectionTarget(models.Model):
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    address = models.CharField(_("address"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    active = models.BooleanField(_("in the registry"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection target")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["agency", "credit_code"], name="one_target_per_code")]

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class Conflict(models.Model):
    """An officer who must not inspect a target (回避)."""

    target = models.ForeignKey(InspectionTarget, on_delete=models.PROTECT, related_name="conflicts")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    declared_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "officer"], name="one_conflict_per_pair")]

    def __str__(self) -> str:
        return f"{self.officer} × {self.target}"


class Draw(models.Model):
    class State(models.TextChoices):
        COMMITTED = "committed", _("committed, not yet drawn")
        DRAWN = "drawn", _("drawn")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    plan_id = models.CharField(_("inspection plan"), max_length=64)
    plan_name = models.CharField(_("inspection plan"), max_length=120)
    cites = models.CharField(_("articles"), max_length=200)
    period = models.CharField(_("period"), max_length=40)
    share = models.FloatField(_("share drawn"))
    per_target = models.PositiveSmallIntegerField(_("officers per target"))
    inspect_on = models.DateTimeField(_("inspections planned for"))
    seed = models.CharField(_("random seed"), max_length=64, editable=False)  # secret until the draw
    seed_hash = models.CharField(_("seed commitment (SHA-256)"), max_length=64)
    inputs = models.JSONField(_("lists committed to"))
    digests = models.JSONField(_("digests of the lists"))
    result = models.JSONField(_("result"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.COMMITTED)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField(_("committed at"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    # The draw session as an activity of its own, where the rules require it to be recorded (001/1).
    session = models.ForeignKey("cases.Activity", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("draw session"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("random draw")
        ordering = ["-committed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan_name} {self.period}"


class ReviewRound(models.Model):
    """A sampling check (抽查) or annual review (评查) of recordings (000/2/17): the sample is drawn by commit and
    reveal."""

    class Kind(models.TextChoices):
        SAMPLING = "sampling", _("sampling check")
        ANNUAL = "annual", _("annual review")

    class State(models.TextChoices):
        COMMITTED = "committed", _("committed, not yet drawn")
        REVIEWING = "reviewing", _("under review")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of review"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    period_start = models.DateField(_("recordings from"))
    period_end = models.DateField(_("recordings until"))
    units = models.ManyToManyField("org.Unit", blank=True, related_name="+", verbose_name=_("units"))
    categories = models.JSONField(_("enforcement categories"), default=list, blank=True)
    share = models.FloatField(_("share sampled"), null=True, blank=True)
    requested = models.PositiveIntegerField(_("records requested"), null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("sample size"))
    checks = models.JSONField(_("checklist"))  # the pack's checks when the round opened: later packs do not change it
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="review_rounds",
                                       verbose_name=_("reviewers"))
    seed = models.CharField(_("random seed"), max_length=64, editable=False)  # secret until the draw
    seed_hash = models.CharField(_("seed commitment (SHA-256)"), max_length=64)
    population = models.JSONField(_("records sampled from"))
    population_digest = models.CharField(_("digest of the population"), max_length=64)
    sample = models.JSONField(_("sampled records"), null=True, blank=True)
    # The sample again as rows, so who may play what is one SQL statement (set with ``sample`` at the draw).
    sampled = models.ManyToManyField("evidence.Record", blank=True, related_name="+", verbose_name=_("sampled records"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.COMMITTED)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion of the round"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("cancelled by"))
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review round")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RecordReview(models.Model):
    """One reviewer's checklist for one sampled record: a score per check, and why marks were taken off."""

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="reviews")
    record = models.ForeignKey("evidence.Record", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("record"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("officer assessed"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("reviewer"))
    scores = models.JSONField(_("scores"))
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    percent = models.FloatField(_("score (%)"))
    remarks = models.TextField(_("overall remarks"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("record review")
        ordering = ["round", "record_id"]
        constraints = [models.UniqueConstraint(fields=["round", "record"], name="one_review_per_sampled_record")]

    def __str__(self) -> str:
        return f"{self.round} · {self.record.original_name}"


class MisconductCase(models.Model):
    """Accountability (000/2/18, 001/3/17-18, 004/24): a misconduct of the pack's list, opened from a finding, a review
    or a report, and decided with the pack's sanctions."""

    class State(models.TextChoices):
        OPEN = "open", _("under investigation")
        DECIDED = "decided", _("decided")
        DISMISSED = "dismissed", _("dismissed")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("officer concerned"))
    misconduct = models.CharField(_("misconduct"), max_length=64)
    misconduct_label = models.CharField(_("misconduct"), max_length=200)
    misconduct_cite = models.CharField(_("articles"), max_length=120)
    facts = models.TextField(_("facts"))
    review = models.ForeignKey(RecordReview, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("from review"))
    finding_id = models.PositiveBigIntegerField(_("from compliance finding"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    sanctions = models.JSONField(_("sanctions"), default=list, blank=True)  # [{id, label, cite}] from the pack
    decision = models.TextField(_("decision"), blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("misconduct case")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["agency", "officer"])]

    def __str__(self) -> str:
        return _("Misconduct case %(n)d") % {"n": self.pk}

    def sanction_labels(self) -> str:
        return "；".join(s["label"] for s in self.sanctions)
