"""Reading a recording's container structure directly, where the media library either gives up without saying why
or does not report what is there.

- ISO base media (MP4/MOV): the top-level boxes. A camera writes the index (``moov``) last, when recording stops; a
  file without it was cut off by a power loss or an interrupted copy, and no player can read its pictures.
- JPEG and PNG: whether the picture data reaches its end marker (EOI, IEND). The image library can be told to
  accept cut-off images and fill them with grey, and WeasyPrint tells it so for the whole process; the
  structure cannot be talked round.
- RIFF (WAV, AVI): the chunks. They carry the recorder's own dates, in the device's local time: ``bext``
  (Broadcast WAV origination date and time), ``LIST/INFO ICRD`` (creation date) and the AVI ``IDIT`` chunk
  (date/time original). A chunk that runs past the end of the file means the copy was cut short.

Only headers are read, by seeking from one box or chunk to the next, so a 4 GB file costs a few dozen reads.
"""

from __future__ import annotations

import datetime as dt
import mmap
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

_BMFF_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"moof", b"mfra", b"pdin",
             b"styp", b"sidx", b"prft", b"udta"}
_MAX_CHUNKS = 4096


@dataclass
class Structure:
    family: str = ""  # "bmff", "riff" or "" when neither
    truncated: bool = False  # a box or chunk claims more bytes than the file has
    index_missing: bool = False  # an MP4/MOV without its moov box
    dates: dict[str, str] = field(default_factory=dict)  # RIFF date strings by source: bext, icrd, idit


def read_structure(path: Path) -> Structure:
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            handle.seek(0, 2)
            size = handle.tell()
            if head[4:8] == b"ftyp":
                return _bmff(handle, size)
            if head[:4] in (b"RIFF", b"RF64") and head[8:12] in (b"WAVE", b"AVI "):
                return _riff(handle, size)
    except OSError:
        pass
    return Structure()


def _bmff(handle, size: int) -> Structure:
    found = Structure(family="bmff")
    offset, seen = 0, set()
    for _ in range(_MAX_CHUNKS):
        if offset >= size:
            break
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            found.truncated = True
            break
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1 and len(header) == 16:
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:  # the box runs to the end of the file
            length = size - offset
        if kind not in _BMFF_TOP or length < 8:
            break  # not a box we know: leave the verdict to the decoder
        seen.add(kind)
        if offset + length > size:
            found.truncated = True
            break
        offset += length
    found.index_missing = b"moov" not in seen and b"moof" not in seen
    return found


def _riff(handle, size: int) -> Structure:
    found = Structure(family="riff")
    handle.seek(12)
    _chunks(handle, 12, size, found, depth=0)
    return found


def _chunks(handle, offset: int, end: int, found: Structure, depth: int) -> None:
    for _ in range(_MAX_CHUNKS):
        if offset + 8 > end:
            return
        handle.seek(offset)
        header = handle.read(12)
        if len(header) < 8:
            found.truncated = True
            return
        kind, length = struct.unpack("<4sI", header[:8])
        body = offset + 8
        if length == 0xFFFFFFFF:  # size not known when written (streaming recorders, RF64): runs to the end
            length = end - body
        if body + length > end:
            found.truncated = True
            if kind in (b"data", b"movi") or header[8:12] == b"movi":
                return  # the recording itself was cut short; its headers are still worth reading
            length = max(0, end - body)
        if kind == b"LIST" and depth < 2 and header[8:12] in (b"INFO", b"hdrl", b"strl"):
            _chunks(handle, body + 4, body + length, found, depth + 1)
        elif kind in (b"bext", b"ICRD", b"IDIT"):
            handle.seek(body)
            _dates(kind, handle.read(min(length, 1024)), found)
        offset = body + length + (length & 1)


def _dates(kind: bytes, data: bytes, found: Structure) -> None:
    def text(raw: bytes) -> str:
        return raw.split(b"\0", 1)[0].decode("latin-1").strip()

    if kind == b"bext" and len(data) >= 338:
        # EBU Tech 3285: description 256, originator 32, reference 32, then OriginationDate 10, OriginationTime 8.
        day, moment = text(data[320:330]), text(data[330:338])
        if day:
            found.dates["bext"] = f"{day} {moment}".strip()
    elif kind == b"ICRD":
        found.dates["icrd"] = text(data)
    elif kind == b"IDIT":
        found.dates["idit"] = text(data)


_CTIME = "%a %b %d %H:%M:%S %Y"
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H-%M-%S", "%Y:%m:%d %H:%M:%S", "%Y:%m:%d %H-%M-%S", "%Y/%m/%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d%H%M%S")


def parse_local(text: str) -> tuple[dt.datetime, bool] | None:
    """A RIFF date string as a naive local time, and whether it names only a day. None when unreadable."""
    text = " ".join(text.replace("\n", " ").split())
    if not text:
        return None
    for fmt in (_CTIME, *_FORMATS):
        try:
            return dt.datetime.strptime(text, fmt), False
        except ValueError:
            continue
    day = re.fullmatch(r"(\d{4})[-:/.](\d{1,2})[-:/.](\d{1,2})", text)
    if day:
        try:
            return dt.datetime(int(day[1]), int(day[2]), int(day[3])), True
        except ValueError:
            return None
    return None


def image_complete(path: Path, image_format: str) -> bool:
    """Whether a JPEG (or MPO) has its end-of-image marker after the picture's scan, a PNG its IEND chunk after its
    data; other formats are left to the decoder."""
    if image_format not in ("JPEG", "MPO", "PNG"):
        return True
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if image_format == "PNG":
                return data.rfind(b"IEND") > data.rfind(b"IDAT") > 0
            scan = _jpeg_scan_start(data)
            return scan is not None and data.rfind(b"\xff\xd9") > scan
    except (OSError, ValueError):
        return False


def _jpeg_scan_start(data) -> int | None:
    """Offset of the first start-of-scan marker, walking the segments (an EXIF thumbnail inside APP1 has its own,
    which must not count)."""
    offset, size = 2, len(data)
    while offset + 4 <= size:
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker == 0xDA:
            return offset
        if marker in (0x01, *range(0xD0, 0xD9)):
            offset += 2
            continue
        offset += 2 + struct.unpack(">H", data[offset + 2:offset + 4])[0]
    return None
