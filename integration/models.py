"""Connected systems (办案系统, 监督平台) and what they hold: scoped tokens, idempotency keys, external ids and
webhook subscriptions with their delivery log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet
from org.models import User


class SystemAccount(models.Model):
    """One connected system of an agency. It acts through ``principal``, an account that cannot log in, whose name
    is the system's: the events it causes name the system as their actor."""

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="system_accounts")
    name = models.CharField(_("system name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    principal = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="system_account",
                                     editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("connected system")
        verbose_name_plural = _("connected systems")
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="system_account_unique_name")]

    def __str__(self) -> str:
        return self.name


class SystemPrincipal(User):
    """The account a connected system acts as: its user name, on every event, is the system's name."""

    class Meta:
        proxy = True

    def get_username(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A token of a connected system: the operations it may call, until when. Only its SHA-256 is kept; the
    token itself is shown once, when issued."""

    account = models.ForeignKey(SystemAccount, verbose_name=_("connected system"), on_delete=models.PROTECT,
                                related_name="tokens")
    prefix = models.CharField(_("token prefix"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    operations = models.JSONField(_("operations"), default=list)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account.name} {self.prefix}…"

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


class TokenCalls(models.Model):
    """How many calls a token made in the current window of its rate limit, one row per token, shared by every web
    node through the database (integration/api/throttle.py)."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, primary_key=True, related_name="+")
    window = models.BigIntegerField()  # the window's number: whole rate periods since the epoch
    calls = models.PositiveIntegerField()

    objects = RestrictedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.token_id}: {self.calls}"


class IdempotencyKey(models.Model):
    """A create a system asked for under a key: a retry with the same key gets the first answer, never a second
    object (a key reused for another request is refused)."""

    account = models.ForeignKey(SystemAccount, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key


class ExternalId(models.Model):
    """The id a connected system gives an object, kept beside Lawtrace's own."""

    account = models.ForeignKey(SystemAccount, on_delete=models.PROTECT, related_name="external_ids")
    kind = models.CharField(max_length=32)  # the model's label: cases.case, cases.activity …
    external_id = models.CharField(_("external id"), max_length=100)
    object_id = models.PositiveBigIntegerField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "external_id"], name="external_id_unique"),
            models.UniqueConstraint(fields=["account", "kind", "object_id"], name="external_id_one_per_object"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Webhook(models.Model):
    """Where a connected system wants the agency's events pushed, signed with a secret it shares with Lawtrace."""

    account = models.ForeignKey(SystemAccount, verbose_name=_("connected system"), on_delete=models.PROTECT,
                                related_name="webhooks")
    url = models.URLField(_("receiving address"), max_length=500)
    secret = models.CharField(max_length=64, editable=False)
    verbs = models.JSONField(_("events"), default=list, blank=True)  # none: every event of the feed
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["account", "id"]

    def __str__(self) -> str:
        return self.url

    def verb_labels(self) -> list[str]:
        from ledger.display import VERB_LABELS

        return [str(VERB_LABELS.get(verb, verb)) for verb in self.verbs]


class Delivery(models.Model):
    """One event to be pushed to one webhook, until the receiver answers 2xx (at least once)."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("given up")
        # The case or record the event concerns was marked confidential after the event was queued, and the system
        # is not cleared for the mark: it is not sent (integration/withheld.py).
        WITHHELD = "withheld", _("withheld (marked confidential)")

    webhook = models.ForeignKey(Webhook, verbose_name=_("webhook"), on_delete=models.PROTECT,
                                related_name="deliveries")
    event_seq = models.PositiveBigIntegerField(_("event number"))
    verb = models.CharField(_("event"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["webhook", "event_seq"], name="delivery_once_per_event")]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.webhook_id}#{self.event_seq}"

    def verb_label(self) -> str:
        from ledger.display import VERB_LABELS

        return str(VERB_LABELS.get(self.verb, self.verb))
