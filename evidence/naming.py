"""File names as received: made safe to show and store, typed, and read for what body cameras write into them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lawtrace.text import BIDI_CONTROLS, escaped, hidden
from policy.vocabulary import RecordKind

MAX_NAME = 255

EXTENSIONS: dict[str, str] = {
    **dict.fromkeys(["mp4", "mov", "avi", "mkv", "ts", "m2ts", "mts", "3gp", "asf", "wmv", "flv", "mpg", "mpeg"],
                    RecordKind.AV),
    **dict.fromkeys(["jpg", "jpeg", "png", "heic", "heif", "bmp", "webp"], RecordKind.PHOTO),
    **dict.fromkeys(["wav", "mp3", "aac", "m4a", "amr", "ogg", "opus", "flac", "wma"], RecordKind.AUDIO),
    **dict.fromkeys(["pdf", "doc", "docx", "wps", "ofd", "tif", "tiff", "rtf", "xls", "xlsx"],
                    RecordKind.DOCUMENT),
}


class BadName(ValueError):
    pass


# Django's zh_Hans catalogue renders the message of its null-character validator (behind every form and API text
# field) as "不允许是用空字符串", a garbled "empty string", which a NUL is not. Naming the msgid here puts it in our
# catalogue, which LOCALE_PATHS lets win over Django's.
gettext_noop("Null characters are not allowed.")


def check_name(raw: str) -> None:
    """Refuse a name carrying a NUL, a control character or a bidi control: such a name is corrupt or disguises
    what the file is, and it must not be quietly rewritten into something that looks harmless."""
    offending = next((ch for ch in raw or "" if hidden(ch)), None)
    if offending is None:
        return
    shown = {"name": escaped(raw), "char": f"U+{ord(offending):04X}"}
    if offending == "\x00":
        message = _("The name %(name)s contains a null character (NUL); it was not accepted. Rename the file and "
                    "send it again.")
    elif offending in BIDI_CONTROLS:
        message = _("The name %(name)s contains a text-direction control character (%(char)s), which can disguise "
                    "the real type of a file; it was not accepted. Rename the file and send it again.")
    else:
        message = _("The name %(name)s contains an invisible control character (%(char)s); it was not accepted. "
                    "Rename the file and send it again.")
    raise BadName(message % shown)


def safe_name(raw: str) -> str:
    """The last component of a client-supplied name, NFC-normalised, without path or reserved characters.

    Names are only ever labels here (objects are stored by hash), but they end up in packages, disc images and
    printed registers, so traversal pieces are cut off; control and direction characters are refused outright.
    """
    check_name(raw)
    name = unicodedata.normalize("NFC", raw or "")
    name = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    name = "".join(ch for ch in name if ch not in '/\\:*?"<>|')
    name = name.strip(" .")
    if not name:
        raise BadName(_("The file name is empty or made only of characters that are not allowed."))
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME]
    return name


def kind_for(name: str) -> str | None:
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return EXTENSIONS.get(extension)


def accepted_extensions() -> list[str]:
    return sorted(EXTENSIONS)


@dataclass(frozen=True)
class ParsedName:
    serial: str = ""
    officer: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    sequence: str = ""


def parse_name(name: str, patterns: list[tuple[str, str]]) -> ParsedName | None:
    """Try each (regex, time format) in order; the first full match wins. Times are local wall-clock times."""
    stem = name.rpartition(".")[0] or name
    for regex, time_format in patterns:
        match = re.fullmatch(regex, stem)
        if not match:
            continue
        groups = match.groupdict()
        try:
            start = _local(groups.get("start"), time_format)
            end = _local(groups.get("end"), time_format)
        except ValueError:
            continue
        return ParsedName(serial=groups.get("serial") or "", officer=groups.get("officer") or "",
                          start=start, end=end, sequence=groups.get("seq") or "")
    return None


def _local(value: str | None, time_format: str) -> dt.datetime | None:
    if not value:
        return None
    return timezone.make_aware(dt.datetime.strptime(value, time_format))
