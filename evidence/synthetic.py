"""Small generated media for the demo, the tests and the benchmark, so no binary fixture lives in the repository."""

from __future__ import annotations

import array
import datetime as dt
import math
import struct
import wave
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


def make_video(path: Path, *, seconds: float = 2.0, fps: int = 10, size: tuple[int, int] = (160, 120),
               codec: str = "h264", created: dt.datetime | None = None, audio: bool = True,
               tags: dict[str, str] | None = None, faststart: bool = False, idit: str = "") -> Path:
    """A clip; ``faststart`` puts the MP4 index first, ``idit`` writes an AVI's date/time-original chunk as a
    camera does (e.g. ``"THU NOV 21 08:30:15 2026"``)."""
    width, height = size
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
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
    if idit:
        _add_idit(path, idit)
    return path


def _add_idit(path: Path, text: str) -> None:
    """Write an IDIT chunk into the AVI header list, in the room of the JUNK chunk FFmpeg leaves there."""
    data = bytearray(path.read_bytes())
    hdrl = data.index(b"hdrl")
    junk = data.index(b"JUNK", hdrl)
    room = struct.unpack("<I", data[junk + 4:junk + 8])[0]
    body = text.encode("ascii") + b"\n\0"
    body += b"\0" * (len(body) & 1)
    if room < len(body) + 8:
        raise ValueError("no room for an IDIT chunk")
    chunk = b"IDIT" + struct.pack("<I", len(body)) + body
    rest = room - len(chunk)
    data[junk:junk + 8 + room] = chunk + b"JUNK" + struct.pack("<I", rest) + b"\0" * rest
    path.write_bytes(bytes(data))


def make_wav(path: Path, *, seconds: float = 2.0, rate: int = 8000, origination: dt.datetime | None = None,
             creation_date: str = "") -> Path:
    """A mono PCM WAV of a tone; ``origination`` writes a Broadcast WAV ``bext`` chunk (local time, as recorders
    do) and ``creation_date`` a ``LIST/INFO ICRD`` chunk."""
    samples = int(seconds * rate)
    pcm = array.array("h", (int(math.sin(i * 2 * math.pi * 440 / rate) * 8000) for i in range(samples))).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    extra = b""
    if origination is not None:
        bext = bytearray(602)
        bext[0:32] = b"Lawtrace test recorder".ljust(32, b"\0")
        bext[320:330] = origination.strftime("%Y-%m-%d").encode()
        bext[330:338] = origination.strftime("%H:%M:%S").encode()
        extra += b"bext" + struct.pack("<I", len(bext)) + bytes(bext)
    if creation_date:
        value = creation_date.encode() + b"\0"
        value += b"\0" * (len(value) & 1)
        info = b"INFO" + b"ICRD" + struct.pack("<I", len(value)) + value
        extra += b"LIST" + struct.pack("<I", len(info)) + info
    if extra:
        data = path.read_bytes()
        # The new chunks go before the data chunk, where recorders write them.
        at = data.index(b"data", 12)
        data = data[:at] + extra + data[at:]
        data = data[:4] + struct.pack("<I", len(data) - 8) + data[8:]
        path.write_bytes(data)
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
               make: str = "", model: str = "", offset: str = "") -> Path:
    """A JPEG; ``taken`` is written as EXIF DateTimeOriginal (wall-clock), ``offset`` as OffsetTimeOriginal."""
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset
    image.save(path, "JPEG", exif=exif, quality=80)
    return path


def make_pdf(path: Path, *, pages: int = 1) -> Path:
    """A small, complete PDF (a scanned page of grey), as a scanned interview record would be."""
    sheets = [Image.new("RGB", (120, 170), (230 - 10 * index, 230, 230)) for index in range(pages)]
    sheets[0].save(path, "PDF", save_all=True, append_images=sheets[1:])
    return path
