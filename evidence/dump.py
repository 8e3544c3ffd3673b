"""Importing a camera's dump folder, from a collection station's disk or the command line.

Idempotent by content: a file already filed is reported as such and not filed again (nor copied: see
``evidence.ingest``), so an import interrupted by a crash or kill -9 is finished by running it again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from evidence.ingest import IngestRefused, Origin, ingest_file
from evidence.naming import escaped


@dataclass
class FileResult:
    path: str  # as received, with any invisible character written out (naming.escaped)
    status: str  # filed | duplicate | quarantined | skipped | refused
    message: str
    record_id: int | None = None
    code: str = ""  # why a file was refused or skipped (IngestRefused.code)


@dataclass
class DumpReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return self.count("refused") == 0 and self.count("quarantined") == 0


def dump_files(root: Path) -> list[Path]:
    """Regular files under ``root`` in a stable order; links that lead outside the folder are not followed."""
    root = root.resolve()
    found = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue
            if path.is_file():
                found.append(path)
    return found


def import_one(source: Path | BinaryIO, name: str, relative: str, origin: Origin, *, owned: bool = False
               ) -> FileResult:
    try:
        outcome = ingest_file(source, name, origin, source_path=relative, owned=owned)
    except IngestRefused as exc:
        status = "skipped" if exc.code == "unknown_type" else "refused"
        return FileResult(escaped(relative), status, str(exc), code=exc.code)
    return FileResult(escaped(relative), outcome.status, outcome.message, outcome.record.pk)


def import_dump(root: Path, origin: Origin, *, progress: Callable[[int, int, FileResult], None] | None = None
                ) -> DumpReport:
    if not root.is_dir():
        raise IngestRefused(_("%(path)s is not a folder.") % {"path": escaped(str(root))}, "not_a_folder")
    files = dump_files(root)
    report = DumpReport()
    for index, path in enumerate(files, start=1):
        result = import_one(path, path.name, path.resolve().relative_to(root.resolve()).as_posix(), origin)
        report.results.append(result)
        if progress is not None:
            progress(index, len(files), result)
    return report
