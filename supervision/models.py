"""Double-random inspections (R12): the registry of targets, declared conflicts, and committed-then-revealed draws."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectionTarget(models.Model):
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    address = models.CharField(_("address"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    active = models.BooleanField(_("in the registry"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

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
    seed = models.CharField(max_length=64, editable=False)  # secret until the draw
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

    class Meta:
        verbose_name = _("random draw")
        ordering = ["-committed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan_name} {self.period}"
