"""The collection-station API: a station authenticates with its own token and sends a camera's dump, file by file
or many at once, each with its path in the dump; and reports the camera's clock when it docks."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authz.routes import STATION, Route
from devices.services import device_by_serial
from evidence.dump import import_one
from evidence.ingest import Origin
from evidence.models import Record, Station
from evidence.services import report_docking, station_for_token
from ledger.events import RequestContext
from org.services import staff_by_number


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


class DumpSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=64, help_text="serial number of the camera")
    officer = serializers.CharField(max_length=64, help_text="staff or certificate number of the officer")
    file = serializers.ListField(child=serializers.FileField(allow_empty_file=True), min_length=1)
    path = serializers.ListField(child=serializers.CharField(max_length=1024, allow_blank=True), required=False)
    sha256 = serializers.ListField(child=serializers.CharField(max_length=64, allow_blank=True), required=False)
    sm3 = serializers.ListField(child=serializers.CharField(max_length=64, allow_blank=True), required=False)
    remote_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    returned_to_unit_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, data):
        count = len(data["file"])
        for name in ("path", "sha256", "sm3"):
            if data.get(name) and len(data[name]) != count:
                raise serializers.ValidationError({name: _("Give one value per file, in the same order.")})
        return data


def _context(request: Request) -> RequestContext:
    return RequestContext.from_request(request._request)


class StationDumpView(APIView):
    authz_route = Route(STATION)
    authentication_classes = [StationTokenAuthentication]
    permission_classes = [IsStation]
    parser_classes = [MultiPartParser]

    @extend_schema(request=DumpSerializer, responses=inline_serializer("DumpResult", {
        "results": serializers.ListField(child=serializers.DictField())}))
    def post(self, request: Request) -> Response:
        station: Station = request.user
        data = DumpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        device = device_by_serial(station.agency, values["device"])
        if device is None:
            raise exceptions.ValidationError({"device": _("No device with this serial number is registered.")})
        officer = staff_by_number(station.agency, values["officer"])
        if officer is None:
            raise exceptions.ValidationError({"officer": _("No staff member has this number.")})
        results = []
        for index, upload in enumerate(values["file"]):
            relative = (values.get("path") or [""] * len(values["file"]))[index] or upload.name
            declared = {alg: values[alg][index] for alg in ("sha256", "sm3") if values.get(alg)}
            origin = Origin(agency=station.agency, channel=Record.Channel.STATION, station=station, device=device,
                            officer=officer, unit=device.unit or officer.unit or station.unit,
                            remote_reason=values["remote_reason"], returned_to_unit_at=values["returned_to_unit_at"],
                            declared=declared, context=_context(request))
            with upload.open("rb") as handle:
                result = import_one(handle, relative.rsplit("/", 1)[-1], relative, origin)
            results.append(result.__dict__)
        refused = any(r["status"] == "refused" for r in results)
        return Response({"results": results}, status=status.HTTP_207_MULTI_STATUS if refused else status.HTTP_200_OK)


class DockingSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=64)
    device_time = serializers.DateTimeField()


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
