"""Importing an agency's staff list (.xlsx or .csv): 姓名, 工号/警号, 单位, 角色, 执法证号, 证件有效期起, 证件有效期止,
手机 (and 发证机关 where the file has it).

``plan`` reads the file and says, row by row, what would happen — created, changed, unchanged or refused and why —
without writing anything (the preview, ``--dry-run``). ``apply`` carries the plan out, each row in a transaction of
its own, so a row is either done whole (account, certificate, role requests) or not at all; a row is matched to an
existing account by its staff number, so running the same file again changes nothing. New accounts get a one-time
password, returned once for the administrator to hand out and changed at first login; the roles the file names
become requests for the security administrator to decide (``org.role_changes``), never grants.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from authz.roles import Role
from lawtrace.tables import CHANGE, CREATE, REFUSE, UNCHANGED, ImportPlan, Table, as_date, read_table
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.wording import Wording
from org import accounts, qualifications, role_changes
from org.models import Agency, Qualification, RoleRequest, Unit, User
from org.services import add_qualification, create_staff

COLUMNS = {"姓名": "full_name", "工号/警号": "staff_number", "单位": "unit", "角色": "roles", "执法证号": "certificate",
           "证件有效期起": "valid_from", "证件有效期止": "valid_until", "手机": "phone", "发证机关": "issuer"}
REQUIRED = ["姓名", "工号/警号", "单位", "角色"]
ALIASES = {"工号": "工号/警号", "警号": "工号/警号", "执法证件号": "执法证号", "执法证编号": "执法证号",
           "有效期起": "证件有效期起", "有效期止": "证件有效期止", "手机号": "手机", "手机号码": "手机", "部门": "单位"}
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_SPLIT = re.compile(r"[、，,;；/\s]+")

OUTCOME_LABELS = ImportPlan.outcome_labels


@dataclass
class RowPlan:
    line: int
    full_name: str
    staff_number: str
    outcome: str = CREATE
    username: str = ""
    # Why the row is refused, what it changes, what the operator should know: kept untranslated (ledger.wording).
    reasons: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    unit: Unit | None = None
    phone: str = ""
    roles: list[str] = field(default_factory=list)
    certificate: dict | None = None
    existing: User | None = None
    password: str = ""  # set by apply for a new account, once

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def label(self) -> str:
        return f"{self.full_name}（{self.staff_number}）" if self.staff_number else self.full_name


def role_names() -> dict[str, str]:
    """What the 角色 column may say: each role's Chinese name (and its code), → the role."""
    from django.utils import translation

    with translation.override("zh-hans"):
        names = {str(label): value for value, label in Role.choices}
    # Other names staff lists use for the same roles.
    others = {"负责人": Role.HEAD, "分管领导": Role.HEAD, "档案管理人员": Role.ARCHIVIST,
              "安全审计管理员": Role.AUDIT_ADMIN}
    return names | {value: value for value in Role.values} | others


def plan(agency: Agency, file_name: str, data: bytes, *, issuer: str = "", today: dt.date | None = None) -> ImportPlan:
    """What importing the file would do, row by row; raises ``lawtrace.tables.TableError`` for a file that cannot be
    read as a staff list at all."""
    today = today or timezone.localdate()
    table: Table = read_table(file_name, data, COLUMNS, required=REQUIRED, aliases=ALIASES)
    units = {u.name: u for u in Unit.objects.filter(agency=agency)}
    names = role_names()
    rows = [_row(agency, line, values, units, names, issuer, today) for line, values in table.rows]
    _refuse_duplicates(rows, lambda r: r.staff_number,
                       gettext_noop("staff number %(value)s appears on lines %(lines)s"))
    _refuse_duplicates(rows, lambda r: (r.certificate or {}).get("certificate_number", ""),
                       gettext_noop("certificate number %(value)s appears on lines %(lines)s"))
    for row in rows:
        if row.outcome != REFUSE:
            _compare(agency, row, today)
    return ImportPlan(agency, file_name, hashlib.sha256(data).hexdigest(), rows, table.missing_optional,
                      table.ignored)


