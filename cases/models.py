from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet
from policy.vocabulary import CaseFlag, Category, ConfidentialityMark, DecisionType, PartyKind, Procedure


class Case(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        ARCHIVED = "archived", _("archived")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("case number"), max_length=64)
    title = models.CharField(_("case title"), max_length=200)
    category = models.CharField(_("enforcement category"), max_length=16, choices=Category.choices)
    procedure = models.CharField(_("procedure"), max_length=16, choices=Procedure.choices, default=Procedure.GENERAL)
    party_kind = models.CharField(_("party kind"), max_length=16, choices=PartyKind.choices)
    party_name = models.CharField(_("party"), max_length=200)
    party_identifier = models.CharField(
        _("party ID or credit code"), max_length=64, blank=True,
        help_text=_("Resident ID number for a person, unified social credit code for an organisation."),
    )
    handlers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("case handlers"), related_name="cases")
    opened_on = models.DateField(_("opened on"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    archived_on = models.DateField(_("archived on"), null=True, blank=True)
    # Flags that decide case-file retention (001/2/12) and which evidence follows the case file (004/12).
    major_penalty = models.BooleanField(CaseFlag.MAJOR_PENALTY.label, default=False)
    major_social_impact = models.BooleanField(CaseFlag.MAJOR_SOCIAL_IMPACT.label, default=False)
    complex_case = models.BooleanField(CaseFlag.COMPLEX.label, default=False)
    hearing = models.BooleanField(CaseFlag.HEARING.label, default=False)
    compulsory_execution = models.BooleanField(CaseFlag.COMPULSORY_EXECUTION.label, default=False)
    state_secret = models.BooleanField(ConfidentialityMark.STATE_SECRET.label, default=False)
    commercial_secret = models.BooleanField(ConfidentialityMark.COMMERCIAL_SECRET.label, default=False)
    personal_privacy = models.BooleanField(ConfidentialityMark.PERSONAL_PRIVACY.label, default=False)
    pack_version = models.PositiveIntegerField(_("policy pack version"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    FLAG_FIELDS = {
        "major_penalty": CaseFlag.MAJOR_PENALTY,
        "major_social_impact": CaseFlag.MAJOR_SOCIAL_IMPACT,
        "complex_case": CaseFlag.COMPLEX,
        "hearing": CaseFlag.HEARING,
        "compulsory_execution": CaseFlag.COMPULSORY_EXECUTION,
    }
    MARK_FIELDS = {
        "state_secret": ConfidentialityMark.STATE_SECRET,
        "commercial_secret": ConfidentialityMark.COMMERCIAL_SECRET,
        "personal_privacy": ConfidentialityMark.PERSONAL_PRIVACY,
    }

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="case_unique_number_per_agency"),
            models.CheckConstraint(
                condition=~models.Q(state="archived") | models.Q(archived_on__isnull=False),
                name="case_archived_has_date",
                violation_error_message=_("An archived case needs its archive date."),
            ),
        ]
        indexes = [models.Index(fields=["agency", "state"]), models.Index(fields=["agency", "category"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def flags(self) -> frozenset[str]:
        return frozenset(flag.value for name, flag in self.FLAG_FIELDS.items() if getattr(self, name))

    def flag_labels(self) -> list[str]:
        return [str(flag.label) for name, flag in self.FLAG_FIELDS.items() if getattr(self, name)]

    def marks(self) -> list[ConfidentialityMark]:
        return [mark for name, mark in self.MARK_FIELDS.items() if getattr(self, name)]


class Activity(models.Model):
    """One enforcement activity: a stage from the agency's checklist carried out at a time and place."""

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="activities")
    case = models.ForeignKey(Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="activities")
    category = models.CharField(_("enforcement category"), max_length=16, choices=Category.choices)
    stage = models.CharField(_("checklist stage"), max_length=64)
    place = models.CharField(_("place"), max_length=200)
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"))
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    # The properties the pack declares that hold for this activity (ids), as the officer answered them.
    properties = models.JSONField(_("properties"), default=list, blank=True)
    # Moments the pack names inside an activity (e.g. 当事人签字结束), as marked by the officer: id → ISO time.
    moments = models.JSONField(_("moments"), default=dict, blank=True)
    remote_or_continuous = models.BooleanField(
        _("remote, off-site or continuous work"), default=False,
        help_text=_("Recordings may then be stored within 24 hours of returning to the unit."),
    )
    description = models.TextField(_("description"), blank=True)
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ActivityOfficer",
                                      verbose_name=_("officers"), related_name="activities")
    pack_version = models.PositiveIntegerField(_("policy pack version"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   editable=False, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enforcement activity")
        verbose_name_plural = _("enforcement activities")
        ordering = ["-planned_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(planned_end__gte=models.F("planned_start")),
                                   name="activity_planned_range",
                                   violation_error_message=_("The planned end is before the planned start.")),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True) | models.Q(actual_start__isnull=False),
                name="activity_end_needs_start",
                violation_error_message=_("Enter the actual start before the actual end."),
            ),
        ]
        indexes = [models.Index(fields=["agency", "planned_start"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.place} · {localtime(self.planned_start):%Y-%m-%d %H:%M}"

    def flags(self) -> frozenset[str]:
        return frozenset(self.properties or ())


class ActivityOfficer(models.Model):
    class Part(models.TextChoices):
        OFFICER = "officer", _("enforcement officer")
        ASSISTANT = "assistant", _("assistant")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT)
    part = models.CharField(_("part"), max_length=16, choices=Part.choices)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity participant")
        verbose_name_plural = _("activity participants")
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="activity_officer_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_part_display()})"


class Decision(models.Model):
    """A decision drafted on a case (001/5, 002 附件2): whether legal review is required comes from the pack's
    catalogue."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_REVIEW = "in_review", _("under legal review")
        REVIEW_PASSED = "review_passed", _("legal review passed")
        REVIEW_FAILED = "review_failed", _("legal review not passed")
        FINAL = "final", _("finalised")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="decisions")
    decision_type = models.CharField(_("decision type"), max_length=32, choices=DecisionType.choices)
    amount_yuan = models.PositiveBigIntegerField(_("amount (yuan)"), null=True, blank=True)
    measures = models.TextField(_("measures and reasons"))
    law_requires_review = models.BooleanField(
        _("a law, regulation or rule requires legal review"), default=False,
        help_text=_("For items the catalogue leaves to other rules (e.g. a 'large' fine without a set amount)."))
    required_items = models.JSONField(_("legal review required by"), default=list)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT,
                                   related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"))
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    pack_version = models.PositiveIntegerField(_("policy pack version"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        ordering = ["-drafted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_decision_type_display()}"

    @property
    def review_required(self) -> bool:
        return bool(self.required_items)


class LegalReview(models.Model):
    """One submission of a decision to the legal reviewer, with the materials and a finding per review point."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="reviews")
    materials = models.JSONField(_("materials submitted"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    findings = models.JSONField(_("findings per review point"), default=list)
    passed = models.BooleanField(_("passed"), null=True)
    opinion = models.TextField(_("review opinion"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal review")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.decision} · {self._meta.verbose_name}"


class ReviewMaterial(models.Model):
    """A record attached to a legal review as one of the materials the catalogue lists (001/5): the reviewer opens it
    through the permission choke point while the review is open, and each look is entered in the register."""

    review = models.ForeignKey(LegalReview, on_delete=models.PROTECT, related_name="attached")
    material = models.CharField(_("material"), max_length=200)
    record = models.ForeignKey("evidence.Record", verbose_name=_("record"), on_delete=models.PROTECT,
                               related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("material submitted for legal review")
        constraints = [models.UniqueConstraint(fields=["review", "material", "record"],
                                               name="one_record_per_material_of_a_review")]

    def __str__(self) -> str:
        return f"{self.material}：{self.record}"
