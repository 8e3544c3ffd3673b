"""What a file is, judged by its content and never by its name: a decodable photo, video or audio recording, a
document, or a file no decoder can read.

Only content that decodes counts as a recording: a photo is decoded (JPEGs at an eighth of their size, which still
reads every byte of picture data), a video or audio recording opens, its first frame decodes and its last seconds
can be read. A file that fails is still evidence — it is kept byte for byte — but the reason it was not readable is
given as a code (``UnreadableReason``) that pages and replies translate, never as the decoder's own message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy

from evidence import containers
from evidence.models import UnreadableReason
from evidence.timesources import Reading, local
from policy.vocabulary import RecordKind

BROWSER_VIDEO_CODECS = {"h264", "vp8", "vp9", "av1"}
BROWSER_AUDIO_CODECS = {"aac", "mp3", "opus", "vorbis", "flac"}
BROWSER_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mp3", "ogg", "wav", "flac"}
# Containers cameras, recorders and phones write. FFmpeg also "recognises" text files, raw streams and, with a low
# score, random bytes; none of those is a recording.
RECORDING_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2", "avi", "matroska,webm", "mpegts", "mpeg", "flv", "asf", "wav", "w64",
                     "mp3", "aac", "amr", "ogg", "flac", "aiff", "caf", "h264", "hevc"}
STILL_FORMATS = {"JPEG", "MPO", "PNG", "BMP", "WEBP", "TIFF", "GIF"}
# HEIF/AVIF stills are ISO media files the video demuxer opens; their brand says they are photos.
STILL_BRANDS = {"heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis"}
MEDIA_LABELS = {
    "container": gettext_lazy("container format"), "video_codec": gettext_lazy("video codec"),
    "width": gettext_lazy("width (pixels)"), "height": gettext_lazy("height (pixels)"),
    "frame_rate": gettext_lazy("frame rate (per second)"), "audio_codec": gettext_lazy("audio codec"),
    "sample_rate": gettext_lazy("sample rate (Hz)"), "duration_seconds": gettext_lazy("duration (seconds)"),
    "make": gettext_lazy("device maker"), "model": gettext_lazy("device model"),
    "serial": gettext_lazy("device serial number"), "creation_time": gettext_lazy("time the device recorded"),
}
MAKER_TAGS = {"make": ("make", "com.apple.quicktime.make", "manufacturer"),
              "model": ("model", "com.apple.quicktime.model"),
              "serial": ("serial", "serial_number", "device_serial")}
TAIL_CHECK_MIN_SECONDS = 2.0


@dataclass
class Probe:
    kind: str  # by content: av, audio, photo, document, or unreadable
    info: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # an UnreadableReason when the kind is unreadable
    duration_seconds: float | None = None
    times: list[Reading] = field(default_factory=list)  # the times embedded in the file

    @property
    def playable(self) -> bool:
        return self.kind != RecordKind.UNREADABLE

    def browser_ready(self) -> bool:
        if not self.playable:
            return False
        if self.info.get("video_codec") and self.info["video_codec"] not in BROWSER_VIDEO_CODECS:
            return False
        if self.info.get("audio_codec") and self.info["audio_codec"] not in BROWSER_AUDIO_CODECS:
            return False
        return self.info.get("container") in BROWSER_CONTAINERS


def _unreadable(reason: str, info: dict | None = None) -> Probe:
    return Probe(RecordKind.UNREADABLE, info or {}, reason=reason)


def probe(path: Path, claimed: str, *, documents: bool = True) -> Probe:
    """Examine ``path``. ``claimed`` is the kind its name suggests (it only decides whether a decodable image is a
    photo or a scanned document); ``documents`` whether the channel files documents at all."""
    document = _document_format(path)
    if document is not None:
        name, complete = document
        if not documents:
            return _unreadable(UnreadableReason.DOCUMENT, {"container": name})
        if not complete:
            return _unreadable(UnreadableReason.TRUNCATED, {"container": name})
        return Probe(RecordKind.DOCUMENT, {"container": name})
    image = _probe_image(path)
    if image is not None:
        if image.playable and claimed == RecordKind.DOCUMENT:
            image.kind = RecordKind.DOCUMENT if documents else RecordKind.PHOTO
        return image
    return _probe_media(path)


def _document_format(path: Path) -> tuple[str, bool] | None:
    """(format, complete) when the content is a document format, by its signature."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head.startswith(b"%PDF-"):
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 1024))
            return "pdf", b"%%EOF" in handle.read()
    if head.startswith(b"PK\x03\x04"):
        return "zip", True  # .docx, .xlsx and .ofd are ZIP containers
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2", True  # .doc, .xls, .wps
    if head.startswith(b"{\\rtf"):
        return "rtf", True
    return None


