"""Demo data: the four agencies of the shipped packs with units, staff, devices, cases and activities.

Everything goes through the apps' action functions, so the demo also fills the event record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from authz.roles import Role
from cases.models import Case
from cases.services import create_activity, create_case
from devices.models import Device
from devices.services import register_device
from org.models import Agency, Qualification, User
from org.services import add_qualification, create_agency, create_staff, create_unit
from policy import rules
from policy.registry import registry

DEMO_PASSWORD = "Demo-2026-lawtrace"

AGENCIES = [
    {"code": "lushan-finance", "pack": "lushan_finance", "prefix": "",
     "units": [("监督股", "section", True), ("综合股", "section", False), ("城南财税所", "station", False)]},
    {"code": "pingdingshan-emergency", "pack": "pingdingshan_emergency", "prefix": "pe-",
     "units": [("执法监察大队", "brigade", True), ("办公室（政策法规处）", "office", False)]},
    {"code": "ruzhou-water", "pack": "ruzhou_water", "prefix": "rw-",
     "units": [("水政监察大队", "brigade", True), ("水政科", "section", False)]},
    {"code": "xinzhou-finance", "pack": "xinzhou_finance", "prefix": "xf-",
     "units": [("监督检查科", "section", True), ("法规科", "section", False)]},
]

# (username, full name, roles, qualification kind or None)
STAFF = [
    ("officer", "王建国", (Role.OFFICER,), Qualification.Kind.ENFORCEMENT),
    ("officer2", "李红梅", (Role.OFFICER,), Qualification.Kind.ENFORCEMENT),
    ("assistant", "赵小军", (Role.OFFICER,), Qualification.Kind.ASSISTING),
    ("archivist", "陈静", (Role.ARCHIVIST,), None),
    ("head", "张卫东", (Role.HEAD,), Qualification.Kind.ENFORCEMENT),
    ("legal", "刘法明", (Role.LEGAL_REVIEWER,), Qualification.Kind.ENFORCEMENT),
    ("supervisor", "孙督查", (Role.SUPERVISOR,), None),
    ("sysadmin", "系统管理员", (Role.SYSTEM_ADMIN,), None),
    ("secadmin", "安全管理员", (Role.SECURITY_ADMIN,), None),
    ("auditor", "审计管理员", (Role.AUDIT_ADMIN,), None),
]

PARTIES = [
    ("organisation", "鲁山县某商贸有限公司", "91410423MA0000001X"),
    ("organisation", "平顶山某化工有限公司", "91410400MA0000002Y"),
    ("person", "周某某", "410423198001010011"),
    ("organisation", "汝州市某砂石厂", "91410482MA0000003Z"),
    ("person", "吴某", "140902198505050022"),
]
PLACES = [
    "城关镇建设路18号", "高新区创业大道6号", "北汝河汝州段采砂区", "忻府区长征街2号", "局机关听证室", "城南特色商业区",
]


def load(now: dt.datetime | None = None, seed: int = 2019) -> list[Agency]:
    """Create the demo agencies that do not exist yet; running it twice changes nothing."""
    now = now or timezone.now()
    rng = random.Random(seed)
    created = []
    for spec in AGENCIES:
        if Agency.objects.filter(code=spec["code"]).exists():
            continue
        with transaction.atomic():
            created.append(_load_agency(spec, now, rng))
    if created:
        from compliance.services import recompute_all

        recompute_all(now=now)  # judge the history the demo wrote in one go
    return created


def _load_agency(spec: dict, now: dt.datetime, rng: random.Random) -> Agency:
    pack = registry().in_force(spec["pack"])
    agency = create_agency(code=spec["code"], name=pack.agency.name, pack_code=spec["pack"])
    units = [create_unit(agency, name=n, kind=k, is_records_unit=r) for n, k, r in spec["units"]]
    people: dict[str, User] = {}
    today = timezone.localdate(now)
    for index, (username, full_name, roles, qualification) in enumerate(STAFF):
        user = create_staff(agency, username=spec["prefix"] + username, full_name=full_name, password=DEMO_PASSWORD,
                            unit=units[0] if index < 7 else units[-1], staff_number=f"{index + 1:04d}", roles=roles)
        if qualification:
            add_qualification(user, kind=qualification, certificate_number=f"{spec['code'][:2].upper()}{index + 1:06d}",
                              issuer="省人民政府法制办公室", valid_from=today - dt.timedelta(days=900),
                              valid_until=today + dt.timedelta(days=600))
        people[username] = user
    # The demo's clips come from body-worn cameras: register them as such where the pack has the kind, else as its
    # first (most general) kind.
    kinds = [k.id for k in pack.devices.kinds]
    kind = "body_camera" if "body_camera" in kinds else kinds[0]
    for number in range(1, 5):
        register_device(agency, kind=kind, brand=rng.choice(["海康威视", "大华", "华德安"]),
                        model=rng.choice(["DSJ-V7", "DSJ-K8", "DSJ-T9"]),
                        serial=f"{spec['code'][:2].upper()}-BWC-{number:04d}", unit=units[0])
    devices = list(Device.objects.filter(agency=agency).order_by("serial"))
    officers = [people["officer"], people["officer2"]]
    cases = []
    categories = [c.value for c in pack.agency.categories]
    for number in range(1, 9):
        kind, party, identifier = PARTIES[number % len(PARTIES)]
        category = categories[number % len(categories)]
        opened = today - dt.timedelta(days=120 - number * 9)
        state = Case.State.ARCHIVED if number <= 2 else Case.State.CLOSED if number <= 4 else Case.State.OPEN
        data = {
            "number": f"{pack.agency.name[:2]}执〔{opened.year}〕{number:03d}号", "title": f"{party}{_title(category)}",
            "category": category, "procedure": "hearing" if number == 3 else "general", "party_kind": kind,
            "party_name": party, "party_identifier": identifier, "opened_on": opened, "state": state,
            "archived_on": opened + dt.timedelta(days=40) if state == Case.State.ARCHIVED else None,
            "major_penalty": number == 1, "major_social_impact": False, "complex_case": number == 2,
            "hearing": number == 3, "compulsory_execution": number == 4,
            "state_secret": False, "commercial_secret": number == 5, "personal_privacy": kind == "person",
        }
        cases.append(create_case(agency, data, [rng.choice(officers), people["head"]], actor=people["head"]))
    activities = []
    for number in range(1, 25):
        case = cases[number % len(cases)] if number % 3 else None
        category = case.category if case else categories[number % len(categories)]
        rows = rules.checklist_rows(pack, category) or pack.recording.checklist
        row = rows[number % len(rows)]
        category = category if category in {c.value for c in row.categories} else row.categories[0].value
        day = now - dt.timedelta(days=50 - number * 3)
        start = day.replace(hour=9 + number % 6, minute=0, second=0, microsecond=0)
        done = start < now
        data = {
            "case": case, "category": category, "stage": row.id, "place": PLACES[number % len(PLACES)],
            "planned_start": start, "planned_end": start + dt.timedelta(hours=2),
            "actual_start": start + dt.timedelta(minutes=5) if done else None,
            "actual_end": start + dt.timedelta(minutes=95) if done else None,
            "dispute_likely": number % 4 == 0, "major_hazard": number % 7 == 0, "major_violation": False,
            "remote_or_continuous": number % 5 == 0, "description": row.requirement,
        }
        activities.append(create_activity(agency, data, officers, [people["assistant"]] if number % 2 else [],
                                          actor=officers[0]))
    # An inspection that ended an hour ago: its clip arrives on time and links itself.
    recent_start = (now - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    recent_row = (rules.checklist_rows(pack, cases[-1].category) or pack.recording.checklist)[0]
    recent_category = cases[-1].category if cases[-1].category in {c.value for c in recent_row.categories} \
        else recent_row.categories[0].value
    recent = create_activity(agency, {
        "case": cases[-1], "category": recent_category, "stage": recent_row.id,
        "place": PLACES[0], "planned_start": recent_start, "planned_end": recent_start + dt.timedelta(hours=1),
        "actual_start": recent_start, "actual_end": recent_start + dt.timedelta(hours=1), "dispute_likely": False,
        "major_hazard": False, "major_violation": False, "remote_or_continuous": False, "description": "",
    }, officers, [], actor=officers[0])
    past = max((a for a in activities if a.actual_end and a.actual_end < now - dt.timedelta(days=1)),
               key=lambda a: a.actual_end)
    _hand_over_demo_device(devices[0], people, pack, recent_start)
    _file_demo_evidence(agency, people["officer"], devices[0], cases[-1], [recent, past], now)
    _note_demo_interruption(recent, people["officer"], now)
    _ask_demo_access(people["officer2"], now)
    _hold_demo_record(people["archivist"], pack)
    _look_at_demo_records(people["archivist"])
    _review_demo_sample(agency, people, pack, now)
    return agency


def _review_demo_sample(agency: Agency, people: dict[str, User], pack, now: dt.datetime) -> None:
    """The supervisor samples this quarter's recordings; one is scored with a shortfall, and the officer's failure to
    record is opened as a misconduct case for the head to decide."""
    from supervision import accountability, reviews
    from supervision.refusals import Refused

    today = timezone.localdate(now)
    title = f"{today.year}年第{(today.month - 1) // 3 + 1}季度音像记录抽查"
    wanted = reviews.RoundRequest(kind="sampling", title=title,
                                  period_start=today - dt.timedelta(days=60), period_end=today,
                                  reviewers=[people["supervisor"], people["legal"]], count=2)
    try:
        made = reviews.draw_sample(reviews.open_round(agency, wanted, actor=people["supervisor"]),
                                   actor=people["supervisor"])
    except Refused:
        return
    checks = [c["id"] for c in made.checks]
    scores = {c: reviews.MAX_SCORE for c in checks}
    scores[checks[0]] = reviews.MAX_SCORE - 3
    review = reviews.record_review(made, int(made.sample[0]), reviewer=people["supervisor"], scores=scores,
                                   comments={checks[0]: "执法开始后约两分钟才开启记录"}, remarks="其余规范")
    accountability.open_case(agency, officer=review.officer or people["officer"],
                             misconduct=pack.accountability.misconduct[0].id,
                             facts="抽查发现现场执法开始后未及时开启音像记录设备", review=review,
                             actor=people["supervisor"])


def _hold_demo_record(archivist: User, pack) -> None:
    """The party objected on the spot: the archivist keeps the clip long-term under the pack's first trigger."""
    from evidence.queries import visible_records
    from retention.services import place_hold

    clip = visible_records(archivist).filter(kind="av").order_by("pk").first()
    if clip is not None:
        place_hold([clip], kind="long_term", trigger=pack.long_term.triggers[0].id,
                   reason="当事人对现场执法有异议，表示将投诉", actor=archivist)


