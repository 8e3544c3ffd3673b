"""Check an evidence package: a BagIt bag (RFC 8493) with SHA-256 and SM3 manifests and a ledger proof bundle.

A changed byte, an added or removed file, an altered proof or a wrong key each fail with the exact file, hash,
proof or signature named. Whatever the files hold, the answer is a report.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from lawtrace_verify.bundle import Report, file_hashes, verify_bundle

PROOF_FILE = "ledger-proof.json"
ALGORITHMS = ("sha256", "sm3")


def _available(algorithm: str) -> bool:
    with contextlib.suppress(ValueError):
        hashlib.new(algorithm)
        return True
    return False


def _parse_manifest(path: Path, report: Report) -> dict[str, str] | None:
    entries: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        report.fail(f"{path.name} 无法读取（{error}）：清单已损坏或被改动")
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if not name or name.startswith("/") or ".." in Path(name).parts:
            report.fail(f"{path.name} 第 {number} 行格式错误或路径不安全")
            return None
        entries[name] = digest.lower()
    return entries


def _files_under(root: Path, folder: str) -> set[str]:
    base = root / folder
    return {p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file()} if base.is_dir() else set()


def _check_manifest(root: Path, name: str, algorithm: str, expected_files: set[str], report: Report,
                    hashes: dict[str, dict[str, str]]) -> None:
    manifest = root / name
    if not manifest.is_file():
        report.fail(f"缺少清单 {name}")
        return
    entries = _parse_manifest(manifest, report)
    if entries is None:
        return
    for path in sorted(expected_files - set(entries)):
        report.fail(f"{path}：不在清单 {name} 中（多出的文件）")
    bad = 0
    label = "SHA-256" if algorithm == "sha256" else algorithm.upper()
    for path, digest in sorted(entries.items()):
        target = root / path
        if not target.is_file():
            report.fail(f"{path}：文件缺失（{name} 中有记载）")
            bad += 1
            continue
        if path not in hashes:
            hashes[path] = file_hashes(target)
        if hashes[path].get(algorithm) != digest:
            report.fail(f"{path}：{label} 不符（内容已被改动）")
            bad += 1
    if not bad:
        report.ok(f"{name}：{len(entries)} 个文件的 {label} 全部一致")


def verify_package(root: Path, trusted: list[str] | None = None, *, strict: bool = True) -> Report:
    report = Report()
    declaration = root / "bagit.txt"
    if not declaration.is_file() or "BagIt-Version" not in declaration.read_text(encoding="utf-8", errors="replace"):
        report.fail("不是 BagIt 证据包（缺少 bagit.txt）")
        return report
    hashes: dict[str, dict[str, str]] = {}
    payload = _files_under(root, "data")
    tag_files = {p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-")}
    tag_files |= _files_under(root, "tools")
    for algorithm in ALGORITHMS:
        if not _available(algorithm):
            report.note(f"本机 Python 不支持 {algorithm.upper()}，跳过该清单")
            continue
        _check_manifest(root, f"manifest-{algorithm}.txt", algorithm, payload, report, hashes)
        _check_manifest(root, f"tagmanifest-{algorithm}.txt", algorithm, tag_files, report, hashes)
    proof = root / PROOF_FILE
    if not proof.is_file():
        report.fail(f"缺少事件记录证明 {PROOF_FILE}")
        return report
    report.merge(verify_bundle(proof, trusted, strict=strict))
    return report


def verify_archive(source, into: Path, trusted: list[str] | None = None, *, strict: bool = True,
                   max_bytes: int | None = None) -> Report:
    """A package .zip as downloaded (a path or an open file), unpacked into ``into`` and checked; a damaged or unsafe
    archive gives a report too."""
    from lawtrace_verify.archive import ArchiveError, unpack

    report = Report()
    try:
        unpacked = unpack(source, into, max_bytes=max_bytes)
    except ArchiveError as error:
        report.fail(str(error))
        return report
    for name in unpacked.damaged:
        report.note(f"压缩包中 {name} 与压缩包记载的校验值（CRC）不符：内容是否完整以下面的清单核验为准")
    for name in unpacked.unreadable:
        report.fail(f"压缩包中 {name} 无法读出（压缩包已损坏）")
    report.merge(verify_package(unpacked.root, trusted, strict=strict))
    return report