def _row(agency: Agency, line: int, values: dict, units: dict[str, Unit], names: dict[str, str], issuer: str,
         today: dt.date) -> RowPlan:
    row = RowPlan(line, str(values.get("full_name", "")), str(values.get("staff_number", "")))
    if not row.full_name:
        row.reasons.append(gettext_lazy("no name"))
    elif len(row.full_name) > 60:
        row.reasons.append(gettext_lazy("the name is longer than 60 characters"))
    if not row.staff_number:
        row.reasons.append(gettext_lazy("no staff number"))
    elif not _NUMBER.match(row.staff_number):
        row.reasons.append(Wording(gettext_noop("the staff number %(value)s has characters other than letters, "
                                                "digits and hyphens"), value=row.staff_number))
    else:
        row.username = accounts.username_for(agency, row.staff_number)
    unit_name = str(values.get("unit", "")).rsplit("/", 1)[-1]
    row.unit = units.get(unit_name)
    if not unit_name:
        row.reasons.append(gettext_lazy("no unit"))
    elif row.unit is None:
        row.reasons.append(Wording(gettext_noop("unit %(unit)s is not one of the agency's units (%(known)s)"),
                                   unit=unit_name, known="、".join(sorted(units)) or "—"))
    for word in _SPLIT.split(str(values.get("roles", "")).strip()):
        if not word:
            continue
        if word not in names:
            row.reasons.append(Wording(gettext_noop("unknown role %(role)s"), role=word))
        elif names[word] not in row.roles:
            row.roles.append(names[word])
    held: set[str] = set()
    for role in row.roles:
        if role_changes.separation_problem(held, role) is not None:
            row.reasons.append(role_changes.SEPARATION)
            break
        held.add(role)
    if not row.roles:
        row.notes.append(gettext_lazy("no role: the account can do nothing until one is granted"))
    row.phone = str(values.get("phone", ""))
    if row.phone and not _PHONE.match(row.phone.replace(" ", "")):
        row.reasons.append(Wording(gettext_noop("phone %(phone)s is not a mobile or landline number"),
                                   phone=row.phone))
    row.phone = row.phone.replace(" ", "")
    _certificate(row, values, issuer, today)
    if row.reasons:
        row.outcome = REFUSE
    return row


def _certificate(row: RowPlan, values: dict, issuer: str, today: dt.date) -> None:
    number = str(values.get("certificate", ""))
    start, end = values.get("valid_from", ""), values.get("valid_until", "")
    if not (number or start or end):
        if Role.OFFICER in row.roles:
            row.notes.append(gettext_lazy("no enforcement certificate: not a recording subject until one is "
                                          "recorded"))
        return
    valid_from, valid_until = as_date(start), as_date(end)
    if not number:
        row.reasons.append(gettext_lazy("certificate dates without a certificate number"))
    if valid_from is None:
        row.reasons.append(Wording(gettext_noop("certificate valid-from date %(value)s is not a date"),
                                   value=str(start) or "—"))
    if valid_until is None:
        row.reasons.append(Wording(gettext_noop("certificate valid-until date %(value)s is not a date"),
                                   value=str(end) or "—"))
    if valid_from and valid_until and valid_until < valid_from:
        row.reasons.append(gettext_lazy("the certificate's validity ends before it starts"))
    if valid_until and valid_until < today:
        row.reasons.append(Wording(gettext_noop("the certificate expired on %(day)s: an expired certificate makes no "
                                                "recording subject (004/7-8); import the renewed certificate"),
                                   day=valid_until.isoformat()))
    elif valid_until and (valid_until - today).days <= qualifications.REMIND_DAYS:
        row.notes.append(Wording(gettext_noop("the certificate expires on %(day)s"), day=valid_until.isoformat()))
    issued_by = str(values.get("issuer", "")) or issuer.strip()
    if number and not issued_by:
        row.reasons.append(gettext_lazy("no issuing body: add a 发证机关 column or give one for the whole file"))
    row.certificate = {"certificate_number": number, "issuer": issued_by, "valid_from": valid_from,
                       "valid_until": valid_until}


