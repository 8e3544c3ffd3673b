"""Evidence packages (001/2/11): a BagIt bag (RFC 8493) a court can check offline with ``lawtrace-verify DIR``.

Layout::

    bagit.txt  bag-info.txt  README.txt  ledger-proof.json
    manifest-sha256.txt  manifest-sm3.txt  tagmanifest-sha256.txt  tagmanifest-sm3.txt
    data/originals/<record id>_<original name>   the originals, byte for byte
    data/explanatory-note.pdf                     制作人, 提取人, 提取时间, 证明对象, source, device, times
    tools/lawtrace_verify/                        the verifier's source, standard library only

``ledger-proof.json`` holds each original's ingest event with its inclusion proof against a signed checkpoint, the
checkpoint and the public key; the verifier checks each file against the hashes the ledger recorded at ingest. The
retention issue burns the same directory to disc images.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lawtrace_verify.package import PROOF_FILE

from ledger.events import SYSTEM, RequestContext, record_event

ALGORITHMS = ("sha256", "sm3")
Progress = Callable[[int], None]  # told the number of bytes just copied
NOTE_FILE = "data/explanatory-note.pdf"


class PackageError(Exception):
    """The package could not be made; nothing was left half-written."""


@dataclass(frozen=True)
class Extraction:
    """What the explanatory note states (001/2/11, 001/3/14)."""

    maker: str
    extractor: str
    proves: str
    purpose: str = ""
    case_label: str = ""


@dataclass(frozen=True)
class Package:
    path: Path
    files: int
    bytes: int
    manifest_sha256: str


def _hashers() -> dict:
    return {name: hashlib.new(name) for name in ALGORITHMS}


def _safe_name(name: str, limit: int = 57) -> str:
    """A file name that survives every target: no separators, and short enough that with the record number in
    front it fits Joliet's 64 characters when the package is burned to disc."""
    from evidence.naming import escaped

    # Direction and control characters are written out, so a name cannot disguise itself inside the package.
    cleaned = "".join("_" if c in '/\\:*?"<>|' else c for c in escaped(name)).strip(". ") or "file"
    if len(cleaned) <= limit:
        return cleaned
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > 8:
        return cleaned[:limit]
    return stem[:limit - len(suffix) - 1] + "." + suffix


def _copy_original(record, target: Path, progress: Progress | None) -> dict[str, str]:
    from evidence.derivatives import stored_object
    from evidence.store import store_named

    hashers = _hashers()
    blob = record.blob
    with target.open("wb") as sink:
        for chunk in store_named(blob.backend).read_range(stored_object(blob), 0, None):
            sink.write(chunk)
            for digest in hashers.values():
                digest.update(chunk)
            if progress:
                progress(len(chunk))
    actual = {name: digest.hexdigest() for name, digest in hashers.items()}
    if actual != {"sha256": blob.sha256, "sm3": blob.sm3}:
        raise PackageError(f"记录 {record.pk} 的存储原件与入库哈希不符，已停止导出，请运行完整性检查。"
                           f" The stored original of record {record.pk} no longer matches its hashes.")
    return actual


def file_hashes(path: Path) -> dict[str, str]:
    hashers = _hashers()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            for digest in hashers.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in hashers.items()}


def _write_manifests(root: Path, prefix: str, files: dict[str, dict[str, str]]) -> None:
    for algorithm in ALGORITHMS:
        lines = [f"{digests[algorithm]}  {path}" for path, digests in sorted(files.items())]
        (root / f"{prefix}-{algorithm}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_package(records: Sequence, out_dir: Path, *, extraction: Extraction, agency, actor=None,
                  case=None, access_request=None, context: RequestContext = SYSTEM,
                  progress: Progress | None = None) -> Package:
    """Write the package for ``records`` (already narrowed by the choke point) into ``out_dir``, which must not
    exist yet, and put the export on the record. On any error the half-made directory is removed."""
    if not records:
        raise PackageError("没有可导出的记录。 There are no records to export.")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise PackageError(f"目标目录非空：{out_dir}。 The output directory is not empty.")
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _build(list(records), out_dir, extraction, agency, actor, case, access_request, context, progress)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _build(records, root, extraction, agency, actor, case, access_request, context, progress) -> Package:
    from ledger.bundles import proof_bundle
    from ledger.queries import events_matching

    ingest = {int(e.object_id): e for e in events_matching(verbs=["record.ingest"], object_type="evidence.record",
                                                            object_ids=[r.pk for r in records])}
    lacking = [r.pk for r in records if r.pk not in ingest]
    if lacking:
        raise PackageError(f"记录 {lacking} 在账本中没有入库事件，无法出具证明。"
                           f" No ingest event for records {lacking}.")
    originals = root / "data" / "originals"
    originals.mkdir(parents=True)
    payload: dict[str, dict[str, str]] = {}
    entries = []
    for record in records:
        relative = f"data/originals/{record.pk:06d}_{_safe_name(record.original_name)}"
        payload[relative] = _copy_original(record, root / relative, progress)
        entries.append({"path": relative, **payload[relative], "event": ingest[record.pk].seq})
    extracted_at = timezone.localtime()
    _write_note(root / NOTE_FILE, records, extraction, agency, extracted_at)
    payload[NOTE_FILE] = file_hashes(root / NOTE_FILE)
    _write_manifests(root, "manifest", payload)

    identifier = case.number if case else (f"access-request-{access_request.pk}" if access_request else "")
    size = sum(r.blob.size for r in records) + (root / NOTE_FILE).stat().st_size
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    (root / "bag-info.txt").write_text("\n".join([
        f"Source-Organization: {agency.name}",
        f"Bagging-Date: {extracted_at.date().isoformat()}",
        f"External-Identifier: {identifier}",
        f"External-Description: {extraction.proves}",
        f"Payload-Oxum: {size}.{len(payload)}",
        "Bag-Software-Agent: Lawtrace",
    ]) + "\n", encoding="utf-8")
    proof = proof_bundle([ingest[r.pk] for r in records], entries)
    (root / PROOF_FILE).write_text(json.dumps(proof, ensure_ascii=False, indent=1), encoding="utf-8")
    (root / "README.txt").write_text(_readme(proof), encoding="utf-8")
    _copy_verifier(root / "tools" / "lawtrace_verify")
    tags = {p.relative_to(root).as_posix(): file_hashes(p) for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith("data/")}
    _write_manifests(root, "tagmanifest", tags)
    manifest_sha256 = file_hashes(root / "manifest-sha256.txt")["sha256"]
    with transaction.atomic():
        record_event("package.export", actor=actor, obj=access_request or case, agency_code=agency.code,
                     context=context, detail={
                         "records": [r.pk for r in records], "manifest_sha256": manifest_sha256,
                         "maker": extraction.maker, "extractor": extraction.extractor, "proves": extraction.proves,
                         "purpose": extraction.purpose, "checkpoint_size": _size_of(proof),
                         "request": access_request.pk if access_request else None})
    return Package(root, len(payload), size, manifest_sha256)


