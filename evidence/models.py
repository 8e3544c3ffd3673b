from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet
from policy.vocabulary import ConfidentialityMark, RecordKind, RecordUsage


class UnreadableReason(models.TextChoices):
    """Why no decoder could read a file (evidence.probe); stored as the code, shown translated."""

    INDEX_MISSING = "index_missing", _("the video's index (moov) is missing: recording did not end properly or the "
                                       "copy was cut off, so no player can read its pictures")
    TRUNCATED = "truncated", _("the file is incomplete: its data stops before the recording it describes ends")
    UNDECODABLE = "undecodable", _("its pictures or sound cannot be decoded: the data is damaged or in a format "
                                   "no decoder here reads")
    NO_STREAMS = "no_streams", _("the file holds no pictures and no sound")
    NOT_MEDIA = "not_media", _("the content is neither a recording, a photo nor a document of any known kind, "
                               "whatever its name says")
    DOCUMENT = "document", _("the content is a document, not a recording or a photo; this channel takes only what "
                             "cameras and recorders make")


class TimeSource(models.TextChoices):
    """Where a recording's time was read (evidence.timesources)."""

    FILE_NAME = "file_name", _("the file name")
    EXIF = "exif", _("the photo's EXIF time taken")
    QUICKTIME = "quicktime", _("the video's embedded creation date (with time zone)")
    CONTAINER = "container", _("the video's embedded creation time")
    BEXT = "bext", _("the Broadcast WAV origination time")
    IDIT = "idit", _("the AVI's embedded recording time (IDIT)")
    ICRD = "icrd", _("the embedded creation date (LIST/INFO)")
    MEDIA = "media", _("the media")  # records filed before each source was told apart


