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

from authz import capabilities, scopes
from ledger.models import Event
from ledger.wording import shown

VERB_LABELS = {
    "agency.create": _("agency created"),
    "unit.create": _("unit created"),
    "staff.create": _("account created"),
    "role.grant": _("role granted"),
    "qualification.create": _("qualification recorded"),
    "agency.update": pgettext_lazy("event", "agency changed"),
    "unit.update": pgettext_lazy("event", "unit changed"),
    "staff.update": pgettext_lazy("event", "account changed"),
    "staff.deactivate": pgettext_lazy("event", "account deactivated"),
    "staff.reactivate": pgettext_lazy("event", "account reactivated"),
    "staff.password_reset": pgettext_lazy("event", "one-time password handed out"),
    "staff.unlock": pgettext_lazy("event", "account unlocked"),
    "staff.import": pgettext_lazy("event", "staff list imported"),
    "role.request": pgettext_lazy("event", "role change requested"),
    "role.approve": pgettext_lazy("event", "role change carried out"),
    "role.decline": pgettext_lazy("event", "role change declined"),
    "role.revoke": pgettext_lazy("event", "role withdrawn"),
    "qualification.update": pgettext_lazy("event", "qualification corrected"),
    "password.change": pgettext_lazy("event", "password changed"),
    "mfa.enrol": pgettext_lazy("event", "second factor set up"),
    "mfa.verify": pgettext_lazy("event", "second factor given"),
    "mfa.reset": pgettext_lazy("event", "second factor reset"),
    "mfa.recovery_codes": pgettext_lazy("event", "recovery codes renewed"),
    "session.end_all": pgettext_lazy("event", "signed out everywhere"),
    "device.update": pgettext_lazy("event", "device changed"),
    "device.import": pgettext_lazy("event", "device register imported"),
    "events.export": pgettext_lazy("event", "events exported"),
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
    "finding.open": pgettext_lazy("event", "compliance finding opened"),
    "finding.close": pgettext_lazy("event", "compliance finding resolved"),
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
    "pack.propose": pgettext_lazy("event", "policy pack version put forward"),
    "pack.activate": pgettext_lazy("event", "policy pack version approved for use"),
    "pack.reject": pgettext_lazy("event", "policy pack version rejected"),
    "pack.withdraw": pgettext_lazy("event", "policy pack version withdrawn"),
    "pack.decide": pgettext_lazy("event", "policy pack version decided"),
    "pack.read": pgettext_lazy("event", "policy pack versions viewed"),
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
    "print.download": pgettext_lazy("event", "printed document downloaded"),
    "print.failed": pgettext_lazy("event", "printed document failed"),
    "print.ready": pgettext_lazy("event", "printed document made"),
    "print.remove": pgettext_lazy("event", "printed document removed"),
    "print.request": pgettext_lazy("event", "printed document requested"),
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
    "station.dump": pgettext_lazy("event", "files sent by a collection station"),
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
    "version": pgettext_lazy("event field", "version"),
    "file_name": pgettext_lazy("event field", "file name"),
    "comment": pgettext_lazy("event field", "comment"),
    "initial": pgettext_lazy("event field", "first version of the agency"),
    "change": pgettext_lazy("event field", "change"),
    "role_request": pgettext_lazy("event field", "role request"),
    "recovery_codes": pgettext_lazy("event field", "recovery codes"),
    # A recording's time sources (evidence.timesources).
    "source": pgettext_lazy("event field", "source"),
    "time": pgettext_lazy("event field", "time"),
    "day_only": pgettext_lazy("event field", "date only"),
    "local_as_utc": pgettext_lazy("event field", "local time written as UTC"),
    "source_sha256": pgettext_lazy("event field", "SHA-256 of the original"),
    "fingerprint": pgettext_lazy("event field", "key fingerprint"),
    "algorithm": pgettext_lazy("event field", "signature algorithm"),
    "from": pgettext_lazy("event field", "from"),
    "to": pgettext_lazy("event field", "to"),
    "records": pgettext_lazy("event field", "records"),
    "clips": pgettext_lazy("event field", "clips before and after"),
    "review_required_by": pgettext_lazy("event field", "legal review required by"),
    "manifest_sha256": pgettext_lazy("event field", "SHA-256 of the manifest"),
    "handlers": pgettext_lazy("event field", "case handlers"),
    "case": pgettext_lazy("event field", "case"),
    "activity": pgettext_lazy("event field", "enforcement activity"),
    "officer": pgettext_lazy("event field", "officer"),
    "request": pgettext_lazy("event field", "access request"),
    "review": pgettext_lazy("event field", "legal review"),
}
# Keys whose values are citations: shown as law (policy/citations.py).
CITE_KEYS = frozenset({"cite", "cites", "reason_cites", "misconduct_cite", "deadline_cite"})

# Done events whose detail says why, in a sentence kept untranslated (compliance.findings).
REASONED_VERBS = frozenset({"finding.open", "finding.close"})

