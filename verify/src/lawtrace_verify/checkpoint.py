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


KEY_HEADER = "lawtrace-key"


@dataclass(frozen=True)
class KeyStatement:
    """A signing key entering the ledger's chain of trust, signed by the key before it (the first by itself).

    ``tree_size`` is the ledger's size just after the event that introduced the key: the key signs no smaller tree.
    """

    origin: str
    algorithm: str
    public: bytes
    tree_size: int
    previous: str
    timestamp: str

    def text(self) -> str:
        return (f"{KEY_HEADER}/{self.origin}\n{self.algorithm}\n{self.public.hex()}\n{self.tree_size}\n"
                f"{self.previous or '-'}\n{self.timestamp}\n")

    @property
    def key_id(self) -> str:
        return key_id(self.public)


def parse_key_statement(text: str) -> KeyStatement:
    lines = text.split("\n")
    if len(lines) != 7 or lines[6] != "" or not lines[0].startswith(KEY_HEADER + "/"):
        raise ValueError("not a Lawtrace key statement")
    size = int(lines[3])
    if size < 0 or lines[1] not in ("ed25519", "sm2"):
        raise ValueError("key statement size or algorithm malformed")
    return KeyStatement(lines[0][len(KEY_HEADER) + 1:], lines[1], bytes.fromhex(lines[2]), size,
                        "" if lines[4] == "-" else lines[4], lines[5])