class Blob(models.Model):
    """Stored content, once per distinct SHA-256. Records and derivatives point here; nothing changes a blob."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    sm3 = models.CharField("SM3", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    backend = models.CharField(_("storage backend"), max_length=16)
    key = models.CharField(_("object key"), max_length=200)
    version_id = models.CharField(_("object version"), max_length=200, blank=True)
    stored_at = models.DateTimeField(_("stored at"), auto_now_add=True)
    fixity_checked_at = models.DateTimeField(_("last fixity check"), null=True, blank=True)
    fixity_ok = models.BooleanField(_("fixity intact"), null=True, blank=True)
    # Set when an approved retention purge removed the bytes; the row stays as part of the tombstone.
    purged_at = models.DateTimeField(_("content purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stored object")
        # size: a file whose size no stored object has is new, so it is copied while hashed, never read twice.
        indexes = [models.Index(fields=["fixity_checked_at"]), models.Index(fields=["size"]),
                   # The fixity alerts start from the few objects that failed (the dashboard, 000/2/15).
                   models.Index(fields=["fixity_ok"], condition=models.Q(fixity_ok=False), name="blob_fixity_failed")]
        verbose_name_plural = _("stored objects")

    def __str__(self) -> str:
        return f"sha256:{self.sha256}"

    def digests(self) -> dict[str, str]:
        return {"sha256": self.sha256, "sm3": self.sm3}


class Record(models.Model):
    """One piece of evidence as filed: an original blob with its classification (001/2/8, 001/3/5)."""

    class Channel(models.TextChoices):
        UPLOAD = "upload", _("browser upload")
        STATION = "station", _("collection station")
        DUMP = "dump", _("camera dump import")

    class LinkState(models.TextChoices):
        UNMATCHED = "unmatched", _("no matching activity")
        AMBIGUOUS = "ambiguous", _("several matching activities")
        AUTO = "auto", _("linked automatically")
        MANUAL = "manual", _("linked by hand")
        NOT_APPLICABLE = "n/a", _("not an activity recording")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="records")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    device = models.ForeignKey("devices.Device", verbose_name=_("recording device"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="records")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("officer"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="records")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="records")
    activity = models.ForeignKey("cases.Activity", verbose_name=_("enforcement activity"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="records")
    link_state = models.CharField(_("link"), max_length=16, choices=LinkState.choices, default=LinkState.UNMATCHED)
    party = models.CharField(_("party"), max_length=200, blank=True)
    kind = models.CharField(_("record kind"), max_length=16, choices=RecordKind.choices)
    usage = models.CharField(_("usage"), max_length=16, choices=RecordUsage.choices, blank=True)
    blob = models.ForeignKey(Blob, verbose_name=_("content"), on_delete=models.PROTECT, related_name="records")
    original_name = models.CharField(_("original file name"), max_length=255)
    source_path = models.CharField(_("path in the dump"), max_length=1024, blank=True)
    channel = models.CharField(_("received through"), max_length=16, choices=Channel.choices)
    recorded_start = models.DateTimeField(_("recording start"), null=True, blank=True)
    recorded_end = models.DateTimeField(_("recording end"), null=True, blank=True)
    recorded_time_source = models.CharField(_("recording time from"), max_length=32, blank=True,
                                            choices=TimeSource.choices)
    clock_skew_seconds = models.IntegerField(
        _("device clock skew (s)"), null=True, blank=True,
        help_text=_("Device clock minus station clock when the device was docked; positive means fast."),
    )
    stored_at = models.DateTimeField(_("storage date"), auto_now_add=True)
    remote_reason = models.CharField(
        _("remote or continuous work"), max_length=200, blank=True,
        help_text=_("Stated by the officer when the recording could only be stored after returning to the unit."),
    )
    returned_to_unit_at = models.DateTimeField(_("returned to unit at"), null=True, blank=True)
    media = models.JSONField(_("media details"), default=dict, blank=True)
    playable = models.BooleanField(_("playable"), default=True)
    probe_error = models.TextField(_("media check error"), blank=True)
    unreadable_reason = models.CharField(_("why it cannot be read"), max_length=16, blank=True,
                                         choices=UnreadableReason.choices)
    # Every time the file carries ({source, time, day_only, local_as_utc}) and, when they disagree beyond the
    # clock tolerance, by how much (evidence.timesources).
    time_sources = models.JSONField(_("time sources"), default=list, blank=True)
    time_conflict_seconds = models.PositiveIntegerField(_("time sources disagree by (s)"), null=True, blank=True)
    due_at = models.DateTimeField(_("storage due by"), null=True, blank=True)
    late = models.BooleanField(_("stored late"), default=False)
    deadline_rule = models.CharField(_("storage deadline rule"), max_length=64, blank=True)
    deadline_cite = models.CharField(_("storage deadline article"), max_length=64, blank=True)
    ingested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey("evidence.Station", verbose_name=_("collection station"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="records")
    pack_version = models.PositiveIntegerField(_("policy pack version"))
    # 000/1/10: a marked record is hidden from everyone not cleared for the mark (or the marks of its case).
    confidentiality = models.CharField(_("confidentiality mark"), max_length=32, blank=True,
                                       choices=ConfidentialityMark.choices)
    # 000/1/7, 001/4/5: the party and its lawyer may see conclusive documents (决定书 …) and nothing else written.
    conclusive = models.BooleanField(_("conclusive document"), default=False)
    purged_at = models.DateTimeField(_("content purged at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence record")
        verbose_name_plural = _("evidence records")
        ordering = ["-stored_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "stored_at"]),
            models.Index(fields=["agency", "link_state"]),
            models.Index(fields=["officer", "recorded_start"]),
            models.Index(fields=["device", "recorded_start"]),
            # The worklists of the dashboards start from these (evidence.queries.worklist_counts): each holds the
            # few records on one, where the agency's other index would walk all of them (issue 27).
            models.Index(fields=["agency"], condition=models.Q(late=True), name="record_late"),
            models.Index(fields=["agency"], condition=models.Q(kind="unreadable") | models.Q(playable=False),
                         name="record_unreadable"),
            models.Index(fields=["agency"], condition=models.Q(time_conflict_seconds__isnull=False),
                         name="record_clock"),
        ]
        constraints = [
            # A recording is filed once per agency; a written record may be filed again on another case.
            models.UniqueConstraint(fields=["agency", "blob"], condition=~models.Q(kind="document"),
                                    name="record_recording_filed_once"),
        ]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """The file name as displayed: invisible and direction characters written out (naming.escaped)."""
        from evidence.naming import escaped

        return escaped(self.original_name)

    @property
    def shown_source_path(self) -> str:
        from evidence.naming import escaped

        return escaped(self.source_path)


class Derivative(models.Model):
    """A view of an original made for browsers: never evidence itself, always naming the hash it came from."""

    class Kind(models.TextChoices):
        THUMBNAIL = "thumbnail", _("thumbnail")
        CONTACT_STRIP = "strip", _("contact strip")
        PROXY = "proxy", _("browser playback copy")
        PREVIEW = "preview", _("preview")

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="derivatives")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    source_sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    content_type = models.CharField(max_length=64)
    made_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "kind"], name="derivative_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.source_sha256[:12]}"


class Station(models.Model):
    """A collection station (采集工作站) that docks cameras and sends their dumps through the API."""

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="stations")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(_("station name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("collection station")
        verbose_name_plural = _("collection stations")
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="station_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_authenticated(self) -> bool:  # lets DRF treat a station as the authenticated principal
        return True


class DockingReport(models.Model):
    """A device's clock read at docking against the station's clock: the skew shown on its clips."""

    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="docking_reports")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.PROTECT)
    device_time = models.DateTimeField(_("device clock"))
    reference_time = models.DateTimeField(_("station clock"))
    skew_seconds = models.IntegerField(_("clock skew (s)"))
    reported_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.skew_seconds:+d}s"


class FilenamePattern(models.Model):
    """How one camera model names its files; named groups: serial, officer, start, end, seq."""

    brand = models.CharField(_("brand"), max_length=64)
    model = models.CharField(_("model"), max_length=64, blank=True, help_text=_("Empty: every model of the brand."))
    regex = models.CharField(_("pattern"), max_length=300)
    time_format = models.CharField(_("time format"), max_length=40, default="%Y%m%d%H%M%S")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("file name pattern")
        verbose_name_plural = _("file name patterns")
        ordering = ["brand", "model", "id"]

    def __str__(self) -> str:
        return f"{self.brand} {self.model}".strip()


class UploadSession(models.Model):
    """A resumable (tus) upload in progress; becomes a record once complete and ingested."""

    class State(models.TextChoices):
        RECEIVING = "receiving", _("receiving")
        RECEIVED = "received", _("received, waiting to be filed")
        FILED = "filed", _("filed")
        QUARANTINED = "quarantined", _("kept, but unreadable")
        REFUSED = "refused", _("refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    filename = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVING)
    message = models.TextField(blank=True)
    record = models.ForeignKey(Record, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Filing: how often it was tried, the task of the latest try, and when to try again after a full disk.
    attempts = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"]), models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.shown_filename} ({self.offset}/{self.length})"

    @property
    def shown_filename(self) -> str:
        from evidence.naming import escaped

        return escaped(self.filename)


class FixityCheck(models.Model):
    """One re-hash of a stored object against the hashes taken when it was filed."""

    class Outcome(models.TextChoices):
        INTACT = "intact", _("intact")
        CHANGED = "changed", _("content changed")
        MISSING = "missing", _("object missing or unreadable")

    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="fixity_checks")
    checked_at = models.DateTimeField(_("checked at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    sha256_found = models.CharField(max_length=64, blank=True)
    sm3_found = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("fixity check")
        verbose_name_plural = _("fixity checks")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["outcome", "checked_at"])]

    def __str__(self) -> str:
        return f"{self.blob} {self.outcome}"


class UploadSegment(models.Model):
    """A stretch of an upload's bytes held as one object in the shared upload bucket (LAWTRACE_UPLOAD_STORE=s3).

    Any web node may receive the next stretch: the offset row, not a node's disk, says what has arrived. A segment
    counts only once its row is written, under the same conditional update that moves the offset, so an object left
    by a node that died before that update is never read.
    """

    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="segments")
    offset = models.PositiveBigIntegerField()
    length = models.PositiveBigIntegerField()
    key = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "offset"], name="upload_segment_once_per_offset")]
        ordering = ["offset"]

    def __str__(self) -> str:
        return f"{self.session_id} @{self.offset}+{self.length}"
