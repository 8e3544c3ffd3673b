"""Signed checkpoints: a short text note naming the log, its size, its root and the time, and a signature."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lawtrace_verify import ed25519, sm2

HEADER = "lawtrace-ledger"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    timestamp: str

    def note(self) -> str:
        return f"{HEADER}/{self.origin}\n{self.size}\n{self.root.hex()}\n{self.timestamp}\n"


def parse_note(note: str) -> Checkpoint:
    lines = note.split("\n")
    if len(lines) != 5 or lines[4] != "" or not lines[0].startswith(HEADER + "/"):
        raise ValueError("not a Lawtrace checkpoint note")
    size = int(lines[1])
    root = bytes.fromhex(lines[2])
    if size < 0 or len(root) != 32:
        raise ValueError("checkpoint size or root malformed")
    return Checkpoint(lines[0][len(HEADER) + 1:], size, root, lines[3])


def key_id(public_key: bytes) -> str:
    """A short fingerprint a witness can read out over the telephone."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def verify_signature(algorithm: str, public_key: bytes, note: str, signature: bytes) -> bool:
    if algorithm == "ed25519":
        return ed25519.verify(public_key, note.encode("utf-8"), signature)
    if algorithm == "sm2":
        return sm2.verify(public_key, note.encode("utf-8"), signature)
    raise ValueError(f"unsupported signature algorithm {algorithm}")
