"""How events read to people: Chinese action names, field labels and local times instead of raw keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from authz import capabilities
from ledger.models import Event
from ledger.wording import shown

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
    "case.assign_handlers": pgettext_lazy("event", "case handlers assigned"),
    "case.raise_mark": pgettext_lazy("event", "confidentiality mark raised"),
    "case.lower_mark": pgettext_lazy("event", "confidentiality mark lowered"),
    "activity.create": _("activity recorded"),
    "activity.update": _("activity changed"),
    "device.register": _("device registered"),
    "ledger.view": _("ledger opened"),
    "ledger.verify": _("ledger verification started"),
    "access.approve": pgettext_lazy("event", "access step approved"),
    "access.reject": pgettext_lazy("event", "access request rejected"),
    "access.expire": pgettext_lazy("event", "access grant expired"),
    "access.fee": pgettext_lazy("event", "copying fee recorded"),
    "access.grant": pgettext_lazy("event", "access granted"),
    "access.list": pgettext_lazy("event", "access requests opened"),
    "access.register": pgettext_lazy("event", "access register opened"),
    "access.request": pgettext_lazy("event", "access requested"),
    "access.revoke": pgettext_lazy("event", "access revoked"),
    "compliance.recompute": pgettext_lazy("event", "compliance re-evaluated"),
    "conflict.declare": pgettext_lazy("event", "conflict of interest declared"),
    "conflict.withdraw": pgettext_lazy("event", "conflict of interest withdrawn"),
    "decision.draft": pgettext_lazy("event", "decision drafted"),
    "decision.finalise": pgettext_lazy("event", "decision made final"),
    "decision.review": pgettext_lazy("event", "legal review given"),
    "decision.submit_review": pgettext_lazy("event", "submitted for legal review"),
    "device.check": pgettext_lazy("event", "pre-use check"),
    "device.dock": pgettext_lazy("event", "device docked"),
    "device.fault": pgettext_lazy("event", "fault reported"),
    "device.hand_out": pgettext_lazy("event", "device handed out"),
    "device.take_back": pgettext_lazy("event", "device taken back"),
    "device.return": pgettext_lazy("event", "device returned"),
    "device.repair": pgettext_lazy("event", "repair recorded"),
    "device.repaired": pgettext_lazy("event", "device back in service"),
    "device.close_fault": pgettext_lazy("event", "fault closed"),
    "device.retire": pgettext_lazy("event", "device retired"),
    "draw.commit": pgettext_lazy("event", "draw committed"),
    "draw.reveal": pgettext_lazy("event", "draw made"),
    "draw.view": pgettext_lazy("event", "draw opened"),
    "evidence.view": pgettext_lazy("event", "evidence opened"),
    "fixity.changed": pgettext_lazy("event", "fixity check: content changed"),
    "fixity.missing": pgettext_lazy("event", "fixity check: object missing"),
    "fixity.intact": pgettext_lazy("event", "fixity check passed"),
    "fixity.sweep": pgettext_lazy("event", "fixity sweep"),
    "ledger.checkpoint": pgettext_lazy("event", "checkpoint signed"),
    "ledger.key_pin": pgettext_lazy("event", "signing key pinned"),
    "ledger.key_change": pgettext_lazy("event", "signing key changed"),
    "ledger.witness": pgettext_lazy("event", "witness text sent"),
    "misconduct.decide": pgettext_lazy("event", "misconduct decided"),
    "misconduct.open": pgettext_lazy("event", "misconduct case opened"),
    "misconduct.view": pgettext_lazy("event", "misconduct cases opened"),
    "name_pattern.add": pgettext_lazy("event", "file-name pattern added"),
    "note.approve": pgettext_lazy("event", "interruption note approved"),
    "note.decide": pgettext_lazy("event", "interruption note decided"),
    "note.return": pgettext_lazy("event", "interruption note returned"),
    "note.revise": pgettext_lazy("event", "interruption note revised"),
    "note.submit": pgettext_lazy("event", "interruption note submitted"),
    "package.download": pgettext_lazy("event", "evidence package downloaded"),
    "package.export": pgettext_lazy("event", "evidence package made"),
    "package.failed": pgettext_lazy("event", "evidence package failed"),
    "package.ready": pgettext_lazy("event", "evidence package ready"),
    "package.remove": pgettext_lazy("event", "evidence package removed"),
    "package.request": pgettext_lazy("event", "evidence package requested"),
    "package.verify": pgettext_lazy("event", "evidence package checked"),
    "record.classify": pgettext_lazy("event", "record classified"),
    "record.derivative": pgettext_lazy("event", "viewing copy made"),
    "record.duplicate": pgettext_lazy("event", "duplicate refused"),
    "record.ingest": pgettext_lazy("event", "record filed"),
    "record.link": pgettext_lazy("event", "record linked"),
    "record.lower_mark": pgettext_lazy("event", "confidentiality mark lowered"),
    "record.purge": pgettext_lazy("event", "record purged"),
    "record.stream": pgettext_lazy("event", "record played"),
    "record.unlink": pgettext_lazy("event", "record unlinked"),
    "record.upload": pgettext_lazy("event", "record uploaded"),
    "record.view": pgettext_lazy("event", "record viewed"),
    "report.export": pgettext_lazy("event", "report exported"),
    "report.four_properties": pgettext_lazy("event", "four-properties report made"),
    "report.view": pgettext_lazy("event", "report opened"),
    "retention.approve_purge": pgettext_lazy("event", "purge approved"),
    "retention.reject_purge": pgettext_lazy("event", "purge rejected"),
    "retention.purge_approved": pgettext_lazy("event", "purge approved"),
    "retention.carriers": pgettext_lazy("event", "disc copies registered"),
    "retention.disc_download": pgettext_lazy("event", "disc image downloaded"),
    "retention.disc_failed": pgettext_lazy("event", "disc image failed"),
    "retention.disc_made": pgettext_lazy("event", "disc image made"),
    "retention.disc_request": pgettext_lazy("event", "disc requested"),
    "retention.hold": pgettext_lazy("event", "retention hold placed"),
    "retention.notice": pgettext_lazy("event", "retention notice sent"),
    "retention.propose_purge": pgettext_lazy("event", "purge proposed"),
    "retention.purge_blocked": pgettext_lazy("event", "purge blocked"),
    "retention.read_check": pgettext_lazy("event", "disc read check"),
    "retention.release": pgettext_lazy("event", "retention hold released"),
    "retention.shorten": pgettext_lazy("event", "shorter term confirmed"),
    "retention.view": pgettext_lazy("event", "retention opened"),
    "review.cancel": pgettext_lazy("event", "review round cancelled"),
    "review.close": pgettext_lazy("event", "review round closed"),
    "review.commit": pgettext_lazy("event", "review round committed"),
    "review.draw": pgettext_lazy("event", "review sample drawn"),
    "review.print": pgettext_lazy("event", "review round printed"),
    "review.record": pgettext_lazy("event", "record reviewed"),
    "review.view": pgettext_lazy("event", "review rounds opened"),
    "settings.view": pgettext_lazy("event", "settings opened"),
    "station.create": pgettext_lazy("event", "collection station added"),
    "station.disable": pgettext_lazy("event", "collection station disabled"),
    "supervision.import_targets": pgettext_lazy("event", "inspection targets imported"),
    "supervision.target": pgettext_lazy("event", "inspection target opened"),
    "user.clearance": pgettext_lazy("event", "clearances set"),
    "case.list": pgettext_lazy("event", "cases opened"),
    # The integration API (integration/): connected systems, their tokens, and each call they make.
    "integration.view": _("connected systems viewed"),
    "integration.account_create": _("connected system added"),
    "integration.account_enable": _("connected system enabled"),
    "integration.account_disable": _("connected system disabled"),
    "integration.token_issue": _("API token issued"),
    "integration.token_revoke": _("API token revoked"),
    "integration.webhook_add": _("webhook added"),
    "integration.webhook_disable": _("webhook disabled"),
    "integration.delivery_retry": _("webhook delivery sent again"),
    "api.authenticate": _("API token presented"),
    "api.scope": _("API operation outside the token's operations"),
    "api.call": _("API call"),
}

# Keys that events carry beside a model's own fields.
KEY_LABELS = {
    "cite": pgettext_lazy("event field", "article"),
    "cites": pgettext_lazy("event field", "articles"),
    "reason": pgettext_lazy("event field", "reason"),
    "hold": pgettext_lazy("event field", "hold"),
    "hold_kind": pgettext_lazy("event field", "kind of hold"),
    "trigger": pgettext_lazy("event field", "trigger"),
    "sha256": pgettext_lazy("event field", "SHA-256"),
    "sm3": pgettext_lazy("event field", "SM3"),
    "size": pgettext_lazy("event field", "size (bytes)"),
    "requester": pgettext_lazy("event field", "requester"),
    "rule": pgettext_lazy("event field", "rule applied"),
    "unit": pgettext_lazy("event field", "unit"),
    "until": pgettext_lazy("event field", "valid until"),
    "assistants": pgettext_lazy("event field", "assisting staff"),
    "back_at": pgettext_lazy("event field", "returned at"),
    "checked_at": pgettext_lazy("event field", "checked at"),
    "hand_over": pgettext_lazy("event field", "hand-over"),
    "holder": pgettext_lazy("event field", "holder's account"),
    "holder_label": pgettext_lazy("event field", "holder"),
    "note": pgettext_lazy("event field", "note"),
    "out_at": pgettext_lazy("event field", "handed out at"),
    "passed": pgettext_lazy("event field", "passed"),
    "purpose": pgettext_lazy("event field", "purpose"),
    "results": pgettext_lazy("event field", "results"),
    "certificate_number": pgettext_lazy("event field", "certificate number"),
    "issuer": pgettext_lazy("event field", "issued by"),
    "kind": pgettext_lazy("event field", "kind"),
    "roles": pgettext_lazy("event field", "roles"),
    "role": pgettext_lazy("event field", "role"),
    "valid_from": pgettext_lazy("event field", "valid from"),
    "valid_until": pgettext_lazy("event field", "valid until"),
    "finding": pgettext_lazy("event field", "finding"),
    "comments": pgettext_lazy("event field", "comments"),
    "percent": pgettext_lazy("event field", "score (%)"),
    "period": pgettext_lazy("event field", "period"),
    "record": pgettext_lazy("event field", "record"),
    "scores": pgettext_lazy("event field", "scores"),
    "seed": pgettext_lazy("event field", "random seed"),
    "source_sha256": pgettext_lazy("event field", "SHA-256 of the original"),
    "fingerprint": pgettext_lazy("event field", "key fingerprint"),
    "algorithm": pgettext_lazy("event field", "signature algorithm"),
    "from": pgettext_lazy("event field", "from"),
    "to": pgettext_lazy("event field", "to"),
}

# Keys that carry the value of another model's field with choices: that field names their values.
KEY_FIELDS = {"hold_kind": ("retention.hold", "kind")}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def verb_label(event: Event) -> str:
    # A refusal at a route is recorded under the capability it lacked, which names itself.
    capability = capabilities.get(event.verb)
    label = str(VERB_LABELS.get(event.verb) or (capability.label if capability else event.verb))
    return f"{label}（{_('denied')}）" if event.result == Event.Result.DENIED else label


def changes(event: Event, value_labels: Mapping[str, object] | None = None) -> list[Change]:
    """The event's changed values as label, before, after; ``value_labels`` names the ids it carries (pack ids,
    vocabulary), which the ledger itself does not know."""
    model = _model_of(event.object_type)
    before = event.before or {}
    names = value_labels or {}
    result = []
    for key, value in (event.after or {}).items():
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else str(KEY_LABELS.get(key, key))
        if field is None and key in KEY_FIELDS:
            field = _field(_model_of(KEY_FIELDS[key][0]), KEY_FIELDS[key][1])
        old = _readable(field, before.get(key), names) if event.before is not None else ""
        result.append(Change(label, old, _readable(field, value, names)))
    reason = (event.detail or {}).get("reason")
    if event.result == Event.Result.DENIED and isinstance(reason, str | dict) and reason:
        # A refusal changes nothing; what the one refused was told is what the history should show, translated
        # here (it is kept untranslated: ledger.wording).
        result.append(Change(str(KEY_LABELS["reason"]), "", shown(reason)))
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


def _readable(field, value: object, names: Mapping[str, object]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        return "；".join(f"{names.get(key, KEY_LABELS.get(key, key))}：{_readable(None, item, names)}"
                        for key, item in sorted(value.items()))
    choices = dict(getattr(field, "flatchoices", None) or ())
    if not isinstance(value, list) and value in choices:
        return str(choices[value])
    if isinstance(value, list):
        return "、".join(_readable(None, item, names) for item in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, int) and field is not None and field.many_to_one:
        return f"#{value}"  # an id: the object itself may be one the reader is not allowed to see
    if isinstance(value, str):
        if value in names:
            return str(names[value])
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None and "T" in value:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    return str(value)