def _size_of(proof: dict) -> int:
    from lawtrace_verify.checkpoint import parse_note

    return parse_note(proof["checkpoint"]["note"]).size


def _write_note(path: Path, records, extraction: Extraction, agency, extracted_at: dt.datetime) -> None:
    from lawtrace.pdf import render_pdf

    path.write_bytes(render_pdf("access/package_note.html", {
        "agency": agency, "records": records, "extraction": extraction, "extracted_at": extracted_at}))


def _readme(proof: dict) -> str:
    key = proof["public_key"]
    return "\n".join([
        "执法全过程记录 证据包 / Lawtrace evidence package",
        "",
        "本包为 BagIt (RFC 8493) 格式。data/originals 为原始文件，data/explanatory-note.pdf 为文字说明。",
        "manifest-sha256.txt、manifest-sm3.txt 列出每个文件的 SHA-256 与 SM3 哈希；",
        "ledger-proof.json 含各文件入库事件在防篡改账本中的包含证明、已签名检查点及公钥。",
        "",
        "离线核验（任何装有 Python 3.11 的计算机，无需联网）：",
        "    PYTHONPATH=tools python3 -B -m lawtrace_verify .  --key <监督机关留存的公钥指纹>",
        "或使用独立取得的 lawtrace-verify：  lawtrace-verify <本目录>",
        "",
        f"签名算法 {key['algorithm']}，公钥指纹 {key['key_id']}。请与监督机关（如司法局）留存的指纹核对；",
        "包内附带的核验程序仅为方便，对其有疑问时请使用独立取得的核验程序。",
        "",
    ])


def _copy_verifier(target: Path) -> None:
    import lawtrace_verify

    source = Path(lawtrace_verify.__file__).parent
    target.mkdir(parents=True)
    for module in sorted(source.glob("*.py")):
        shutil.copyfile(module, target / module.name)


def write_zip(root: Path, target: Path, progress: Progress | None = None) -> None:
    """The package directory as one .zip with the directory as its top folder (stored, not compressed: media do
    not shrink)."""
    import zipfile

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            member = zipfile.ZipInfo.from_file(path, f"{root.name}/{path.relative_to(root).as_posix()}")
            with path.open("rb") as source, archive.open(member, "w") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
                    if progress:
                        progress(len(chunk))


def unpack_upload(upload, into: Path) -> Path:
    """Extract an uploaded package .zip for verification, refusing paths that would leave ``into``."""
    import zipfile

    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as error:
        raise PackageError("上传的文件不是 .zip 证据包。 The upload is not a .zip package.") from error
    with archive:
        total = 0
        for member in archive.infolist():
            parts = Path(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise PackageError(f"证据包含不安全路径：{member.filename}。 Unsafe path in the package.")
            total += member.file_size
        if total > settings.ACCESS_VERIFY_MAX_BYTES:
            raise PackageError("证据包过大，请用离线核验程序 lawtrace-verify 核验。 Too large to check online.")
        archive.extractall(into)
    roots = [p for p in into.iterdir() if p.is_dir()]
    if (into / "bagit.txt").is_file():
        return into
    if len(roots) == 1 and (roots[0] / "bagit.txt").is_file():
        return roots[0]
    raise PackageError("压缩包中没有 bagit.txt，不是证据包。 No bagit.txt in the archive.")