# Keys that carry the value of another model's field with choices: that field names their values.
KEY_FIELDS = {"hold_kind": ("retention.hold", "kind"), "change": ("org.rolerequest", "change"),
              "source": ("evidence.record", "recorded_time_source")}  # in a recording's time sources
# Keys that carry ids of another model's rows beside a model's own fields: those rows name them.
KEY_MODELS = {"records": "evidence.record", "record": "evidence.record", "clips": "evidence.record",
              "case": "cases.case", "activity": "cases.activity", "handlers": "org.user", "officer": "org.user",
              "holder": "org.user", "request": "access.accessrequest", "review": "cases.legalreview"}
# Keys an object type once recorded under another name (events are never rewritten): the field they stand for.
KEY_ALIASES = {("cases.decision", "type"): "decision_type", ("cases.decision", "amount"): "amount_yuan"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def action_names() -> dict[str, str]:
    """Every action's name in the active language, by its code: the actions the code records, and the capabilities
    a refusal at a route is recorded under."""
    names = {name: str(capability.label) for name, capability in capabilities.declared().items()}
    names.update({verb: str(label) for verb, label in VERB_LABELS.items()})
    return names


def object_type_label(object_type: str) -> str:
    model = _model_of(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def verb_label(event: Event) -> str:
    # A refusal at a route is recorded under the capability it lacked, which names itself.
    capability = capabilities.get(event.verb)
    label = str(VERB_LABELS.get(event.verb) or (capability.label if capability else event.verb))
    return f"{label}（{_('denied')}）" if event.result == Event.Result.DENIED else label


class ObjectNames:
    """Names the rows events refer to by id as the reader may see them (one query per row, kept for the page): a row
    the reader may not see is named only by its kind, never by its id."""

    def __init__(self, user: object) -> None:
        self.user = user
        self.found: dict[tuple[str, object], str] = {}

    def name(self, model, pk: object) -> str:
        key = (model._meta.label_lower, pk)
        if key not in self.found:
            try:
                row = scopes.restrict(model._default_manager.filter(pk=pk), self.user).first()
            except (TypeError, ValueError):
                row = None
            self.found[key] = str(row) if row is not None else str(
                _("a %(kind)s you may not see") % {"kind": model._meta.verbose_name})
        return self.found[key]


def changes(event: Event, value_labels: Mapping[str, object] | None = None,
            objects: ObjectNames | None = None) -> list[Change]:
    """The event's changed values as label, before, after; ``value_labels`` names the ids it carries (pack ids,
    vocabulary), which the ledger itself does not know, and ``objects`` the rows it refers to by id. A value that did
    not change is left out, and so is an empty one when the object was created."""
    model = _model_of(event.object_type)
    before = event.before or {}
    names = value_labels or {}
    result = []
    for key, value in (event.after or {}).items():
        if event.before is not None and key in before and before[key] == value:
            continue
        if event.before is None and value in (None, "", [], {}):
            continue
        field = _field(model, KEY_ALIASES.get((event.object_type, key), key))
        label = str(field.verbose_name) if field is not None else str(KEY_LABELS.get(key, key))
        if key in CITE_KEYS:
            from policy.citations import law

            result.append(Change(label, law(before.get(key)) if event.before is not None else "", law(value)))
            continue
        if field is None:
            field = _key_field(key)
        related = _related_model(field, key)
        if related is not None and objects is not None:
            old = _named(related, before.get(key), objects) if event.before is not None else ""
            result.append(Change(label, old, _named(related, value, objects)))
            continue
        old = _readable(field, before.get(key), names) if event.before is not None else ""
        result.append(Change(label, old, _readable(field, value, names)))
    reason = (event.detail or {}).get("reason")
    if (event.result == Event.Result.DENIED or event.verb in REASONED_VERBS) and isinstance(reason, str | dict) \
            and reason:
        # A refusal changes nothing; what the one refused was told is what the history should show, translated
        # here (it is kept untranslated: ledger.wording). A derived change says why it happened the same way.
        result.append(Change(str(KEY_LABELS["reason"]), "", shown(reason)))
    return result


def _key_field(key: str):
    return _field(_model_of(KEY_FIELDS[key][0]), KEY_FIELDS[key][1]) if key in KEY_FIELDS else None


def _related_model(field, key: str):
    if field is not None:
        return field.related_model if (field.many_to_one or field.many_to_many or field.one_to_one) else None
    return _model_of(KEY_MODELS[key]) if key in KEY_MODELS else None


def _named(model, value: object, objects: ObjectNames) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return "、".join(_named(model, item, objects) for item in value)
    if isinstance(value, dict):
        return "；".join(f"{key}：{_named(model, item, objects)}" for key, item in value.items())
    return objects.name(model, value)


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
        return "；".join(f"{names.get(key, KEY_LABELS.get(key, key))}：{_readable(_key_field(key), item, names)}"
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