def _refuse_duplicates(rows: list[RowPlan], key, message: str) -> None:
    lines: dict[str, list[int]] = {}
    for row in rows:
        if value := key(row):
            lines.setdefault(value, []).append(row.line)
    for row in rows:
        value = key(row)
        if value and len(lines[value]) > 1:
            row.reasons.append(Wording(message, value=value, lines="、".join(map(str, lines[value]))))
            row.outcome = REFUSE


def _compare(agency: Agency, row: RowPlan, today: dt.date) -> None:
    """Against what the system holds: a new account, changes to an existing one, or a clash that refuses the row."""
    existing = User.objects.filter(agency=agency, staff_number=row.staff_number).first()
    clash = User.objects.filter(username=row.username).exclude(pk=existing.pk if existing else 0).first()
    if clash is not None:
        row.reasons.append(Wording(gettext_noop("the account name %(name)s is already used by %(other)s"),
                                   name=row.username, other=f"{clash} · {clash.agency or ''}"))
    certificate = row.certificate
    if certificate and certificate["certificate_number"]:
        holder = (Qualification.objects.filter(certificate_number=certificate["certificate_number"])
                  .select_related("user").first())
        if holder is not None and holder.user_id != getattr(existing, "pk", None):
            row.reasons.append(Wording(gettext_noop("certificate number %(number)s is already recorded for "
                                                    "%(other)s"), number=certificate["certificate_number"],
                                       other=str(holder.user)))
    if row.reasons:
        row.outcome = REFUSE
        return
    if existing is None:
        row.outcome = CREATE
        return
    row.existing, row.username = existing, existing.username
    if existing.full_name != row.full_name:
        row.changes.append(Wording(gettext_noop("name %(old)s → %(new)s"), old=existing.full_name,
                                   new=row.full_name))
    if row.unit is not None and existing.unit_id != row.unit.pk:
        row.changes.append(Wording(gettext_noop("unit %(old)s → %(new)s"), old=str(existing.unit or "—"),
                                   new=str(row.unit)))
    if row.phone != existing.phone:
        row.changes.append(Wording(gettext_noop("phone %(old)s → %(new)s"), old=existing.phone or "—",
                                   new=row.phone or "—"))
    if certificate and certificate["certificate_number"]:
        held = existing.qualifications.filter(certificate_number=certificate["certificate_number"]).first()
        if held is None:
            row.changes.append(Wording(gettext_noop("new certificate %(number)s"),
                                       number=certificate["certificate_number"]))
        elif (held.issuer, held.valid_from, held.valid_until) != (certificate["issuer"], certificate["valid_from"],
                                                                  certificate["valid_until"]):
            row.changes.append(Wording(gettext_noop("certificate %(number)s valid %(start)s to %(end)s"),
                                       number=held.certificate_number, start=str(certificate["valid_from"]),
                                       end=str(certificate["valid_until"])))
    held_roles = set(existing.role_grants.values_list("role", flat=True))
    waiting = set(existing.role_requests.filter(state=RoleRequest.State.PENDING).values_list("role", flat=True))
    for role in row.roles:
        if role not in held_roles and role not in waiting:
            if role_changes.separation_problem(held_roles | waiting, role) is not None:
                row.reasons.append(role_changes.SEPARATION)
            else:
                row.changes.append(Wording(gettext_noop("ask for the role %(role)s"), role=str(Role(role).label)))
    extra = held_roles - set(row.roles)
    if extra:
        row.notes.append(Wording(gettext_noop("also holds %(roles)s, which the file does not name; withdraw on the "
                                              "roles page if meant"),
                                 roles="、".join(str(Role(r).label) for r in sorted(extra))))
    if not existing.is_active:
        row.notes.append(gettext_lazy("the account is deactivated; the import does not reactivate it"))
    row.outcome = REFUSE if row.reasons else CHANGE if row.changes else UNCHANGED


