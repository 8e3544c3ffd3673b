"""The collection-station API: a station authenticates with its own token and sends a camera's dump, file by file
or many at once, each with its path in the dump; and reports the camera's clock when it docks.

The reply names each file's fate: ``filed``, ``duplicate`` (already filed, nothing added), ``quarantined`` (kept
byte for byte but no decoder reads it: not a recording), ``skipped`` (not a type the archive takes) or
``refused`` (not filed; ``code`` says why, ``disk_full`` meaning the station should keep the file and send it
again later). HTTP 200 when every file was filed or already filed or skipped, 207 when some file needs a look,
507 when the archive's disk is full for all of them, and 400 before anything is filed when a name is unacceptable.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import html
from pathlib import Path

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.parsers import DataAndFiles, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authz.routes import STATION, Route
from devices.services import device_by_serial
from evidence.dump import FileResult, import_one
from evidence.ingest import Origin
from evidence.models import Record, Station
from evidence.naming import BadName, check_name, escaped
from evidence.services import report_docking, station_for_token
from ledger.events import RequestContext, record_denial
from org.services import recording_officer


class StationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Station"

    def authenticate(self, request: Request):
        header = request.headers.get("Authorization", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        station = station_for_token(header[len(self.keyword) + 1:].strip())
        if station is None:
            raise exceptions.AuthenticationFailed(_("Unknown or disabled station token."))
        return (station, station)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class StationTokenScheme(OpenApiAuthenticationExtension):
    """How /api/schema/ tells integrators to authenticate: ``Authorization: Station <token>``."""

    target_class = StationTokenAuthentication
    name = "StationToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Station <token> (manage.py station add)"}


class IsStation(permissions.BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.user, Station)


class PlausibleDateTimeField(serializers.DateTimeField):
    """A time a camera's clock can show: a reset clock (1970, 2000) is a fact worth recording as skew, year 1 or
    9999 is not a clock but a malformed request."""

    earliest = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    latest = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            parsed = None
        if parsed is None or not self.earliest <= parsed < self.latest:
            raise serializers.ValidationError(_("A time between 1970 and 2099 is expected."))
        return parsed
class _NameKeepingParser(DjangoMultiPartParser):
    """Django drops the characters it cannot print from an uploaded file's name, so ``clip.exe\\x00.mp4`` arrives as
    ``clip.exe.mp4`` and looks harmless. Keep such a name, written out, so that it is refused, not rewritten."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.raw_names: dict[str, str] = {}

    def sanitize_file_name(self, file_name: str) -> str | None:
        cleaned = super().sanitize_file_name(file_name)
        raw = html.unescape(file_name).rsplit("/")[-1].rsplit("\\")[-1]
        if cleaned is None or raw == cleaned:
            return cleaned
        shown = escaped(raw)  # safe for a temporary file's name; the raw name stays for the check
        self.raw_names[shown] = raw
        return shown


class StationMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None) -> DataAndFiles:
        request = (parser_context or {})["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            parser = _NameKeepingParser(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise exceptions.ParseError(_("The files sent could not be read: %(error)s") % {"error": exc}) from exc
        for _field, uploads in files.lists():
            for upload in uploads:
                upload.raw_name = parser.raw_names.get(upload.name, upload.name)
        return DataAndFiles(data, files)


class DumpSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=64, help_text="serial number of the camera")
    officer = serializers.CharField(max_length=64, help_text="staff or certificate number of the officer")
    file = serializers.ListField(child=serializers.FileField(allow_empty_file=True), min_length=1)
    # Not trimmed: a control character at either end is refused like any other, not silently dropped.
    path = serializers.ListField(child=serializers.CharField(max_length=1024, allow_blank=True, trim_whitespace=False),
                                 required=False)
    sha256 = serializers.ListField(child=serializers.CharField(max_length=64, allow_blank=True), required=False)
    sm3 = serializers.ListField(child=serializers.CharField(max_length=64, allow_blank=True), required=False)
    remote_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    returned_to_unit_at = PlausibleDateTimeField(required=False, allow_null=True, default=None)

    def validate(self, data):
        count = len(data["file"])
        for name in ("path", "sha256", "sm3"):
            if data.get(name) and len(data[name]) != count:
                raise serializers.ValidationError({name: _("Give one value per file, in the same order.")})
        problems: dict[str, list[str]] = {}
        for key, values in (("file", [getattr(f, "raw_name", f.name) for f in data["file"]]),
                            ("path", data.get("path") or [])):
            for value in values:
                try:
                    check_name(value)
                except BadName as exc:
                    problems.setdefault(key, []).append(str(exc))
        if problems:
            raise serializers.ValidationError(problems)
        return data


