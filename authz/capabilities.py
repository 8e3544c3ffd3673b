"""Named capabilities: what a role may do at all, whatever the object (``case.assign_handlers``, ``record.copy`` …).

Each app declares its own in ``<app>/permissions.py``, registered from its AppConfig.ready(); a capability names the
roles that hold it, and may let the agency's policy pack name the office that holds it instead (an office becomes a
role through ``roles.OFFICE_ROLES``). Which objects a holder may act on is the business of ``authz.scopes``.
An unknown capability is held by nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy, gettext_noop

from authz.denied import Denied
from authz.roles import Role, roles_of
from ledger.wording import Wording

PackRoles = Callable[[Any], Iterable[str] | None]  # the agency → the roles its pack names, or None for the default


@dataclass(frozen=True)
class Capability:
    name: str
    label: Any  # a lazy translation: what the holder may do, as a user reads it
    roles: frozenset[str]
    by_pack: PackRoles | None = None
    cite: str = ""

    def holders(self, agency: Any) -> frozenset[str]:
        """The roles holding the capability in ``agency``: the pack's office where it names one, else the default."""
        if self.by_pack is not None and agency is not None:
            named = self.by_pack(agency)
            if named is not None:
                return frozenset(str(role) for role in named)
        return self.roles


_DECLARED: dict[str, Capability] = {}


def declare(name: str, label: Any, roles: Iterable[str], *, by_pack: PackRoles | None = None,
            cite: str = "") -> Capability:
    """Declare a capability once; declaring the same name with other holders is a programming error."""
    capability = Capability(name, label, frozenset(str(Role(role)) for role in roles), by_pack, cite)
    existing = _DECLARED.get(name)
    if existing is not None and (existing.roles, existing.cite) != (capability.roles, capability.cite):
        raise ImproperlyConfigured(f"capability {name} declared twice with different holders")
    _DECLARED[name] = capability
    return capability


def get(name: str) -> Capability | None:
    return _DECLARED.get(name)


def declared() -> dict[str, Capability]:
    return dict(sorted(_DECLARED.items()))


def holders(name: str, agency: Any = None) -> frozenset[str]:
    capability = _DECLARED.get(name)
    return capability.holders(agency) if capability else frozenset()


def can(user: Any, name: str) -> bool:
    """Whether ``user`` holds the capability in their own agency; nobody holds anything outside an agency."""
    capability = _DECLARED.get(name)
    if capability is None or not getattr(user, "agency_id", None):
        return False
    return bool(roles_of(user) & capability.holders(user.agency))


def held_by(user: Any) -> frozenset[str]:
    """Every capability the user holds, worked out once per user object (one request)."""
    cached = getattr(user, "_authz_capabilities", None)
    if cached is None:
        cached = frozenset(name for name in _DECLARED if can(user, name))
        if user is not None and getattr(user, "is_authenticated", False):
            user._authz_capabilities = cached
    return cached


def refusal(name: str) -> Any:
    """Why someone without the capability is refused, in words kept untranslated on record (ledger.wording)."""
    capability = _DECLARED.get(name)
    if capability is None:
        return gettext_lazy("You may not do this.")
    return Wording(gettext_noop("Your role does not allow this: %(what)s."), what=capability.label)


def require(user: Any, name: str, *, obj: Any = None) -> None:
    """Refuse (``Denied``, which the web layer puts on record) unless the user holds the capability."""
    if not can(user, name):
        raise Denied(name, refusal(name), obj=obj, capability=name)