def media_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """The probed details as labelled rows for people, times in local time; unknown keys keep their names."""
    from django.utils import timezone

    rows = []
    for key, value in info.items():
        if key == "creation_time":
            with contextlib.suppress(TypeError, ValueError):
                value = f"{timezone.localtime(dt.datetime.fromisoformat(value)):%Y-%m-%d %H:%M:%S}"
        rows.append((str(MEDIA_LABELS.get(key, key)), str(value)))
    return rows


def _probe_media(path: Path) -> Probe:
    import av

    structure = containers.read_structure(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return _unreadable(_structural_reason(structure) or UnreadableReason.NOT_MEDIA)
    with container:
        name = container.format.name
        if name not in RECORDING_FORMATS:
            return _unreadable(_structural_reason(structure) or UnreadableReason.NOT_MEDIA)
        info: dict[str, Any] = {"container": name}
        tags = {k.lower(): v for k, v in (container.metadata or {}).items()}
        video = next((s for s in container.streams.video if not _attached_picture(s)), None)
        audio = next(iter(container.streams.audio), None)
        if video is not None:
            info.update(video_codec=video.codec_context.name, width=video.codec_context.width,
                        height=video.codec_context.height)
            if video.average_rate:
                info["frame_rate"] = round(float(video.average_rate), 3)
        if audio is not None:
            info.update(audio_codec=audio.codec_context.name, sample_rate=audio.codec_context.sample_rate)
        if video is None and audio is None:
            return _unreadable(UnreadableReason.NO_STREAMS, info)
        duration = container.duration / 1_000_000 if container.duration else _stream_duration(video or audio)
        if duration is not None:
            info["duration_seconds"] = round(duration, 3)
        for key, names in MAKER_TAGS.items():
            value = next((tags[k] for k in names if tags.get(k)), "")
            if value:
                info[key] = value
        times = _embedded_times(structure, tags)
        container_time = next((r for r in times if r.source in ("quicktime", "container")), None)
        if container_time is not None:
            info["creation_time"] = container_time.moment.isoformat()
        stream = video if video is not None else audio
        if structure.truncated:
            return _unreadable(UnreadableReason.TRUNCATED, info)
        if not _first_frame_decodes(container, stream):
            return _unreadable(UnreadableReason.UNDECODABLE, info)
        if duration and duration >= TAIL_CHECK_MIN_SECONDS and not _tail_readable(container, stream, duration):
            return _unreadable(UnreadableReason.TRUNCATED, info)
        kind = RecordKind.AV if video is not None else RecordKind.AUDIO
        if video is not None and tags.get("major_brand", "").strip().lower() in STILL_BRANDS:
            kind = RecordKind.PHOTO
        return Probe(kind, info, duration_seconds=duration, times=times)


def _structural_reason(structure: containers.Structure) -> str:
    if structure.family == "bmff" and structure.index_missing:
        return UnreadableReason.INDEX_MISSING
    if structure.truncated:
        return UnreadableReason.TRUNCATED
    return ""


def _attached_picture(stream: Any) -> bool:
    """Cover art in an audio file shows up as a one-frame video stream; it does not make the file a video."""
    import av

    disposition = getattr(stream, "disposition", 0)
    flag = getattr(getattr(av.stream, "Disposition", None), "attached_pic", 0)
    return bool(flag and disposition & flag)


def _first_frame_decodes(container: Any, stream: Any) -> bool:
    import av

    try:
        for packet in container.demux(stream):
            for _frame in packet.decode():
                return True
    except (av.FFmpegError, ValueError, OSError):
        return False
    return False


def _tail_readable(container: Any, stream: Any, duration: float) -> bool:
    """Whether the last seconds can be read: a file whose index promises more than its data holds was cut off."""
    import av

    if not stream.time_base:
        return True
    target = max(0.0, duration - max(1.0, duration * 0.05))
    try:
        container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
    except (av.FFmpegError, ValueError, OSError):
        return True  # a container that cannot seek says nothing about its end
    try:
        return any(packet.size for packet in _first(container.demux(stream), 8))
    except (av.FFmpegError, ValueError, OSError):
        return False


def _first(packets, count: int):
    for index, packet in enumerate(packets):
        if index >= count:
            return
        yield packet


def _stream_duration(stream: Any) -> float | None:
    if stream is None or not stream.duration or not stream.time_base:
        return None
    return float(stream.duration * stream.time_base)


def _embedded_times(structure: containers.Structure, tags: dict[str, str]) -> list[Reading]:
    times: list[Reading] = []
    if structure.family == "riff":
        for source, text in structure.dates.items():
            parsed = containers.parse_local(text)
            if parsed is not None:
                times.append(Reading(source, local(parsed[0]), day_only=parsed[1]))
        return times
    stamped = _parse_iso(tags.get("com.apple.quicktime.creationdate"), require_offset=True)
    if stamped is not None:
        times.append(Reading("quicktime", stamped))
    created = _parse_iso(tags.get("creation_time"))
    if created is not None:
        times.append(Reading("container", created))
    return times


def _parse_iso(value: str | None, *, require_offset: bool = False) -> dt.datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # QuickTime writes +0800
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None if require_offset else moment.replace(tzinfo=dt.UTC)
    return moment


def _probe_image(path: Path) -> Probe | None:
    """A Probe when the content is a still image (decodable or not); None when it is no image at all."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    with image:
        if image.format not in STILL_FORMATS:
            return None
        info: dict[str, Any] = {"container": image.format.lower(), "width": image.width, "height": image.height}
        times: list[Reading] = []
        try:
            exif = image.getexif()
            sub = exif.get_ifd(0x8769)
            for key, value in (("make", exif.get(0x010F)), ("model", exif.get(0x0110)), ("serial", sub.get(0xA431))):
                if value:
                    info[key] = str(value).strip("\x00 ")
            taken = _exif_time(sub.get(0x9003), sub.get(0x9011)) or _exif_time(exif.get(0x0132), sub.get(0x9010))
        except (OSError, ValueError, SyntaxError, struct.error):
            taken = None
        if taken is not None:
            times.append(Reading("exif", taken))
            info["creation_time"] = taken.isoformat()
        if not containers.image_complete(path, image.format):
            return _unreadable(UnreadableReason.TRUNCATED, info)
        try:
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            reason = UnreadableReason.TRUNCATED if "truncated" in str(exc) else UnreadableReason.UNDECODABLE
            return _unreadable(reason, info)
    return Probe(RecordKind.PHOTO, info, times=times)


def _exif_time(value: object, offset: object) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    text = str(offset or "").strip("\x00 ")
    if len(text) == 6 and text[0] in "+-" and text[3] == ":":
        sign = 1 if text[0] == "+" else -1
        try:
            delta = dt.timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))
        except ValueError:
            return local(moment)
        return moment.replace(tzinfo=dt.timezone(sign * delta))
    return local(moment)
