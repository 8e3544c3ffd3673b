"""The checkpoint signing key: Ed25519, generated once, private half readable by the service account only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from lawtrace_verify.checkpoint import key_id

ALGORITHM = "ed25519"
PRIVATE_NAME = "checkpoint-signing.pem"
PUBLIC_NAME = "checkpoint-signing.pub"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def key_dir() -> Path:
    return Path(settings.LEDGER_KEY_DIR)


def ensure_key() -> SigningKey:
    """Load the key pair, creating it on first use (the install step runs ``manage.py ledger keygen``)."""
    private_path = key_dir() / PRIVATE_NAME
    if not private_path.exists():
        _generate(private_path)
    if private_path.stat().st_mode & 0o077:
        raise PermissionError(f"{private_path} is readable by others; it must be mode 600")
    private = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError(f"{private_path} is not an Ed25519 key")
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private, public)


def _generate(private_path: Path) -> None:
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two processes starting at once must not both write a key; the loser reads the winner's.
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (private_path.parent / PUBLIC_NAME).write_text(public.hex() + "\n", encoding="ascii")
