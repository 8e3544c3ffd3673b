"""The pack files this installation can offer: every version found in the pack directories, validated at start-up.

A file here is only *available*. Which version governs an agency at a moment is decided by approved activations
(``policy.current``), never by a file appearing in a directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from policy import citations
from policy.loader import PackError, PackInvalid, load_pack
from policy.schema import PolicyPack


class PackNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PackFile:
    pack: PolicyPack
    path: Path
    text: str
    sha256: str


class PackRegistry:
    def __init__(self, files: Iterable[PackFile] = ()) -> None:
        self._versions: dict[str, list[PackFile]] = {}
        for found in files:
            self._versions.setdefault(found.pack.pack, []).append(found)
            citations.register(found.pack)
        for versions in self._versions.values():
            versions.sort(key=lambda f: f.pack.version)

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> PackRegistry:
        files: list[PackFile] = []
        errors: list[PackError] = []
        seen: dict[tuple[str, int], Path] = {}
        for directory in dirs:
            for path in sorted(Path(directory).glob("**/*.yaml")):
                try:
                    pack = load_pack(path)
                except PackInvalid as exc:
                    errors.extend(exc.errors)
                    continue
                key = (pack.pack, pack.version)
                if key in seen:
                    message = f"{pack.pack} v{pack.version} also in {seen[key]}"
                    errors.append(PackError(str(path), 1, "version", message))
                    continue
                seen[key] = path
                # Hashed as stored, byte for byte: the hash an activation carries is the file's.
                text = path.read_bytes().decode("utf-8")
                files.append(PackFile(pack, path, text, sha256_of(text)))
        if errors:
            raise PackInvalid(errors)
        return cls(files)

    def codes(self) -> list[str]:
        return sorted(self._versions)

    def files(self, code: str) -> list[PackFile]:
        if code not in self._versions:
            raise PackNotFound(code)
        return list(self._versions[code])

    def file(self, code: str, version: int) -> PackFile:
        for found in self.files(code):
            if found.pack.version == version:
                return found
        raise PackNotFound(f"{code} v{version}")

    def shipped(self, found: PackFile) -> bool:
        """Whether a file comes with the application (the first pack directory) rather than an extra directory."""
        return Path(settings.POLICY_PACK_DIRS[0]).resolve() in found.path.resolve().parents


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_registry: PackRegistry | None = None


def registry() -> PackRegistry:
    global _registry
    if _registry is None:
        _registry = PackRegistry.from_dirs(settings.POLICY_PACK_DIRS)
    return _registry


def reload_registry() -> PackRegistry:
    global _registry
    _registry = None
    return registry()
