from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


class PackVersion(models.Model):
    """The text of one pack version, byte for byte as it was put forward. Its SHA-256 is what an activation approves
    and what the activation's event carries; the text kept here, not a file on some server's disk, is what governs."""

    code = models.CharField(_("policy pack"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    text = models.TextField(_("pack text"))
    file_name = models.CharField(_("file name"), max_length=255)
    # Where the text came from: a pack directory of this installation, or an upload.
    origin = models.CharField(_("origin"), max_length=16)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("policy pack version")
        verbose_name_plural = _("policy pack versions")
        ordering = ["code", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="pack_version_unique")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Activation(models.Model):
    """Putting a pack version into force for one agency from a date: proposed by an administrator, decided by the head.

    Only approved activations count; the version in force at a moment is the approved one with the latest effective
    date on or before it (``policy.current.in_force``). Nothing is ever deleted: earlier versions keep governing what
    was done under them."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("waiting for the head's approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="pack_activations")
    pack = models.ForeignKey(PackVersion, verbose_name=_("policy pack version"), on_delete=models.PROTECT,
                             related_name="activations")
    effective_from = models.DateField(_("in force from"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy pack activation")
        verbose_name_plural = _("policy pack activations")
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["agency", "state", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.pack} @ {self.effective_from}"