def _look_at_demo_records(archivist: User) -> None:
    """The archivist plays two clips while filing them, so the register (查阅登记簿) has rows to show."""
    from evidence.queries import visible_records
    from evidence.services import record_view

    for clip in visible_records(archivist, "play").filter(kind="av").order_by("pk")[:2]:
        record_view(clip, actor=archivist)


def _ask_demo_access(colleague: User, now: dt.datetime) -> None:
    """A colleague who did not handle the work asks to view two clips; the request waits for its approver."""
    from django.db.models import Q

    from access.services import AccessRefused, Application, submit_request
    from evidence.queries import visible_records

    clips = list(visible_records(colleague).filter(kind="av").filter(
        Q(case__isnull=True) | Q(case__archived_on__isnull=False)).values_list("pk", flat=True)[:2])
    if not clips:
        return
    # An agency whose rules give other staff no viewing at all simply has no demo request.
    with contextlib.suppress(AccessRefused):
        submit_request(Application(
            requester_type="other_staff", requester_user=colleague, requester_name=colleague.full_name,
            requester_unit=str(colleague.unit or colleague.agency.name), purpose="work",
            reason="准备全局执法案卷评查材料，需要查阅近期现场检查的执法记录", actions=["view"],
            record_ids=clips, valid_until=now + dt.timedelta(days=7)), actor=colleague)


