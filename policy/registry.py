"""All packs known to this installation, each in every version, chosen by the date a record was made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from policy.loader import PackError, PackInvalid, load_pack
from policy.schema import PolicyPack


class PackNotFound(LookupError):
    pass


class PackRegistry:
    def __init__(self, packs: Iterable[PolicyPack] = ()) -> None:
        self._versions: dict[str, list[PolicyPack]] = {}
        for pack in packs:
            self._versions.setdefault(pack.pack, []).append(pack)
        for versions in self._versions.values():
            versions.sort(key=lambda p: (p.effective_from, p.version))

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> PackRegistry:
        packs: list[PolicyPack] = []
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
                packs.append(pack)
        if errors:
            raise PackInvalid(errors)
        return cls(packs)

    def codes(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, code: str) -> list[PolicyPack]:
        if code not in self._versions:
            raise PackNotFound(code)
        return list(self._versions[code])

    def in_force(self, code: str, on: dt.date | dt.datetime | None = None) -> PolicyPack:
        """The version in force on a date; records are judged by the version in force when they were made.

        Before the first version took effect the first version applies: a pack's rules are the oldest rules the
        system knows for that agency.
        """
        versions = self.versions(code)
        if on is None:
            on = dt.date.today()
        day = on.date() if isinstance(on, dt.datetime) else on
        chosen = versions[0]
        for pack in versions:
            if pack.effective_from <= day:
                chosen = pack
        return chosen

    def get(self, code: str, version: int) -> PolicyPack:
        for pack in self.versions(code):
            if pack.version == version:
                return pack
        raise PackNotFound(f"{code} v{version}")


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
