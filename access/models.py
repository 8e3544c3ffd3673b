"""Access requests (调阅申请) as rows: who asks, under which pack rule, for which records and actions; each approval
step is a row of its own, decided under a row lock (STYLE 6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet
from policy.vocabulary import AccessAction, AccessPurpose, Approver, Credential, RequesterType

STEP_KINDS = {"approve": _("approval"), "check": _("check"), "consent": _("consent")}


def step_label(role: str, kind: str) -> str:
    return f"{dict(Approver.choices).get(role, role)} · {STEP_KINDS.get(kind, kind)}"


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        GRANTED = "granted", _("granted")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")
        CLOSED = "closed", _("closed")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    records = models.ManyToManyField("evidence.Record", verbose_name=_("items"), related_name="+")
    requester_type = models.CharField(_("requester type"), max_length=32, choices=RequesterType.choices)
    requester_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requesting staff member"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="access_requests")
    requester_name = models.CharField(_("requester"), max_length=60)
    requester_unit = models.CharField(_("requester's unit"), max_length=120)
    requester_id_number = models.CharField(_("identity document number"), max_length=40, blank=True)
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose.choices)
    reason = models.TextField(_("reason for the request"))
    actions = models.JSONField(_("actions"))
    # What the actions let the holder do, as columns the permission scopes read in SQL (set with ``actions``).
    plays = models.BooleanField(_("shows content inside the system"), default=False)
    copies = models.BooleanField(_("lets a copy leave the system"), default=False)
    credentials = models.JSONField(_("credentials seen"), default=list, blank=True)
    credentials_verified = models.BooleanField(_("credentials verified against the originals"), default=False)
    rule_id = models.CharField(_("access rule"), max_length=64)
    cites = models.CharField(_("articles"), max_length=200)
    steps = models.JSONField(_("approval steps"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    fee_yuan = models.DecimalField(_("copying fee (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), on_delete=models.PROTECT,
                                   related_name="+")
    pack_version = models.PositiveIntegerField(_("policy pack version"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["status", "valid_until"])]

    def __str__(self) -> str:
        return f"调阅申请 {self.pk}：{self.requester_name}"

    def action_labels(self) -> str:
        labels = dict(AccessAction.choices)
        return "、".join(str(labels.get(a, a)) for a in self.actions)

    def credential_labels(self) -> str:
        labels = dict(Credential.choices)
        return "；".join(f"{labels.get(c['kind'], c['kind'])} {c['reference']}" for c in self.credentials)

    def step_labels(self) -> list[str]:
        return [step_label(step["role"], step["kind"]) for step in self.steps]

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.GRANTED and self.valid_from <= at <= self.valid_until


class ApprovalDecision(models.Model):
    """One step of a request's approval chain, decided once."""

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="decisions")
    step = models.PositiveSmallIntegerField()
    role = models.CharField(_("approver"), max_length=32)
    kind = models.CharField(_("kind of step"), max_length=16)
    approved = models.BooleanField(_("approved"))
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["request", "step"]
        constraints = [models.UniqueConstraint(fields=["request", "step"], name="approval_step_decided_once")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.step}"

    def label(self) -> str:
        return step_label(self.role, self.kind)


class PackageExport(models.Model):
    """One evidence package copied out under a request (001/2/11): built by a job, fetched by the one who asked.

    Multi-gigabyte originals take minutes to copy and hash, longer than a web request may last; the archive waits
    on the server for ``ACCESS_PACKAGE_KEEP_DAYS`` and is then removed (the originals stay in the store).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("failed")
        REMOVED = "removed", _("removed from the server")

    request = models.ForeignKey(AccessRequest, verbose_name=_("access request"), on_delete=models.PROTECT,
                                related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    record_ids = models.JSONField(_("records"))  # as the choke point allowed them when asked; checked again
    maker = models.CharField(_("Made by"), max_length=60)
    extractor = models.CharField(_("Extracted by"), max_length=60)
    proves = models.TextField(_("What it proves"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    done_bytes = models.PositiveBigIntegerField(_("bytes done"), default=0)
    total_bytes = models.PositiveBigIntegerField(_("bytes in all"), default=0)
    archive_name = models.CharField(_("archive file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence package")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "finished_at"])]

    def __str__(self) -> str:
        return f"证据包 {self.pk}（调阅申请 {self.request_id}）"

    def in_progress(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.BUILDING)
