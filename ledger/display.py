"""How events read to people: Chinese action names, field labels and local times instead of raw keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Event

VERB_LABELS = {
    "agency.create": _("agency created"),
    "unit.create": _("unit created"),
    "staff.create": _("account created"),
    "role.grant": _("role granted"),
    "qualification.create": _("qualification recorded"),
    "login": _("logged in"),
    "logout": _("logged out"),
    "login.failed": _("failed login"),
    "case.create": _("case created"),
    "case.update": _("case changed"),
    "activity.create": _("activity recorded"),
    "activity.update": _("activity changed"),
    "device.register": _("device registered"),
    "ledger.view": _("ledger opened"),
    "ledger.verify": _("ledger verification started"),
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def verb_label(event: Event) -> str:
    label = str(VERB_LABELS.get(event.verb, event.verb))
    return f"{label}（{_('denied')}）" if event.result == Event.Result.DENIED else label


def changes(event: Event) -> list[Change]:
    model = _model_of(event.object_type)
    before = event.before or {}
    result = []
    for key, value in (event.after or {}).items():
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else key
        old = _readable(field, before.get(key)) if event.before is not None else ""
        result.append(Change(label, old, _readable(field, value)))
    return result


def _model_of(object_type: str):
    try:
        return apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    # A key can share its name with a reverse relation ("reviews" of a round), which has no label or choices.
    return None if field.auto_created and not field.concrete else field


def _readable(field, value: object) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    choices = dict(getattr(field, "flatchoices", None) or ())
    if not isinstance(value, list) and value in choices:
        return str(choices[value])
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None and "T" in value:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    return str(value)
