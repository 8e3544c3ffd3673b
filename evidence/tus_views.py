"""HTTP side of the resumable upload protocol (tus 1.0.0: core, creation, termination).

Beyond tus, ``GET`` on an upload answers how its filing went (JSON: state, its Chinese name, the message, the
record): filed, kept but unreadable, refused, or still waiting.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from authz.routes import route
from evidence import uploads
from evidence.models import UploadSession

VERSION = "1.0.0"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(error: uploads.UploadError) -> HttpResponse:
    return _tus(HttpResponse(str(error), status=error.status, content_type="text/plain; charset=utf-8"))


@route("record.file", methods=("OPTIONS", "POST"), verb="record.upload")
def collection(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Tus-Version"] = VERSION
        response["Tus-Extension"] = "creation,termination"
        response["Tus-Max-Size"] = str(settings.EVIDENCE_MAX_UPLOAD_BYTES)
        return _tus(response)
    try:
        length = int(request.headers.get("Upload-Length", ""))
    except ValueError:
        return _tus(HttpResponse("Upload-Length is required", status=400))
    try:
        metadata = uploads.parse_metadata(request.headers.get("Upload-Metadata", ""))
        session = uploads.create_session(request.user, length, metadata)
    except uploads.UploadError as error:
        return _error(error)
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(reverse("tus_upload", args=[session.pk]))
    return _tus(response)


@route("record.file", methods=("GET", "HEAD", "PATCH", "DELETE"), on="evidence.uploadsession", key="upload_id",
       verb="record.upload")
def resource(request: HttpRequest, upload_id: str) -> HttpResponse:
    session = get_object_or_404(UploadSession.objects.restrict(request.user), pk=upload_id)
    if request.method == "HEAD":
        response = HttpResponse(status=200)
        response["Upload-Offset"] = str(session.offset)
        response["Upload-Length"] = str(session.length)
        return _tus(response)
    if request.method == "PATCH":
        if request.content_type != "application/offset+octet-stream":
            return _tus(HttpResponse(status=415))
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
            declared = int(request.headers["Content-Length"]) if request.headers.get("Content-Length") else None
            session = uploads.append(session, offset, request, declared)
        except ValueError:
            return _tus(HttpResponse("Upload-Offset is required", status=400))
        except uploads.UploadError as error:
            return _error(error)
        response = HttpResponse(status=204)
        response["Upload-Offset"] = str(session.offset)
        return _tus(response)
    if request.method == "GET":
        return _tus(JsonResponse({
            "state": session.state, "state_label": session.get_state_display(), "message": session.message,
            "record": session.record_id, "offset": session.offset, "length": session.length,
        }, json_dumps_params={"ensure_ascii": False}))
    try:  # DELETE: the route answers no other method
        uploads.cancel(session)
    except uploads.UploadError as error:
        return _error(error)
    return _tus(HttpResponse(status=204))
