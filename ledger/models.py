from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RowIdKey(models.BigIntegerField):
    """A 64-bit primary key that SQLite keeps as the table's rowid.

    SQLite makes a column the rowid only when its type reads exactly INTEGER; a BIGINT key costs a second B-tree
    that every append writes to. PostgreSQL keeps bigint.
    """

    def db_type(self, connection):
        return "integer" if connection.vendor == "sqlite" else super().db_type(connection)


class Event(models.Model):
    """One thing that happened: a change, a read, a login, a refusal. Rows are only ever appended."""

    class Result(models.TextChoices):
        DONE = "done", _("done")
        DENIED = "denied", _("denied")

    # The event's position in the Merkle log, gapless: assigned under the ledger head's lock, never by a sequence
    # (a rolled-back sequence value would leave a hole that looks like a deleted row).
    seq = RowIdKey(_("sequence number"), primary_key=True)
    # No single-column indexes: every reader filters by agency or by object, and the two indexes below serve them;
    # each index more is one B-tree more that every append writes to.
    occurred_at = models.DateTimeField(_("time"))
    verb = models.CharField(_("action"), max_length=64)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.DONE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,  # accounts are deactivated, not deleted: PROTECT's scan is rare
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    agency_code = models.CharField(_("agency"), max_length=64, blank=True)  # first column of the register index
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=255, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    detail = models.JSONField(_("detail"), null=True, blank=True)
    # The Merkle leaf of the fields above, kept in the row rather than as a tree node: one B-tree write fewer per
    # event. Verification recomputes it from the fields and names the row whose fields no longer match it.
    leaf = models.BinaryField(_("leaf hash"), null=True, editable=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # Registers and ledgers read "these verbs, this agency, this period".
            models.Index(fields=["agency_code", "verb", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.verb} {self.object_label}"


class LedgerHead(models.Model):
    """The one row every append locks: the tree size and its right edge. Derived state; verify recomputes it."""

    size = models.BigIntegerField(default=0)
    edge = models.BinaryField(default=b"")  # concatenated 32-byte hashes of the right-edge perfect subtrees

    class Meta:
        verbose_name = _("ledger head")

    def __str__(self) -> str:
        return f"ledger of {self.size}"


class MerkleNode(models.Model):
    """A perfect subtree of two or more leaves. Key = level << 48 | index; the leaves themselves are in Event.leaf."""

    key = RowIdKey(primary_key=True)
    hash = models.BinaryField()

    class Meta:
        verbose_name = _("Merkle node")

    def __str__(self) -> str:
        return f"node {self.key >> 48}/{self.key & ((1 << 48) - 1)}"


class Checkpoint(models.Model):
    """A signed statement of the tree size and root at a moment, for witnesses outside the system."""

    size = models.BigIntegerField(_("tree size"))
    root = models.BinaryField(_("root hash"))
    signed_at = models.DateTimeField(_("signed at"))
    note = models.TextField(_("checkpoint text"))
    algorithm = models.CharField(_("signature algorithm"), max_length=16)
    key_id = models.CharField(_("key fingerprint"), max_length=32)
    signature = models.BinaryField(_("signature"))

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.size} @ {self.signed_at:%Y-%m-%d %H:%M}"


class LedgerKey(models.Model):
    """A checkpoint signing key in the chain of trust: the first pinned at install, each later one introduced by a
    statement the key before it signed (``lawtrace_verify.checkpoint.KeyStatement``). Rows are only appended."""

    algorithm = models.CharField(_("signature algorithm"), max_length=16)
    public = models.BinaryField(_("public key"))
    key_id = models.CharField(_("key fingerprint"), max_length=32, db_index=True)  # a key may come back
    # The ledger's size just after the event that introduced the key: it signs no checkpoint smaller than this.
    tree_size = models.BigIntegerField(_("tree size when introduced"))
    previous_key_id = models.CharField(_("introduced by key"), max_length=32, blank=True)
    statement = models.TextField(_("key statement"))
    signature = models.BinaryField(_("signature of the introducing key"))
    introduced_at = models.DateTimeField(_("introduced at"))

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.key_id}"


class Publication(models.Model):
    """Where a checkpoint or key statement was also written outside the database, so the next run skips it."""

    class Kind(models.TextChoices):
        CHECKPOINT = "checkpoint", _("checkpoint")
        KEY = "key", _("signing key")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField()
    location = models.CharField(max_length=300)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="publication_once")]

    def __str__(self) -> str:
        return self.location


class WitnessDelivery(models.Model):
    """One push of the witness text to the outside witness (an HTTPS endpoint or the supervising office's mail)."""

    channel = models.CharField(_("channel"), max_length=16)
    target = models.CharField(_("sent to"), max_length=300)
    checkpoint_size = models.BigIntegerField(_("tree size"), null=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("witness delivery")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.target} {self.ok}"


class VerificationRun(models.Model):
    """One run of the full ledger verification, kept so the audit administrator can read the report later."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    events_checked = models.BigIntegerField(_("events checked"), default=0)
    checkpoints_checked = models.IntegerField(_("checkpoints checked"), default=0)
    problems = models.JSONField(_("problems"), default=list)
    # Moved on by the worker as it goes; a run whose worker went quiet is settled as failed, never left running.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger verification")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.state}"
