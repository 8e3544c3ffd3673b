"""Check a proof bundle: the checkpoint's signature, each event's inclusion, each file's hashes.

A valid signature proves only that whoever holds the key in the bundle signed it; anyone can make a key and sign a
rewritten bundle. So the signer counts as confirmed only when its fingerprint is one the user trusts (``--key``, or
the fingerprints in the agency's published witness list). Without that the verdict is "content intact, signer not
confirmed", never "all checks passed".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lawtrace_verify import FORMAT, merkle
from lawtrace_verify.canonical import canonical_bytes
from lawtrace_verify.checkpoint import key_id, parse_note, verify_signature

CHUNK = 1 << 20
PASSED, UNCONFIRMED, FAILED = "passed", "unconfirmed", "failed"


@dataclass
class Report:
    entries: list[tuple[str, str]] = field(default_factory=list)  # (ok | fail | note, text)
    failures: int = 0
    signer: str = ""  # the fingerprint of the key that signed the checkpoint
    signer_confirmed: bool = False

    def ok(self, text: str) -> None:
        self.entries.append(("ok", text))

    def fail(self, text: str) -> None:
        self.failures += 1
        self.entries.append(("fail", text))

    def note(self, text: str) -> None:
        self.entries.append(("note", text))

    @property
    def lines(self) -> list[str]:
        marks = {"ok": "[通过]", "fail": "[失败]", "note": "[说明]"}
        return [f"{marks[level]} {text}" for level, text in self.entries]

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def outcome(self) -> str:
        if self.failures:
            return FAILED
        return PASSED if self.signer_confirmed else UNCONFIRMED

    def merge(self, other: Report) -> None:
        self.entries.extend(other.entries)
        self.failures += other.failures
        self.signer = other.signer or self.signer
        self.signer_confirmed = other.signer_confirmed


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


_FINGERPRINT = re.compile(r"(?:指纹|fingerprint)\s*[:：]?\s*([0-9a-fA-F]{16})\b")


def fingerprints_in(text: str) -> list[str]:
    """The key fingerprints a witness list (``ledger witness``, or the agency's published list) names."""
    return [match.lower() for match in _FINGERPRINT.findall(text)]


def verify_bundle(bundle_path: Path, trusted: list[str] | None = None, *, strict: bool = True) -> Report:
    """``trusted``: fingerprints (or public keys) whose signature confirms the signer. ``strict``: another signer
    fails (the user named the signer they expect); otherwise it stays unconfirmed (a server that knows only its own
    keys, checking a package that may come from another agency)."""
    report = Report()
    try:
        bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        report.fail(f"无法读取证明文件 {bundle_path.name}：{error}")
        return report
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        report.fail(f"{bundle_path.name} 不是本系统的证明文件（格式应为 {FORMAT}）")
        return report
    try:
        _check(bundle, bundle_path.parent, trusted or [], strict, report)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        report.fail(f"证明文件结构不完整或已被改动（{error.__class__.__name__}：{error}）")
    return report


def _check(bundle: dict, base: Path, trusted: list[str], strict: bool, report: Report) -> None:
    key = bytes.fromhex(bundle["public_key"]["key"])
    fingerprint = key_id(key)
    report.signer = fingerprint
    note = bundle["checkpoint"]["note"]
    try:
        checkpoint = parse_note(note)
    except ValueError as error:
        report.fail(f"检查点格式错误：{error}")
        return
    signature = bytes.fromhex(bundle["checkpoint"]["signature"])
    if not verify_signature(bundle["public_key"]["algorithm"], key, note, signature):
        report.fail("检查点签名无效（签名与文件中的公钥不符）")
        return
    report.ok(f"检查点签名有效：{checkpoint.origin}，共 {checkpoint.size} 条事件，签署于 {checkpoint.timestamp}")
    wanted = {t.lower() for t in trusted}
    if wanted & {fingerprint, key.hex()}:
        report.signer_confirmed = True
        report.ok(f"签名公钥指纹 {fingerprint} 与所信任的指纹一致，签名者已确认")
    elif wanted and strict:
        report.fail(f"签名公钥指纹 {fingerprint} 不在所信任的指纹之中：不是预期的签名者")
    elif wanted:
        report.note(f"签名公钥指纹 {fingerprint} 不是本机关事件记录的签名密钥，签名者未确认。"
                    "请与出具该证据包的机关公布的见证名单核对")
    else:
        report.note(f"签名公钥指纹 {fingerprint}：未提供可信指纹，签名者未确认。请与出具机关公布的见证名单或监督机关"
                    f"（如司法局）留存的指纹核对，并用 --key {fingerprint} 重新核验")

    for item in bundle.get("events", []):
        index = item["index"]
        label = f"事件 #{index}（{item['event'].get('verb', '')}）"
        if item["event"].get("seq") != index:
            report.fail(f"{label}：序号与位置不符")
            continue
        leaf = merkle.leaf_hash(canonical_bytes(item["event"]))
        proof = [bytes.fromhex(h) for h in item["proof"]]
        if merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root):
            report.ok(f"{label}：包含在已签名的事件记录中")
        else:
            report.fail(f"{label}：包含证明不成立（事件内容或证明已被改动）")

    recorded = {item["index"]: item["event"] for item in bundle.get("events", [])}
    for item in bundle.get("files", []):
        relative = PurePosixPath(item["path"])
        if relative.is_absolute() or ".." in relative.parts:
            report.fail(f"文件路径不安全：{item['path']}")
            continue
        target = base.joinpath(*relative.parts)
        if not target.is_file():
            report.fail(f"{item['path']}：文件缺失")
            continue
        actual = file_hashes(target)
        mismatched = [name for name in ("sha256", "sm3") if item.get(name) and name in actual
                      and actual[name] != item[name].lower()]
        if mismatched:
            report.fail(f"{item['path']}：{'、'.join(_name(n) for n in mismatched)} 不符")
        else:
            checked = "、".join(_name(n) for n in ("sha256", "sm3") if item.get(n) and n in actual)
            report.ok(f"{item['path']}：{checked} 一致")
        if "event" in item:
            _check_against_event(report, item, actual, recorded.get(item["event"]))


def _name(algorithm: str) -> str:
    return {"sha256": "SHA-256", "sm3": "SM3"}.get(algorithm, algorithm.upper())


def _check_against_event(report: Report, item: dict, actual: dict[str, str], event: dict | None) -> None:
    """The file must be the very content whose hashes the ledger recorded when it was received."""
    label = f"{item['path']} ↔ 事件 #{item['event']}"
    if event is None:
        report.fail(f"{label}：证明文件中没有记录该文件入库的事件")
        return
    stated = event.get("after") or {}
    compared = [name for name in ("sha256", "sm3") if stated.get(name) and name in actual]
    if not compared:
        report.fail(f"{label}：该事件未记录文件哈希")
    elif any(stated[name].lower() != actual[name] for name in compared):
        report.fail(f"{label}：文件与入库时记录的哈希不符")
    else:
        report.ok(f"{label}：与入库时记录的哈希一致")