def _context(request: Request) -> RequestContext:
    return RequestContext.from_request(request._request)


class StationDumpView(APIView):
    authz_route = Route(STATION)
    authentication_classes = [StationTokenAuthentication]
    permission_classes = [IsStation]
    parser_classes = [StationMultiPartParser]

    @extend_schema(request=DumpSerializer, responses=inline_serializer("DumpResult", {
        "results": serializers.ListField(child=serializers.DictField())}))
    def post(self, request: Request) -> Response:
        station: Station = request.user
        data = DumpSerializer(data=request.data)
        if not data.is_valid():
            names = [m for key in ("file", "path") for m in _messages(data.errors.get(key))]
            if names:
                record_denial("record.ingest", agency_code=station.agency.code, context=_context(request),
                              actor_label=str(station), detail={"reason": "bad_name", "message": " ".join(names)})
            raise exceptions.ValidationError(data.errors)
        values = data.validated_data
        device = device_by_serial(station.agency, values["device"])
        if device is None:
            raise exceptions.ValidationError({"device": _("No device with this serial number is registered.")})
        officer = recording_officer(station.agency, values["officer"], timezone.localdate())
        if officer is None:
            record_denial("station.dump", obj=station, context=_context(request),
                          detail={"officer": values["officer"], "reason": "no qualified officer with this number"})
            raise exceptions.ValidationError({"officer": _(
                "No active officer of this agency with a valid enforcement certificate has this number (004/7-8). "
                "The files stay on the station; send them again with the recording officer's number.")})
        for upload in values["file"]:
            if hasattr(upload, "temporary_file_path"):
                # Spooled to disk: locked while this request lasts, so the sweep of crashed uploads leaves it alone.
                fcntl.flock(upload.file.fileno(), fcntl.LOCK_EX)
        results = []
        for index, upload in enumerate(values["file"]):
            relative = (values.get("path") or [""] * len(values["file"]))[index] or upload.name
            declared = {alg: values[alg][index] for alg in ("sha256", "sm3") if values.get(alg)}
            origin = Origin(agency=station.agency, channel=Record.Channel.STATION, station=station, device=device,
                            officer=officer, unit=device.unit or officer.unit or station.unit,
                            remote_reason=values["remote_reason"], returned_to_unit_at=values["returned_to_unit_at"],
                            declared=declared, context=_context(request))
            results.append(_file_one(upload, relative, origin).__dict__)
        return Response({"results": results}, status=_overall(results))


def _messages(errors) -> list[str]:
    """DRF nests a list field's errors by index; flatten them."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)] if errors else []


def _file_one(upload, relative: str, origin: Origin) -> FileResult:
    name = relative.rsplit("/", 1)[-1]
    spooled = getattr(upload, "temporary_file_path", None)
    if spooled is None:  # held in memory: copied to the store while hashed
        with upload.open("rb") as handle:
            return import_one(handle, name, relative, origin)
    # Spooled to disk by Django: that file becomes the stored object, without a copy.
    return import_one(Path(spooled()), name, relative, origin, owned=True)


def _overall(results: list[dict]) -> int:
    if results and all(r["code"] == "disk_full" for r in results):
        return status.HTTP_507_INSUFFICIENT_STORAGE
    if any(r["status"] in ("refused", "quarantined") for r in results):
        return status.HTTP_207_MULTI_STATUS
    return status.HTTP_200_OK


class DockingSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=64)
    device_time = PlausibleDateTimeField()


class StationDockingView(APIView):
    authz_route = Route(STATION)
    authentication_classes = [StationTokenAuthentication]
    permission_classes = [IsStation]

    @extend_schema(request=DockingSerializer, responses=inline_serializer("DockingResult", {
        "skew_seconds": serializers.IntegerField()}))
    def post(self, request: Request) -> Response:
        station: Station = request.user
        data = DockingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_by_serial(station.agency, data.validated_data["device"])
        if device is None:
            raise exceptions.ValidationError({"device": _("No device with this serial number is registered.")})
        report = report_docking(device, device_time=data.validated_data["device_time"], station=station,
                                context=_context(request))
        return Response({"skew_seconds": report.skew_seconds})
