"""What a file says about itself: container, codecs, duration, size, creation time, maker tags.

A file that cannot be read is still evidence: the probe reports the error and the record is marked unplayable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy

from policy.vocabulary import RecordKind

BROWSER_VIDEO_CODECS = {"h264", "vp8", "vp9", "av1"}
BROWSER_AUDIO_CODECS = {"aac", "mp3", "opus", "vorbis", "flac"}
BROWSER_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mp3", "ogg", "wav", "flac"}
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


@dataclass
class Probe:
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    created: dt.datetime | None = None
    duration_seconds: float | None = None

    @property
    def playable(self) -> bool:
        return not self.error

    def browser_ready(self) -> bool:
        if self.error:
            return False
        if self.info.get("video_codec") and self.info["video_codec"] not in BROWSER_VIDEO_CODECS:
            return False
        if self.info.get("audio_codec") and self.info["audio_codec"] not in BROWSER_AUDIO_CODECS:
            return False
        return self.info.get("container") in BROWSER_CONTAINERS


def probe(path: Path, kind: str) -> Probe:
    if kind == RecordKind.PHOTO:
        return _probe_image(path)
    if kind in (RecordKind.AV, RecordKind.AUDIO):
        return _probe_media(path, kind)
    return Probe(info={"container": path.suffix.lstrip(".").lower()})


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


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


def _probe_media(path: Path, kind: str) -> Probe:
    import av

    result = Probe()
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            info: dict[str, Any] = {"container": container.format.name}
            tags = {k.lower(): v for k, v in (container.metadata or {}).items()}
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is not None:
                info.update(video_codec=video.codec_context.name, width=video.codec_context.width,
                            height=video.codec_context.height)
                if video.average_rate:
                    info["frame_rate"] = round(float(video.average_rate), 3)
            if audio is not None:
                info.update(audio_codec=audio.codec_context.name, sample_rate=audio.codec_context.sample_rate)
            if kind == RecordKind.AV and video is None:
                raise ValueError("no video stream")
            if kind == RecordKind.AUDIO and audio is None:
                raise ValueError("no audio stream")
            duration = container.duration / 1_000_000 if container.duration else _stream_duration(video or audio)
            if duration is not None:
                info["duration_seconds"] = round(duration, 3)
                result.duration_seconds = duration
            for name, keys in MAKER_TAGS.items():
                value = next((tags[k] for k in keys if tags.get(k)), "")
                if value:
                    info[name] = value
            result.created = _parse_time(tags.get("creation_time"))
            if result.created:
                info["creation_time"] = result.created.isoformat()
            # A truncated file often opens; decoding the first frame tells whether it is really readable.
            first = container.streams.video[0] if video is not None else container.streams.audio[0]
            next(container.decode(first), None)
            result.info = info
    except (av.FFmpegError, ValueError, StopIteration, OSError) as exc:
        result.error = str(exc) or exc.__class__.__name__
        result.info = result.info or {"container": path.suffix.lstrip(".").lower()}
    return result


def _stream_duration(stream: Any) -> float | None:
    if stream is None or not stream.duration or not stream.time_base:
        return None
    return float(stream.duration * stream.time_base)


def _probe_image(path: Path) -> Probe:
    from PIL import Image, UnidentifiedImageError

    result = Probe()
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            result.info = {"container": (image.format or "").lower(), "width": image.width, "height": image.height}
            exif = image.getexif()
            sub = exif.get_ifd(0x8769)
            make, model, serial = exif.get(0x010F), exif.get(0x0110), sub.get(0xA431)
            for name, value in (("make", make), ("model", model), ("serial", serial)):
                if value:
                    result.info[name] = str(value).strip("\x00 ")
            taken = sub.get(0x9003) or exif.get(0x0132)
            if taken:
                moment = dt.datetime.strptime(str(taken).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
                from django.utils import timezone

                result.created = timezone.make_aware(moment)
                result.info["creation_time"] = result.created.isoformat()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        result.error = str(exc) or exc.__class__.__name__
        result.info = result.info or {"container": path.suffix.lstrip(".").lower()}
    return result
