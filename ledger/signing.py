"""The checkpoint signing key, generated once, private half readable by the service account only.

Ed25519 by default (``cryptography``). SM2 with SM3 (GB/T 32918) when ``LAWTRACE_LEDGER_SIGNATURE=sm2`` and the
platform's OpenSSL offers it: ``cryptography`` has no SM2, so the key is made and used by the ``openssl`` command.
Each algorithm keeps its own key files, so checkpoints signed before a change of algorithm still verify.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from lawtrace_verify.checkpoint import key_id
from lawtrace_verify.sm2 import DEFAULT_ID

NAMES = {"ed25519": "Ed25519 (RFC 8032)", "sm2": "SM2 (GB/T 32918)"}
FILES = {"ed25519": ("checkpoint-signing.pem", "checkpoint-signing.pub"),
         "sm2": ("checkpoint-signing-sm2.pem", "checkpoint-signing-sm2.pub")}


class SigningUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class SigningKey:
    algorithm: str
    private_path: Path
    public: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        if self.algorithm == "ed25519":
            private = serialization.load_pem_private_key(self.private_path.read_bytes(), password=None)
            return private.sign(message)
        return _openssl("pkeyutl", "-sign", "-inkey", str(self.private_path), "-rawin", "-digest", "sm3",
                        "-pkeyopt", f"distid:{DEFAULT_ID.decode()}", stdin=message)


def configured_algorithm() -> str:
    return settings.LEDGER_SIGNATURE


def key_dir() -> Path:
    return Path(settings.LEDGER_KEY_DIR)


@cache
def openssl_offers_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listed = subprocess.run(["openssl", "list", "-signature-algorithms"], capture_output=True, text=True)
    return listed.returncode == 0 and "SM2" in listed.stdout.upper()


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise SigningUnavailable(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def ensure_key(algorithm: str | None = None) -> SigningKey:
    """Load the key pair, creating it on first use (the install step runs ``manage.py ledger keygen``).

    Which key may sign is decided by the pinned chain in ``ledger.keys``, not by what is on disk.
    """
    algorithm = _usable(algorithm or configured_algorithm())
    private_path = key_dir() / FILES[algorithm][0]
    if not private_path.exists():
        _generate(algorithm, private_path)
    return _loaded(algorithm, private_path)


def load_key(algorithm: str) -> SigningKey | None:
    """The key on disk for ``algorithm``, or None when there is none; never creates one."""
    private_path = key_dir() / FILES[_usable(algorithm)][0]
    return _loaded(algorithm, private_path) if private_path.exists() else None


def next_key(algorithm: str) -> SigningKey:
    """A new key beside the current one (``….next``), to be introduced by the current key and then installed."""
    private_path = key_dir() / (FILES[_usable(algorithm)][0] + ".next")
    if not private_path.exists():
        _generate(algorithm, private_path)
    return _loaded(algorithm, private_path)


def install_next(algorithm: str) -> None:
    """Put the introduced key in place; the old private key is kept under ``retired/`` for the record."""
    current = key_dir() / FILES[algorithm][0]
    waiting = current.with_name(current.name + ".next")
    if current.exists():
        retired = key_dir() / "retired"
        retired.mkdir(mode=0o700, exist_ok=True)
        os.replace(current, retired / f"{_loaded(algorithm, current).key_id}-{current.name}")
    os.replace(waiting, current)
    (key_dir() / FILES[algorithm][1]).write_text(_public(algorithm, current).hex() + "\n", encoding="ascii")
    fd = os.open(key_dir(), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _usable(algorithm: str) -> str:
    if algorithm not in FILES:
        raise SigningUnavailable(f"unknown signature algorithm {algorithm}")
    if algorithm == "sm2" and not openssl_offers_sm2():
        raise SigningUnavailable("this platform's OpenSSL does not offer SM2; use Ed25519")
    return algorithm


def _loaded(algorithm: str, private_path: Path) -> SigningKey:
    if private_path.stat().st_mode & 0o077:
        raise PermissionError(f"{private_path} is readable by others; it must be mode 600")
    return SigningKey(algorithm, private_path, _public(algorithm, private_path))


def verify(algorithm: str, public: bytes, message: bytes, signature: bytes) -> bool:
    """Check a signature; Ed25519 through ``cryptography`` (a thousand times the pure-Python verifier's speed, which
    matters when every published checkpoint is checked), SM2 through the offline verifier's own code."""
    if algorithm == "ed25519":
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True
    from lawtrace_verify.checkpoint import verify_signature

    try:
        return verify_signature(algorithm, public, message.decode("utf-8"), signature)
    except (ValueError, TypeError, UnicodeDecodeError):
        return False


def _public(algorithm: str, private_path: Path) -> bytes:
    if algorithm == "ed25519":
        private = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{private_path} is not an Ed25519 key")
        return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    der = _openssl("pkey", "-in", str(private_path), "-pubout", "-outform", "DER")
    return der[-65:]  # SubjectPublicKeyInfo ends with the uncompressed point 04 ‖ x ‖ y


def _private_pem(algorithm: str) -> bytes:
    if algorithm == "ed25519":
        return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "key.pem"
        _openssl("genpkey", "-algorithm", "SM2", "-out", str(target))
        return target.read_bytes()


def _generate(algorithm: str, private_path: Path) -> None:
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = _private_pem(algorithm)
    # O_EXCL: two processes starting at once must not both write a key; the loser reads the winner's.
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    if private_path.name == FILES[algorithm][0]:
        public = _public(algorithm, private_path)
        (private_path.parent / FILES[algorithm][1]).write_text(public.hex() + "\n", encoding="ascii")
