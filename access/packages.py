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
from django.utils.translation import gettext, gettext_noop
from lawtrace_verify.package import PROOF_FILE, verify_archive

from evidence.derivatives import stored_object
from evidence.store import store_named
from lawtrace.pdf import render_pdf
from ledger import signing
from ledger.bundles import proof_bundle
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.keys import chain
from ledger.queries import events_matching
from ledger.wording import Wording

ALGORITHMS = ("sha256", "sm3")
Progress = Callable[[int], None]  # told the number of bytes just copied
NOTE_FILE = "data/explanatory-note.pdf"


class PackageError(Exception):
    """The package could not be made; nothing was left half-written. Its one argument is a ``Wording``, kept
    untranslated on the export's row and translated where it is shown."""


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
        raise PackageError(Wording(gettext_noop("The stored original of record %(record)s no longer matches the "
                                                "hashes taken when it was filed; the export stopped. Run a fixity "
                                                "check."), record=record.pk))
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
        raise PackageError(Wording(gettext_noop("There are no records to export.")))
    if out_dir.exists() and any(out_dir.iterdir()):
        raise PackageError(Wording(gettext_noop("The output directory is not empty: %(path)s."), path=str(out_dir)))
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _build(list(records), out_dir, extraction, agency, actor, case, access_request, context, progress)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _build(records, root, extraction, agency, actor, case, access_request, context, progress) -> Package:
    ingest = {int(e.object_id): e for e in events_matching(verbs=["record.ingest"], object_type="evidence.record",
                                                            object_ids=[r.pk for r in records])}
    lacking = [r.pk for r in records if r.pk not in ingest]
    if lacking:
        raise PackageError(Wording(gettext_noop("Records %(records)s have no filing event in the ledger, so nothing "
                                                "can prove them."), records="、".join(map(str, lacking))))
    originals = root / "data" / "originals"
    originals.mkdir(parents=True)
    payload: dict[str, dict[str, str]] = {}
    entries = []
    for record in records:
        relative = f"data/originals/{record.pk:06d}_{_safe_name(record.original_name)}"
        payload[relative] = _copy_original(record, root / relative, progress)
        entries.append({"path": relative, **payload[relative], "event": ingest[record.pk].seq})
    extracted_at = timezone.localtime()
    # The proof first: the note names the key that signed it, for the court to compare with the witness list.
    proof = proof_bundle([ingest[r.pk] for r in records], entries)
    _write_note(root / NOTE_FILE, records, extraction, agency, extracted_at, proof["public_key"])
    payload[NOTE_FILE] = file_hashes(root / NOTE_FILE)
    _write_manifests(root, "manifest", payload)

    identifier = case.number if case else (f"access-request-{access_request.pk}" if access_request else "")
    size = sum(r.blob.size for r in records) + (root / NOTE_FILE).stat().st_size
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    (root / "bag-info.txt").write_text("".join(bag_info_line(label, value) for label, value in [
        ("Source-Organization", agency.name),
        ("Bagging-Date", extracted_at.date().isoformat()),
        ("External-Identifier", identifier),
        ("External-Description", extraction.proves),
        ("Payload-Oxum", f"{size}.{len(payload)}"),
        ("Bag-Software-Agent", "Lawtrace"),
        ("Signing-Key-Fingerprint", proof["public_key"]["key_id"]),
    ]), encoding="utf-8")
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


def bag_info_line(label: str, value: str) -> str:
    """One ``bag-info.txt`` element (RFC 8493 2.2.2). A line break in the value continues it on an indented line,
    so text typed into a form ("证明对象") can never start an element of its own."""
    lines = [" ".join(part.split()) for part in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return f"{label}: " + "\n  ".join(line for line in lines if line) + "\n"


def _size_of(proof: dict) -> int:
    from lawtrace_verify.checkpoint import parse_note

    return parse_note(proof["checkpoint"]["note"]).size


def _write_note(path: Path, records, extraction: Extraction, agency, extracted_at: dt.datetime, key: dict) -> None:
    path.write_bytes(render_pdf("access/package_note.html", {
        "agency": agency, "records": records, "extraction": extraction, "extracted_at": extracted_at, "key": key,
        "algorithm": signing.NAMES.get(key["algorithm"], key["algorithm"])}))


def _readme(proof: dict) -> str:
    key = proof["public_key"]
    return gettext(
        "Lawtrace evidence package\n"
        "\n"
        "This package is a BagIt (RFC 8493) bag. data/originals holds the original files, "
        "data/explanatory-note.pdf the explanatory note.\n"
        "manifest-sha256.txt and manifest-sm3.txt list the SHA-256 and SM3 hashes of every file;\n"
        "ledger-proof.json holds the filing event of each file with its inclusion proof in the tamper-evident "
        "ledger, the signed checkpoint and the public key.\n"
        "\n"
        "To check it offline (any computer with Python 3.11, no network needed):\n"
        "    PYTHONPATH=tools python3 -B -m lawtrace_verify .  --key <key fingerprint from the issuing agency's "
        "witness list or kept by the supervising body>\n"
        "or with a lawtrace-verify obtained separately:  lawtrace-verify <this directory or the downloaded .zip> "
        "--key <fingerprint>\n"
        "\n"
        "Signature algorithm %(algorithm)s, key fingerprint %(key_id)s (also stated in the explanatory note).\n"
        "Compare it with the witness list the issuing agency publishes or the fingerprint the supervising body "
        "(such as the justice bureau) keeps: without a trusted fingerprint the verdict is\n"
        "\"content intact, signer not confirmed\" (exit code 2), not \"all passed\" (exit code 0); any failed "
        "check gives exit code 1.\n"
        "The verifier inside the package is only a convenience: if in doubt, use one obtained separately.\n"
    ) % {"algorithm": signing.NAMES.get(key["algorithm"], key["algorithm"]), "key_id": key["key_id"]}


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


def verify_upload(upload, into: Path):
    """An uploaded package .zip checked exactly as ``lawtrace-verify`` checks it, trusting the agency's own signing
    keys; a damaged or unsafe archive gives a report too, never an error."""
    return verify_archive(upload, into, [key.key_id for key in chain()], strict=False,
                          max_bytes=settings.ACCESS_VERIFY_MAX_BYTES)
