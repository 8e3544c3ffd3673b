"""Check an evidence package: a BagIt bag (RFC 8493) with SHA-256 and SM3 manifests and a ledger proof bundle.

A changed byte, an added or removed file, an altered proof or a wrong key each fail with the exact file, hash,
proof or signature named.
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
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if not name or name.startswith("/") or ".." in Path(name).parts:
            report.fail(f"{path.name} 第 {number} 行格式错误或路径不安全 malformed or unsafe line {number}")
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
        report.fail(f"缺少清单 missing manifest {name}")
        return
    entries = _parse_manifest(manifest, report)
    if entries is None:
        return
    for path in sorted(expected_files - set(entries)):
        report.fail(f"{path}：不在清单 {name} 中（多出的文件） not listed in {name} (file added)")
    bad = 0
    for path, digest in sorted(entries.items()):
        target = root / path
        if not target.is_file():
            report.fail(f"{path}：文件缺失（{name} 中有记载） listed in {name} but missing (file removed)")
            bad += 1
            continue
        if path not in hashes:
            hashes[path] = file_hashes(target)
        if hashes[path].get(algorithm) != digest:
            report.fail(f"{path}：{algorithm.upper()} 不符 {algorithm.upper()} mismatch (content changed)")
            bad += 1
    if not bad:
        report.ok(f"{name}：{len(entries)} 个文件 {algorithm.upper()} 全部一致 all {len(entries)} files match")


def verify_package(root: Path, expected_key: str | None = None) -> Report:
    report = Report()
    declaration = root / "bagit.txt"
    if not declaration.is_file() or "BagIt-Version" not in declaration.read_text(encoding="utf-8", errors="replace"):
        report.fail("不是 BagIt 证据包（缺少 bagit.txt） not a BagIt package: bagit.txt missing")
        return report
    hashes: dict[str, dict[str, str]] = {}
    payload = _files_under(root, "data")
    tag_files = {p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-")}
    tag_files |= _files_under(root, "tools")
    for algorithm in ALGORITHMS:
        if not _available(algorithm):
            report.note(f"本机 Python 不支持 {algorithm.upper()}，跳过该清单 this Python lacks {algorithm}")
            continue
        _check_manifest(root, f"manifest-{algorithm}.txt", algorithm, payload, report, hashes)
        _check_manifest(root, f"tagmanifest-{algorithm}.txt", algorithm, tag_files, report, hashes)
    proof = root / PROOF_FILE
    if not proof.is_file():
        report.fail(f"缺少账本证明 missing ledger proof {PROOF_FILE}")
        return report
    inner = verify_bundle(proof, expected_key)
    report.lines.extend(inner.lines)
    report.failures += inner.failures
    return report
