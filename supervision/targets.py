"""Importing the registry of inspection targets from .csv or .xlsx: every row is either imported or listed with
its reason; none is dropped silently."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz.capabilities import can
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.wording import Words
from supervision.models import Conflict, InspectionTarget
from supervision.refusals import refuse

COLUMNS = {"名称": "name", "统一社会信用代码": "credit_code", "地址": "address", "行业": "industry"}
_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, reason)


def _rows(upload) -> list[dict]:
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(upload, read_only=True, data_only=True).active
        values = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        text = upload.read().decode("utf-8-sig")
        values = [[v.strip() for v in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ValueError(_("Upload a .csv or .xlsx file."))
    if not values:
        raise ValueError(_("The file is empty."))
    header = values[0]
    missing = [c for c in ("名称", "统一社会信用代码") if c not in header]
    if missing:
        raise ValueError(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    index = {COLUMNS[c]: header.index(c) for c in COLUMNS if c in header}
    return [{key: (row[i] if i < len(row) else "") for key, i in index.items()} for row in values[1:]]


def import_targets(agency, upload, *, actor, context: RequestContext = SYSTEM) -> ImportReport:
    rows = _rows(upload)
    report = ImportReport()
    existing = set(InspectionTarget.objects.filter(agency=agency).values_list("credit_code", flat=True))
    seen: set[str] = set()
    valid = []
    for number, row in enumerate(rows, start=2):
        code = row.get("credit_code", "").upper()
        if not any(row.values()):
            report.rejected.append((number, _("empty row")))
        elif not row.get("name"):
            report.rejected.append((number, _("no name")))
        elif not _CODE.match(code):
            report.rejected.append((number, _("not a valid unified social credit code: %(code)s") % {"code": code}))
        elif code in seen:
            report.rejected.append((number, _("the code appears twice in the file")))
        elif code in existing:
            report.rejected.append((number, _("already in the registry")))
        else:
            seen.add(code)
            valid.append(InspectionTarget(agency=agency, name=row["name"], credit_code=code,
                                          address=row.get("address", ""), industry=row.get("industry", "")))
    with transaction.atomic():
        InspectionTarget.objects.bulk_create(valid)
        report.imported = len(valid)
        record_event("supervision.import_targets", actor=actor, agency_code=agency.code, context=context,
                     detail={"file": upload.name, "imported": report.imported,
                             "rejected": [[n, str(reason)] for n, reason in report.rejected]})
    return report


def declare_conflict(target: InspectionTarget, *, officer, reason: str, actor,
                     context: RequestContext = SYSTEM) -> Conflict:
    """An officer who must not inspect the target (回避); a draw committed before this refuses to reveal."""
    problem: Words | None = None
    if not can(actor, "draw.make") or actor.agency_id != target.agency_id:
        problem = gettext_lazy("The registry is kept by the supervisor or the head.")
    elif officer.agency_id != target.agency_id:
        problem = gettext_lazy("The officer must be of the agency.")
    elif not reason.strip():
        problem = gettext_lazy("Say why the officer must stand aside.")
    elif Conflict.objects.filter(target=target, officer=officer).exists():
        problem = gettext_lazy("This conflict is already declared.")
    if problem is not None:
        refuse("conflict.declare", problem, actor=actor, obj=target, context=context)
    with transaction.atomic():
        made = Conflict.objects.create(target=target, officer=officer, reason=reason.strip())
        record_event("conflict.declare", actor=actor, obj=target, context=context,
                     after={"officer": officer.pk, "reason": made.reason})
    return made


def withdraw_conflict(conflict: Conflict, *, actor, context: RequestContext = SYSTEM) -> None:
    target = conflict.target
    if not can(actor, "draw.make") or actor.agency_id != target.agency_id:
        refuse("conflict.withdraw", gettext_lazy("The registry is kept by the supervisor or the head."), actor=actor,
               obj=target, context=context)
    with transaction.atomic():
        record_event("conflict.withdraw", actor=actor, obj=target, context=context,
                     before={"officer": conflict.officer_id, "reason": conflict.reason})
        conflict.delete()