def apply(import_plan: ImportPlan, *, actor: User | None, actor_label: str = "",
          context: RequestContext = SYSTEM) -> ImportPlan:
    """Carry the plan out row by row, each all or nothing; a row that fails now is refused with the reason."""
    if actor is not None:
        from authz.capabilities import can
        from authz.denied import Denied
        from ledger.events import record_denial
        from org import administration

        if not can(actor, "staff.manage") or not administration.administers(actor, import_plan.agency):
            reason = gettext_lazy("Only the system administrator of the agency manages its accounts.")
            record_denial("staff.import", actor=actor, agency_code=import_plan.agency.code, context=context,
                          detail={"reason": reason, "file": import_plan.file_name})
            raise Denied("staff.import", reason, capability="staff.manage")
    for row in import_plan.rows:
        if row.outcome in (UNCHANGED, REFUSE):
            continue
        try:
            with transaction.atomic():
                source = f"{import_plan.file_name}:{row.line}"  # what a role request from the file gives as its reason
                if row.outcome == CREATE:
                    _create(import_plan.agency, row, source, actor, actor_label, context)
                else:
                    _change(row, source, actor, actor_label, context)
        except ValidationError as error:
            row.outcome, row.password = REFUSE, ""
            row.reasons.extend(error.messages)  # the action functions' own words, already in the reader's language
    with transaction.atomic():
        record_event("staff.import", actor=actor, actor_label=actor_label, agency_code=import_plan.agency.code,
                     context=context, detail={
                         "file": import_plan.file_name, "sha256": import_plan.sha256, **import_plan.summary,
                         "refused": [[row.line, row.reasons] for row in import_plan.rows if row.outcome == REFUSE]})
    return import_plan


def _create(agency: Agency, row: RowPlan, source: str, actor: User | None, actor_label: str,
            context: RequestContext) -> None:
    password = accounts.generate_password(User(username=row.username, full_name=row.full_name,
                                               staff_number=row.staff_number, phone=row.phone))
    user = create_staff(agency, username=row.username, full_name=row.full_name, password=password, unit=row.unit,
                        staff_number=row.staff_number, phone=row.phone, must_change_password=True, actor=actor,
                        context=context)
    _certificate_of(user, row, actor, context)
    for role in row.roles:
        role_changes.request_change(user, role, reason=source, actor=actor, actor_label=actor_label,
                                    context=context)
    row.password = password


def _change(row: RowPlan, source: str, actor: User | None, actor_label: str, context: RequestContext) -> None:
    if row.existing is None:
        raise ValidationError(gettext_lazy("The account is no longer there."))
    user = accounts.update_staff(row.existing, {"full_name": row.full_name, "unit": row.unit, "phone": row.phone},
                                 actor=actor, context=context)
    _certificate_of(user, row, actor, context)
    held = set(user.role_grants.values_list("role", flat=True))
    waiting = set(user.role_requests.filter(state=RoleRequest.State.PENDING).values_list("role", flat=True))
    for role in row.roles:
        if role not in held | waiting:
            role_changes.request_change(user, role, reason=source, actor=actor, actor_label=actor_label,
                                        context=context)


def _certificate_of(user: User, row: RowPlan, actor: User | None, context: RequestContext) -> None:
    certificate = row.certificate
    if not certificate or not certificate["certificate_number"]:
        return
    held = user.qualifications.filter(certificate_number=certificate["certificate_number"]).first()
    if held is None:
        qualifications.check_new(user, certificate_number=certificate["certificate_number"],
                                 valid_from=certificate["valid_from"], valid_until=certificate["valid_until"])
        add_qualification(user, kind=Qualification.Kind.ENFORCEMENT, actor=actor, context=context, **certificate)
    else:
        qualifications.update_qualification(held, certificate, actor=actor, context=context)
