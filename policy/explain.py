"""``manage.py policy explain PACK``: what the engine will do for an agency following a pack, said in its words.

Each line names what the system checks (the finding it raises, the number it judges by) and the article it comes from;
each topic the rulebook leaves out is named as not checked.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from policy import rules
from policy.citations import law
from policy.presenter import NUMBER_LABELS, describe_term
from policy.schema import ACTIVITY_END, ACTIVITY_START, PolicyPack
from policy.vocabulary import Approver, Category


def _moment(moment) -> str:
    if moment.at in (ACTIVITY_START, ACTIVITY_END):
        return moment.text
    return _("%(text)s (a moment the officer marks)") % {"text": moment.text}


def _absent(topic: str) -> str:
    return _("%(topic)s: the rulebook does not regulate this; the system checks nothing here.") % {"topic": topic}


def explain(pack: PolicyPack) -> list[str]:
    lines = [_("%(agency)s — policy pack %(code)s, version %(version)d, in force from %(date)s")
             % {"agency": pack.agency.name, "code": pack.pack, "version": pack.version,
                "date": pack.effective_from.isoformat()}]
    lines += [_("Source: 《%(title)s》") % {"title": d.title} for d in pack.documents]
    lines.append("")
    lines += _recording(pack)
    lines += _non_recording(pack)
    lines += _storage(pack)
    lines += _devices(pack)
    lines += _others(pack)
    lines.append("")
    lines.append(_("Numbers the checks use:"))
    for name, label in NUMBER_LABELS.items():
        given = pack.numbers is not None and getattr(pack.numbers, name) is not None
        lines.append(f"  · {label}：{rules.number(pack, name)}"
                     + ("" if given else _(" (the deployment's default)")))
    return lines


def _recording(pack: PolicyPack) -> list[str]:
    recording = pack.recording
    if recording is None or not recording.checklist:
        return [_absent(_("Recording checklist"))]
    lines = [_("Recording checklist (%(n)d rows): a row that must be recorded and has no recording linked by its "
               "storage deadline raises “required recording missing”; recording must run from the row's start to its "
               "end, else “recording started late” or “recording stopped early”; a gap between clips raises “recording "
               "interrupted” unless a work record explaining it is approved.") % {"n": len(pack.checklist)}]
    for row in pack.checklist:
        categories = "、".join(str(Category(c).label) for c in row.categories)
        text = _("  · %(stage)s (%(categories)s): %(obligation)s; from %(start)s to %(end)s; by %(manner)s.") % {
            "stage": row.stage, "categories": categories, "obligation": rules.obligation_label(pack, row),
            "start": _moment(row.starts_at), "end": _moment(row.ends_at),
            "manner": "、".join(str(m.label) for m in row.manner)}
        if row.storage is not None:
            text += _(" Its records are kept %(term)s.") % {"term": describe_term(row.storage)}
        if row.key_moment_photos:
            text += _(" Key moments need photos too.")
        lines.append(f"{text} {law(row.cite)}")
    for trigger in recording.full_uninterrupted_when:
        names = rules.property_labels(pack, trigger.when.property or [])
        lines.append(_("  Uninterrupted recording when: %(what)s — then any gap beyond %(n)d seconds is a serious "
                       "finding. %(cite)s") % {"what": "、".join(names) or trigger.label,
                                               "n": rules.number(pack, "uninterrupted_gap_seconds"),
                                               "cite": law(trigger.cite)})
    if recording.subject_rule is not None:
        lines.append(_("  Only officers with a valid enforcement qualification may record; clips by others are "
                       "findings. %(cite)s") % {"cite": law(recording.subject_rule.cite)})
    else:
        lines.append(_("  The rulebook sets no rule on who may record: any officer of the agency may."))
    for prop in pack.properties:
        lines.append(_("  Asked of every activity: %(question)s %(cite)s") % {"question": prop.question,
                                                                            "cite": law(prop.cite)})
    return lines


def _non_recording(pack: PolicyPack) -> list[str]:
    allowed = pack.non_recording
    if allowed is None:
        return [_("Not recording: the rulebook names no ground; an activity that must be recorded and is not stays a "
                  "finding whatever is written about it.")]
    lines = [_("Not recording: a work record stating one of these grounds, approved by the %(role)s, closes “required "
               "recording missing”. %(cite)s") % {"role": allowed.work_record.role.label,
                                                  "cite": law(allowed.work_record.cite)}]
    for ground in allowed.grounds:
        lines.append(f"  · {ground.label} {law(ground.cite)}")
    if allowed.case_mark_is_ground:
        lines.append(_("  A case bearing the ground's confidentiality mark is itself the ground: no work record is "
                       "needed."))
    return lines


def _storage(pack: PolicyPack) -> list[str]:
    lines = []
    if pack.ingest is None or not pack.ingest.deadlines:
        lines.append(_absent(_("Upload deadlines and classification")))
    else:
        for deadline in pack.ingest.deadlines:
            lines.append(_("Storage deadline: %(label)s; a recording stored later is a finding. %(cite)s")
                         % {"label": deadline.label, "cite": law(deadline.cite)})
    rules_ = rules.retention_rules(pack)
    if not rules_:
        lines.append(_absent(_("Retention")))
    for rule in rules_:
        lines.append(_("Retention: %(label)s — kept %(term)s. %(cite)s") % {
            "label": rule.label, "term": describe_term(rule.keep), "cite": law(rule.cite)})
    if pack.long_term is None:
        lines.append(_absent(_("Long-term preservation")))
    else:
        lines.append(_("Long-term preservation when: %(what)s") % {
            "what": "；".join(t.label for t in pack.long_term.triggers)})
    return lines


def _devices(pack: PolicyPack) -> list[str]:
    devices = pack.devices
    if devices is None:
        return [_absent(_("Recording devices"))]
    lines = []
    if devices.managed_by is not None and devices.managed_by.units:
        lines.append(_("Devices are managed by %(units)s: a device keeper of such a unit hands out and takes back only "
                       "that unit's devices. %(cite)s") % {"units": "、".join(devices.managed_by.units),
                                                            "cite": law(devices.managed_by.cite)})
    else:
        lines.append(_("Devices are handed out and taken back by the archivists and heads."))
    if devices.pre_use_checks:
        lines.append(_("Pre-use check before a device's first clip: a missing check is a finding, and each item that "
                       "failed is a finding of its own."))
        for item in devices.pre_use_checks:
            extra = _(" (a device failing it is not handed out)") if item.blocks_hand_out else ""
            lines.append(f"  · {item.label}{extra} {law(item.cite)}")
    if devices.usage_ledger is not None:
        lines.append(_("A clip made by someone the device was not handed to is a finding. %(cite)s")
                     % {"cite": law(devices.usage_ledger.cite)})
    return lines


def _others(pack: PolicyPack) -> list[str]:
    lines = []
    topics = [
        (pack.interruptions, _("Interruptions"), lambda s: _("Interruptions may be explained on these reasons: %(r)s")
         % {"r": "；".join(r.label for r in s.reasons)}),
        (pack.access, _("Access and the register"), lambda s: _("Access requests follow %(n)d rules of the rulebook.")
         % {"n": len(s.rules)}),
        (pack.legal_review, _("Legal review of major decisions"),
         lambda s: _("Decisions matching %(n)d catalogue items need legal review before they are final.")
         % {"n": len(s.catalogue)}),
        (pack.random_inspection, _("Double-random inspections"), lambda s: "；".join(p.name for p in s.plans)),
        (pack.supervision, _("Supervision"), lambda s: _("Reviewers score %(n)d checks per sampled record.")
         % {"n": len(s.checks)}),
        (pack.accountability, _("Misconduct and sanctions"),
         lambda s: _("%(m)d kinds of misconduct, %(s)d sanctions.") % {"m": len(s.misconduct), "s": len(s.sanctions)}),
    ]
    for section, title, say in topics:
        lines.append(f"{title}：{say(section)}" if section is not None else _absent(title))
    handling = pack.case_handling
    if handling is not None:
        lines.append(_("A case's handlers are assigned and changed by %(office)s, with a reason. %(cite)s") % {
            "office": Approver(handling.handlers_assigned_by).label, "cite": law(handling.cite)})
    else:
        lines.append(_("A case's handlers are assigned and changed by the head, with a reason."))
    return lines