def _hand_over_demo_device(device, people: dict[str, User], pack, out_at: dt.datetime) -> None:
    """The archivist hands the camera out with its pre-use check and takes it back after the inspection (000/2/4)."""
    from devices.services import hand_out, take_back

    results = {item.id: True for item in pack.devices.pre_use_checks} or None
    hand_out(device, people["officer"], actor=people["archivist"], purpose="现场执法检查", results=results,
             at=out_at - dt.timedelta(minutes=30))
    take_back(device, actor=people["archivist"], note="设备完好，已充电", at=out_at + dt.timedelta(minutes=70))


def _note_demo_interruption(activity, officer: User, now: dt.datetime) -> None:
    """The officer explains why the recent inspection's recording stops short; the head has it to review."""
    from compliance.services import reasons, submit_note
    from evidence.queries import clip_rows

    clips = [c for c in clip_rows([activity.pk]) if c["recorded_end"]]
    if not clips:
        return
    stopped = max(c["recorded_end"] for c in clips)
    reason = next(iter(reasons(activity.agency)))
    submit_note(activity, {
        "reason": reason, "explanation": "检查途中执法记录仪电量耗尽，未能继续录像，已用手机拍照补充关键环节。",
        "basis": "设备电量不足，属制度允许的中断情形", "gap_start": stopped, "gap_end": activity.actual_end,
    }, [], actor=officer, participant_ids={officer.pk})


