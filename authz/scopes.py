"""Which rows a user may act on: ``Model.objects.restrict(user, action)`` for every agency-owned model.

An app declares its models and the rules of each action in its ``permissions.py`` (NetBox's ``RestrictedQuerySet``,
Mayan's per-app registries): ``model()`` names the path to the owning agency, ``require()`` adds a condition every
row must meet, ``allow()`` a reason a row may be acted on. An action's rows are those of the user's agency that meet
every requirement (and those of the action it ``extends``) and at least one allowance. Another app may add an
allowance to a model it does not own, by label, without importing it: the access procedure adds granted records to
what may be played, supervision the records of an open sampling round.

A rule is a function of the user returning a ``Q`` (rows it admits), ``True`` (all) or ``False`` (none); rules build
subqueries, never lists of ids, so every scope is one SQL statement. A model or action nobody declared is refused:
the queryset comes back empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

Rule = Callable[[Any], Q | bool]
Basis = Callable[[Any, Any], dict | None]  # (user, obj) → what admits the object, for the event that records the act
VIEW = "view"


@dataclass
class _Action:
    extends: str | None = None
    requires: list[Rule] = field(default_factory=list)
    allows: list[Rule] = field(default_factory=list)
    bases: list[Basis] = field(default_factory=list)


@dataclass
class _Model:
    agency: str | None = None  # the lookup path to the owning agency's id
    actions: dict[str, _Action] = field(default_factory=dict)


_MODELS: dict[str, _Model] = {}


def _entry(label: str) -> _Model:
    return _MODELS.setdefault(label.lower(), _Model())


def model(label: str, *, agency: str = "agency") -> None:
    """Declare an agency-owned model: ``agency`` is the path from it to its agency (``request__agency`` …)."""
    entry = _entry(label)
    path = agency if agency.endswith("_id") else f"{agency}_id"
    if entry.agency not in (None, path):
        raise ImproperlyConfigured(f"{label} declared with two agency paths")
    entry.agency = path


def action(label: str, name: str, *, extends: str | None = None) -> None:
    """Declare an action; ``extends`` makes its rows a subset of another action's (``play`` of ``view``)."""
    _entry(label).actions.setdefault(name, _Action()).extends = extends


def require(label: str, name: str, rule: Rule) -> None:
    _entry(label).actions.setdefault(name, _Action()).requires.append(rule)


def allow(label: str, name: str, rule: Rule, *, basis: Basis | None = None) -> None:
    """Add a reason rows may be acted on; ``basis`` names, for one object, the grant or round behind the reason, so
    the event recording the act can say what it served (the register)."""
    spec = _entry(label).actions.setdefault(name, _Action())
    spec.allows.append(rule)
    if basis is not None:
        spec.bases.append(basis)


def basis(obj: Any, user: Any, name: str) -> dict:
    """What admits ``obj`` to ``user`` for ``name`` beyond the object's own facts (``{"grant": 12}``), if anything:
    the first allowance, in the order the apps declared them, that names one."""
    entry = _MODELS.get(obj._meta.label_lower)
    spec = entry.actions.get(name) if entry else None
    for explain in spec.bases if spec else ():
        found = explain(user, obj)
        if found:
            return found
    return {}


def everything(_user: Any) -> bool:
    return True


def declared() -> dict[str, list[str]]:
    return {label: sorted(entry.actions) for label, entry in sorted(_MODELS.items()) if entry.agency}


def condition(label: str, user: Any, name: str = VIEW) -> Q | None:
    """The rows of ``label`` the user may act on with ``name``, as a condition; None when there are none."""
    entry = _MODELS.get(label.lower())
    if entry is None or entry.agency is None or name not in entry.actions:
        return None
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "agency_id", None):
        return None
    return _condition(entry, user, name, Q(**{entry.agency: user.agency_id}), seen=())


def _condition(entry: _Model, user: Any, name: str, result: Q, seen: tuple[str, ...]) -> Q | None:
    spec = entry.actions.get(name)
    if spec is None or name in seen:
        return None
    if spec.extends is not None:
        base = _condition(entry, user, spec.extends, result, (*seen, name))
        if base is None:
            return None
        result = base
    for rule in spec.requires:
        admitted = _admits(rule(user))
        if admitted is False:
            return None
        if admitted is not True:
            result &= admitted
    allowed: Q | None = None
    for rule in spec.allows:
        admitted = _admits(rule(user))
        if admitted is True:
            allowed = Q()
            break
        if admitted is not False:
            allowed = admitted if allowed is None else allowed | admitted
    return None if allowed is None else result & allowed


def _admits(answer: Q | bool) -> Q | bool:
    # An empty Q means "every row", but ``Q() | other`` is ``other`` in Django: say it as True before combining.
    return True if isinstance(answer, Q) and not answer else answer


def restrict(queryset: QuerySet, user: Any, name: str = VIEW) -> QuerySet:
    """``queryset`` narrowed, in SQL, to the rows ``user`` may act on with ``name``."""
    admitted = condition(queryset.model._meta.label_lower, user, name)
    return queryset.none() if admitted is None else queryset.filter(admitted)


def scoped(label: str, user: Any, name: str = VIEW) -> QuerySet:
    """The rows of another app's model a user may act on, by label: a subquery for rules, no import needed."""
    return restrict(apps.get_model(label)._default_manager.all(), user, name)


def allowed(obj: Any, user: Any, name: str = VIEW) -> bool:
    """Whether one object is among the rows ``user`` may act on with ``name`` (one query)."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, name).exists()


class RestrictedQuerySet(QuerySet):
    def restrict(self, user: Any, action: str = VIEW) -> QuerySet:
        return restrict(self, user, action)
