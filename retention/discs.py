"""Disc images (000/2/16, 001/3/9): the access component's evidence package, written as ISO 9660 with Joliet names so
the Chinese file names survive, with its label and the disc record form (001/3/9) as PDFs."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from access.packages import Extraction, build_package

VOLUME_ID = "LAWTRACE"


def image_dir() -> Path:
    path = Path(settings.DATA_DIR) / "discs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_iso(source: Path, target: Path, volume: str = VOLUME_ID) -> None:
    """Write the directory tree ``source`` as an ISO image. The ISO 9660 names are short generated ones; the Joliet
    tree (Windows) and the Rock Ridge names (Linux, macOS) carry the real, Chinese, names."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=volume[:32])
    short_dirs: dict[Path, str] = {Path("."): ""}
    handles = []
    try:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            parent = short_dirs[relative.parent]
            joliet = "/" + relative.as_posix()
            if path.is_dir():
                short_dirs[relative] = f"{parent}/D{len(short_dirs):05d}"
                iso.add_directory(short_dirs[relative], joliet_path=joliet, rr_name=path.name)
                continue
            suffix = "".join(c for c in path.suffix.upper()[1:4] if c.isalnum())
            handle = path.open("rb")
            handles.append(handle)
            iso.add_fp(handle, path.stat().st_size, f"{parent}/F{len(handles):05d}.{suffix};1",
                       joliet_path=joliet, rr_name=path.name)
        iso.write(str(target))
    finally:
        iso.close()
        for handle in handles:
            handle.close()


def digest(path: Path) -> tuple[int, str, str]:
    sha256, sm3 = hashlib.sha256(), hashlib.new("sm3")
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha256.update(chunk)
            sm3.update(chunk)
            size += len(chunk)
    return size, sha256.hexdigest(), sm3.hexdigest()


def make_image(disc) -> None:
    """Build the package into a scratch directory, then the ISO next to the other images, then record it."""
    records = list(disc.records.select_related("blob", "device", "officer", "unit", "case").order_by(
        "recorded_start", "pk"))
    name = f"disc-{disc.pk:06d}.iso"
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR) as work:
        root = Path(work) / "package"
        build_package(records, root, agency=disc.agency, actor=disc.maker, case=disc.case,
                      extraction=Extraction(maker=str(disc.maker), extractor=str(disc.maker),
                                            proves=disc.title, purpose="长期保存", case_label=disc.title))
        partial = image_dir() / (name + ".part")
        write_iso(root, partial, volume=f"LAWTRACE_{disc.pk}")
        partial.rename(image_dir() / name)
    disc.size, disc.sha256, disc.sm3 = digest(image_dir() / name)
    disc.image_name, disc.made_at = name, timezone.now()