def _file_demo_evidence(agency: Agency, officer: User, device, case: Case, activities: list, now: dt.datetime) -> None:
    """A camera dump as the station would send it: a clip on time, one stored late, one of no planned activity, one
    cut off before the camera closed it (an unreadable file), a photo, and a scanned written record on the case.
    Files are made on the spot; none ship in the repository."""
    from evidence.ingest import Origin, ingest_file
    from evidence.synthetic import make_photo, make_video

    moments = [timezone.localtime(a.actual_start + dt.timedelta(minutes=10)) for a in activities]
    moments.append(timezone.localtime(now - dt.timedelta(hours=30)).replace(minute=7, second=0, microsecond=0))
    origin = Origin(agency=agency, channel="dump", device=device, officer=officer, unit=device.unit)
    with tempfile.TemporaryDirectory() as folder:
        for sequence, moment in enumerate(moments):
            name = f"{device.serial}_{officer.staff_number}_{moment:%Y%m%d%H%M%S}_{sequence + 1:04d}.mp4"
            path = make_video(Path(folder) / name, seconds=4 + sequence, fps=10 + sequence, size=(320, 240))
            ingest_file(path, name, origin, source_path=f"DCIM/100MEDIA/{name}")
        whole = path.read_bytes()
        cut = Path(folder) / "cut.mp4"
        cut.write_bytes(whole[: whole.rindex(b"moov") - 4])  # the battery died before the index was written
        name = f"{device.serial}_{officer.staff_number}_{moments[-1]:%Y%m%d%H%M%S}_{len(moments) + 1:04d}.mp4"
        ingest_file(cut, name, origin, source_path=f"DCIM/100MEDIA/{name}")
        taken = (moments[0] + dt.timedelta(minutes=3)).replace(tzinfo=None)
        photo = make_photo(Path(folder) / "photo.jpg", size=(640, 480), taken=taken, make=device.brand,
                           model=device.model)
        ingest_file(photo, f"现场照片_{taken:%Y%m%d}_01.jpg", origin, source_path="DCIM/100MEDIA/IMG_0001.jpg")
        scan = Path(folder) / "scan.pdf"
        scan.write_bytes(_demo_pdf(case.pk))
        ingest_file(scan, "询问笔录（扫描件）.pdf", Origin(agency=agency, channel="upload", officer=officer,
                                                      ingested_by=officer, case=case, unit=officer.unit))


def _demo_pdf(reference: int) -> bytes:
    """A one-page PDF written by hand: enough for the viewer to show a written record."""
    stream = f"BT /F1 18 Tf 72 720 Td (Lawtrace demo: scanned interview record, case {reference}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _title(category: str) -> str:
    return {"penalty": "涉嫌违法案", "compulsion": "行政强制案", "inspection": "执法检查案", "licensing": "许可事项案",
            "expropriation": "征收事项案", "benefit": "救助给付案"}.get(category, "案")
