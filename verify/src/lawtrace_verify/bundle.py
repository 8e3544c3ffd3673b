"""Check a proof bundle: the checkpoint's signature, each event's inclusion, each file's hashes."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lawtrace_verify import FORMAT, merkle
from lawtrace_verify.canonical import canonical_bytes
from lawtrace_verify.checkpoint import key_id, parse_note, verify_signature

CHUNK = 1 << 20


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: int = 0

    def ok(self, text: str) -> None:
        self.lines.append(f"[通过 OK] {text}")

    def fail(self, text: str) -> None:
        self.failures += 1
        self.lines.append(f"[失败 FAIL] {text}")

    def note(self, text: str) -> None:
        self.lines.append(f"[说明 NOTE] {text}")

    @property
    def passed(self) -> bool:
        return self.failures == 0


def file_hashes(path: Path) -> dict[str, str]:
    """SHA-256 and, where this Python's OpenSSL has it, SM3, in one read pass."""
    digests = {"sha256": hashlib.sha256()}
    with contextlib.suppress(ValueError):  # an OpenSSL without SM3: SHA-256 alone is still checked
        digests["sm3"] = hashlib.new("sm3")
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            for digest in digests.values():
                digest.update(chunk)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def verify_bundle(bundle_path: Path, expected_key: str | None = None) -> Report:
    report = Report()
    try:
        bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        report.fail(f"无法读取证明文件 cannot read the bundle: {error}")
        return report
    if bundle.get("format") != FORMAT:
        report.fail(f"不是本系统的证明文件 not a {FORMAT} bundle")
        return report

    key = bytes.fromhex(bundle["public_key"]["key"])
    fingerprint = key_id(key)
    if expected_key is None:
        report.note(f"签名公钥指纹 key fingerprint {fingerprint}：请与监督机关留存的公钥指纹核对 "
                    "compare it with the one the witness holds")
    elif expected_key.lower() not in (fingerprint, key.hex()):
        report.fail(f"签名公钥 {fingerprint} 与预期 {expected_key} 不符 the signing key is not the expected one")
        return report
    else:
        report.ok(f"签名公钥与预期一致 signing key {fingerprint} is the expected one")

    note = bundle["checkpoint"]["note"]
    try:
        checkpoint = parse_note(note)
    except ValueError as error:
        report.fail(f"检查点格式错误 malformed checkpoint: {error}")
        return report
    signature = bytes.fromhex(bundle["checkpoint"]["signature"])
    if verify_signature(bundle["public_key"]["algorithm"], key, note, signature):
        report.ok(f"检查点签名有效 checkpoint signature valid: {checkpoint.origin} size {checkpoint.size} "
                  f"at {checkpoint.timestamp}")
    else:
        report.fail("检查点签名无效 checkpoint signature invalid")
        return report

    for item in bundle.get("events", []):
        index = item["index"]
        label = f"事件 event #{index} {item['event'].get('verb', '')}"
        if item["event"].get("seq") != index:
            report.fail(f"{label}：序号与位置不符 sequence number does not match its position")
            continue
        leaf = merkle.leaf_hash(canonical_bytes(item["event"]))
        proof = [bytes.fromhex(h) for h in item["proof"]]
        if merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root):
            report.ok(f"{label}：包含在已签名的日志中 included in the signed ledger")
        else:
            report.fail(f"{label}：包含证明不成立 inclusion proof fails (content or proof altered)")

    recorded = {item["index"]: item["event"] for item in bundle.get("events", [])}
    base = bundle_path.parent
    for item in bundle.get("files", []):
        relative = PurePosixPath(item["path"])
        if relative.is_absolute() or ".." in relative.parts:
            report.fail(f"文件路径不安全 unsafe path {item['path']}")
            continue
        target = base.joinpath(*relative.parts)
        if not target.is_file():
            report.fail(f"{item['path']}：文件缺失 missing")
            continue
        actual = file_hashes(target)
        mismatched = [name for name in ("sha256", "sm3") if item.get(name) and name in actual
                      and actual[name] != item[name].lower()]
        if mismatched:
            report.fail(f"{item['path']}：{'、'.join(n.upper() for n in mismatched)} 不符 hash mismatch")
        else:
            checked = "、".join(n.upper() for n in ("sha256", "sm3") if item.get(n) and n in actual)
            report.ok(f"{item['path']}：{checked} 一致 hashes match")
        if "event" in item:
            _check_against_event(report, item, actual, recorded.get(item["event"]))
    return report


def _check_against_event(report: Report, item: dict, actual: dict[str, str], event: dict | None) -> None:
    """The file must be the very content whose hashes the ledger recorded when it was received."""
    label = f"{item['path']} ↔ 事件 event #{item['event']}"
    if event is None:
        report.fail(f"{label}：证明文件中没有该事件 the bundle lacks the event that recorded this file")
        return
    stated = event.get("after") or {}
    compared = [name for name in ("sha256", "sm3") if stated.get(name) and name in actual]
    if not compared:
        report.fail(f"{label}：该事件未记录文件哈希 the event records no hash for this file")
    elif any(stated[name].lower() != actual[name] for name in compared):
        report.fail(f"{label}：文件与入库时记录的哈希不符 the file differs from what the ledger recorded at ingest")
    else:
        report.ok(f"{label}：与入库时记录的哈希一致 matches the hashes recorded at ingest")
