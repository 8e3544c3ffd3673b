"""A small agency for access tests: staff in every role, an archived case with a clip, a conclusive decision and an
inquiry transcript, all filed through the real ingest so packages can prove them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from access import services
from authz.roles import Role
from cases.models import Case
from evidence.ingest import Origin, ingest_file
from evidence.models import Record
from evidence.synthetic import make_video
from org.models import User
from tests.factories import AgencyFactory, CaseFactory, UserFactory, officer

PACKS = {
    "lushan_finance": ("lushan-finance", "鲁山县财政局"),
    "pingdingshan_emergency": ("pingdingshan-emergency", "平顶山高新区应急管理局"),
    "ruzhou_water": ("ruzhou-water", "汝州市水利局"),
    "xinzhou_finance": ("xinzhou-finance", "忻州市财政局"),
}


@dataclass
class World:
    agency: object
    handler: User
    colleague: User
    archivist: User
    head: User
    deputy: User
    legal: User
    supervisor: User
    case: Case
    clip: Record
    decision: Record
    transcript: Record


def build(pack: str, tmp_path: Path, *, archived: bool = True) -> World:
    tmp_path.mkdir(parents=True, exist_ok=True)
    code, name = PACKS[pack]
    agency = AgencyFactory(code=code, name=name, pack_code=pack)
    handler = officer(agency, full_name="承办人甲")
    colleague = officer(agency, full_name="同事乙")
    staff = {role: UserFactory(agency=agency, roles=(role,), full_name=f"{role}丙") for role in
             (Role.ARCHIVIST, Role.HEAD, Role.LEGAL_REVIEWER, Role.SUPERVISOR)}
    deputy = UserFactory(agency=agency, roles=(Role.HEAD,), full_name="分管领导丁")
    case = CaseFactory(agency=agency, handlers=[handler], state="archived" if archived else "open",
                       archived_on=timezone.localdate() if archived else None)
    origin = Origin(agency=agency, channel="upload", ingested_by=handler, officer=handler, case=case,
                    party=case.party_name, usage="evidence")
    clip_path = make_video(tmp_path / f"{pack}-现场.mp4", seconds=1, fps=8)
    clip = ingest_file(clip_path, clip_path.name, origin).record
    documents = []
    for label, body in (("处罚决定书", b"decision"), ("询问笔录", b"transcript")):
        path = tmp_path / f"{pack}-{label}.pdf"
        path.write_bytes(b"%PDF-1.4\n% " + body + pack.encode() + b"\n%%EOF\n")
        documents.append(ingest_file(path, path.name, origin).record)
    Record.objects.filter(pk=documents[0].pk).update(conclusive=True)
    documents[0].refresh_from_db()
    return World(agency, handler, colleague, staff[Role.ARCHIVIST], staff[Role.HEAD], deputy,
                 staff[Role.LEGAL_REVIEWER], staff[Role.SUPERVISOR], case, clip, documents[0], documents[1])


def application(world: World, requester_type: str, actions: list[str], *, person: User | None = None,
                purpose: str = "work", records: list[Record] | None = None, credentials: dict | None = None,
                verified: bool = True, reason: str = "因办理复议案件需要，查阅本案现场执法记录", days: int = 7,
                name: str = "", unit: str = "") -> services.Application:
    staff = person is not None
    return services.Application(
        requester_type=requester_type, requester_user=person,
        requester_name=name or (person.full_name if staff else "王某"), requester_unit=unit or (
            "本局" if staff else "某市人民检察院"), purpose=purpose, reason=reason, actions=actions,
        record_ids=[r.pk for r in (records or [world.clip])], case_id=world.case.pk,
        valid_until=timezone.now() + dt.timedelta(days=days),
        credentials=[{"kind": k, "reference": v} for k, v in (credentials or {}).items()],
        credentials_verified=verified)
