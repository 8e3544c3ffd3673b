"""Small generated media for the demo, the tests and the benchmark, so no binary fixture lives in the repository."""

from __future__ import annotations

import array
import datetime as dt
import math
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


def make_video(path: Path, *, seconds: float = 2.0, fps: int = 10, size: tuple[int, int] = (160, 120),
               codec: str = "h264", created: dt.datetime | None = None, audio: bool = True,
               tags: dict[str, str] | None = None) -> Path:
    width, height = size
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        sound = container.add_stream("aac" if codec == "h264" else "pcm_s16le", rate=8000) if audio else None
        metadata = dict(tags or {})
        if created is not None:
            metadata["creation_time"] = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        container.metadata.update(metadata)
        frames = int(seconds * fps)
        for index in range(frames):
            picture = Image.new("RGB", (width, height), ((index * 7) % 255, 90, 160))
            picture.paste((200, 30, 30), (0, 0, max(1, index * width // max(frames, 1)), height))
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            _write_tone(container, sound, seconds)
    return path


def _write_tone(container: av.container.OutputContainer, sound: av.AudioStream, seconds: float) -> None:
    rate, chunk = 8000, 1024
    floating = sound.codec_context.name == "aac"
    samples = int(seconds * rate)
    for start in range(0, samples, chunk):
        count = min(chunk, samples - start)
        values = [math.sin((start + i) * 2 * math.pi * 440 / rate) * 0.25 for i in range(count)]
        if floating:
            frame = av.AudioFrame(format="fltp", layout="mono", samples=count)
            frame.planes[0].update(array.array("f", values).tobytes())
        else:
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(array.array("h", (int(v * 32767) for v in values)).tobytes())
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        container.mux(sound.encode(frame))
    container.mux(sound.encode())


def make_photo(path: Path, *, size: tuple[int, int] = (64, 48), taken: dt.datetime | None = None,
               make: str = "", model: str = "") -> Path:
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    image.save(path, "JPEG", exif=exif, quality=80)
    return path
