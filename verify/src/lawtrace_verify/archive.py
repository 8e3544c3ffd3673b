"""A package .zip as downloaded: unpacked safely, and as much of it as can be read, so a damaged archive is reported
file by file rather than refused with an error.

A member whose bytes no longer match the archive's own CRC is still written out: the manifests then say which file
changed and how. A path that would leave the target directory is refused outright.
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHUNK = 1 << 20


class ArchiveError(Exception):
    """The file cannot be unpacked as a package at all; the message is for people (Chinese)."""


@dataclass
class Unpacked:
    root: Path
    damaged: list[str] = field(default_factory=list)  # members whose archive checksum failed
    unreadable: list[str] = field(default_factory=list)  # members that could not be read out


def is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def _safe(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not path.is_absolute() and ".." not in path.parts and ":" not in path.parts[0]


def unpack(source, into: Path, *, max_bytes: int | None = None) -> Unpacked:
    """Unpack ``source`` (a path or an open binary file) into ``into``; return where the package's top lies."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveError("不是有效的 .zip 压缩包（可能下载不完整或已损坏），无法读取其目录。") from error
    unpacked = Unpacked(into)
    with archive:
        members = archive.infolist()
        for member in members:
            if not _safe(member.filename):
                raise ArchiveError(f"压缩包含不安全路径：{member.filename}，已拒绝解压。")
        if max_bytes is not None and sum(m.file_size for m in members) > max_bytes:
            raise ArchiveError("证据包过大，无法在线核验，请使用离线核验程序 lawtrace-verify。")
        for member in members:
            target = into / PurePosixPath(member.filename.replace("\\", "/"))
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as reader, target.open("wb") as writer:
                    shutil.copyfileobj(reader, writer, CHUNK)
            except zipfile.BadZipFile as error:
                # "Bad CRC-32": every byte was read and written; the manifests will name the change.
                (unpacked.damaged if "CRC" in str(error) else unpacked.unreadable).append(member.filename)
                if "CRC" not in str(error):
                    target.unlink(missing_ok=True)
            except (zlib.error, OSError, EOFError, NotImplementedError, RuntimeError):
                unpacked.unreadable.append(member.filename)
                target.unlink(missing_ok=True)
    unpacked.root = package_root(into)
    return unpacked


def package_root(into: Path) -> Path:
    """The package's top: the directory itself, or the one folder the archive holds (its name, as downloaded)."""
    if (into / "bagit.txt").is_file():
        return into
    entries = list(into.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into
