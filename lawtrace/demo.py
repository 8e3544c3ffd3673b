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
from policy import current, rules
from policy.registry import registry

DEMO_PASSWORD = "Demo-2026-lawtrace"

AGENCIES = [
    {"code": "lushan-finance", "pack": "lushan_finance", "prefix": "",
     "units": [("监督股", "section", True), ("综合股", "section", False), ("城南财税所", "station", False)],
     "names": ["王建国", "李红梅", "赵小军", "陈静", "张卫东", "刘法明",
               "孙督查", "马骏", "田志远", "苏晓宁", "周保管"],
     "places": ["鲁山县城关镇人民路88号", "鲁山县琴台街道向阳路16号", "鲁山县下汤镇温泉路3号",
                "鲁山县尧山镇尧山大道9号", "鲁山县财政局三楼听证室", "鲁山县张良镇工业园区纬一路"],
     "parties": [("organisation", "鲁山县鑫源商贸有限公司", "91410423MA0000001X"),
                 ("person", "周某某", "410423198001010011"),
                 ("organisation", "鲁山县尧山建材有限公司", "91410423MA0000004P")]},
    {"code": "pingdingshan-emergency", "pack": "pingdingshan_emergency", "prefix": "pe-",
     "units": [("执法监察大队", "brigade", True), ("办公室（政策法规处）", "office", False)],
     "names": ["高志强", "郭秀英", "何海涛", "罗丽娟", "杨国庆", "黄晓燕",
               "吴永刚", "徐春华", "胡振华", "朱文博", "钱守业"],
     "places": ["平顶山高新区神马大道南段12号", "高新区遵化店镇工业园区", "高新区火炬园科技路6号",
                "高新区应急管理局会议室", "高新区皇台街道湛河北路21号", "高新区化工产业集聚区纬二路"],
     "parties": [("organisation", "平顶山市恒达化工有限公司", "91410400MA0000002Y"),
                 ("person", "钱某", "410402198203030033"),
                 ("organisation", "平顶山高新区宏泰机械厂", "91410400MA0000005Q")]},
    {"code": "ruzhou-water", "pack": "ruzhou_water", "prefix": "rw-",
     "units": [("水政监察大队", "brigade", True), ("水政科", "section", False)],
     "names": ["林立新", "冯桂芳", "韩明辉", "曹慧敏", "彭振国", "董雪莲",
               "袁淑珍", "邓志刚", "许文华", "傅玉兰", "蒋德明"],
     "places": ["汝州市北汝河紫云大道段采砂区", "汝州市煤山街道丹阳中路5号", "汝州市临汝镇汝河湾",
                "汝州市水利局一楼听证室", "汝州市风穴路街道广成东路18号", "汝州市寄料镇安沟水库"],
     "parties": [("organisation", "汝州市顺通砂石有限公司", "91410482MA0000003Z"),
                 ("person", "孟某某", "410482197907070044"),
                 ("organisation", "汝州市汝河水产养殖场", "91410482MA0000006R")]},
    {"code": "xinzhou-finance", "pack": "xinzhou_finance", "prefix": "xf-",
     "units": [("监督检查科", "section", True), ("法规科", "section", False)],
     "names": ["薛建平", "贾润梅", "阎志宏", "梁晋生", "武卫红", "郝丽萍",
               "侯永胜", "乔彩霞", "段俊峰", "白玉珍", "石保全"],
     "places": ["忻州市忻府区长征街2号", "忻州市忻府区七一北路18号", "忻州市忻府区和平街66号",
                "忻州市财政局听证室", "忻州经济开发区雁门西大街9号", "忻州市忻府区建设北路33号"],
     "parties": [("organisation", "忻州市晋北会计服务有限公司", "91140900MA0000007S"),
                 ("person", "吴某", "140902198505050022"),
                 ("organisation", "忻州市雁门建设工程有限公司", "91140900MA0000008T")]},
]

# (username, roles, qualification kind or None); each agency's people have their own names (AGENCIES' "names").
STAFF = [
    ("officer", (Role.OFFICER,), Qualification.Kind.ENFORCEMENT),
    ("officer2", (Role.OFFICER,), Qualification.Kind.ENFORCEMENT),
    ("assistant", (Role.OFFICER,), Qualification.Kind.ASSISTING),
    ("archivist", (Role.ARCHIVIST,), None),
    ("head", (Role.HEAD,), Qualification.Kind.ENFORCEMENT),
    ("legal", (Role.LEGAL_REVIEWER,), Qualification.Kind.ENFORCEMENT),
    ("supervisor", (Role.SUPERVISOR,), None),
    ("sysadmin", (Role.SYSTEM_ADMIN,), None),
    ("secadmin", (Role.SECURITY_ADMIN,), None),
    ("auditor", (Role.AUDIT_ADMIN,), None),
    ("keeper", (Role.DEVICE_KEEPER, Role.OFFICER), Qualification.Kind.ENFORCEMENT),
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
    first = registry().files(spec["pack"])[0].pack
    agency = create_agency(code=spec["code"], name=first.agency.name, pack_code=spec["pack"],
                           account_prefix=spec["prefix"])
    pack = current.in_force(agency)
    units = [create_unit(agency, name=n, kind=k, is_records_unit=r) for n, k, r in spec["units"]]
    people: dict[str, User] = {}
    today = timezone.localdate(now)
    issuer = "河南省人民政府" if pack.agency.name.startswith(("鲁山", "平顶山", "汝州")) else "山西省人民政府"
    for index, (username, roles, qualification) in enumerate(STAFF):
        user = create_staff(agency, username=spec["prefix"] + username, full_name=spec["names"][index],
                            password=DEMO_PASSWORD, unit=units[0] if index < 7 else units[-1],
                            staff_number=f"{index + 1:04d}", roles=roles,
                            phone=f"1{37 + index % 3}{index:04d}{rng.randrange(10000):04d}")
        if qualification:
            # The second officer's certificate runs out within the month: the dashboard reminds them and the head.
            until = today + dt.timedelta(days=27 if username == "officer2" else 600)  # after the last demo activity
            add_qualification(user, kind=qualification, certificate_number=f"{spec['code'][:2].upper()}{index + 1:06d}",
                              issuer=issuer, valid_from=today - dt.timedelta(days=900), valid_until=until)
        people[username] = user
    # The demo's clips come from body-worn cameras: register them as such where the pack has the kind, else as its
    # first (most general) kind.
    kinds = list(rules.device_kinds(pack))
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
        kind, party, identifier = spec["parties"][number % len(spec["parties"])]
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
        rows = rules.checklist_rows(pack, category) or pack.checklist
        row = rows[number % len(rows)]
        category = category if category in {c.value for c in row.categories} else row.categories[0].value
        day = now - dt.timedelta(days=50 - number * 3)
        start = day.replace(hour=9 + number % 6, minute=0, second=0, microsecond=0)
        done = start < now
        activity_data: dict[str, object] = {
            "case": case, "category": category, "stage": row.id, "place": spec["places"][number % len(spec["places"])],
            "planned_start": start, "planned_end": start + dt.timedelta(hours=2),
            "actual_start": start + dt.timedelta(minutes=5) if done else None,
            "actual_end": start + dt.timedelta(minutes=95) if done else None,
            # Each property the pack asks about holds now and then (every 4th, 7th … activity).
            "properties": [p.id for i, p in enumerate(pack.properties) if number % (4 + 3 * i) == 0],
            "moments": {}, "remote_or_continuous": number % 5 == 0, "description": row.requirement,
        }
        activities.append(create_activity(agency, activity_data, officers, [people["assistant"]] if number % 2 else [],
                                          actor=officers[0]))
    # An inspection that ended an hour ago: its clip arrives on time and links itself.
    recent_start = (now - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    recent_row = (rules.checklist_rows(pack, cases[-1].category) or pack.checklist)[0]
    recent_category = cases[-1].category if cases[-1].category in {c.value for c in recent_row.categories} \
        else recent_row.categories[0].value
    recent = create_activity(agency, {
        "case": cases[-1], "category": recent_category, "stage": recent_row.id,
        "place": spec["places"][0], "planned_start": recent_start, "planned_end": recent_start + dt.timedelta(hours=1),
        "actual_start": recent_start, "actual_end": recent_start + dt.timedelta(hours=1), "properties": [],
        "moments": {}, "remote_or_continuous": False, "description": "",
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
    _file_demo_archive(agency, people, devices[-1], pack, now)
    return agency


def _file_demo_archive(agency: Agency, people: dict[str, User], device, pack, now: dt.datetime) -> None:
    """The agency's recordings from before it used the system, filed when it went live: patrol clips older than the
    pack's term for unlinked recordings, so the archivist has expired records to review for purge (000/2/15) and one
    purge waits for the head's approval."""
    from evidence.ingest import Origin, ingest_file
    from evidence.services import classify_record
    from evidence.synthetic import make_video
    from retention.queries import due_for_review
    from retention.services import RetentionRefused, propose_purge

    # The term of a clip that belongs to no case: as it stands, or as daily patrol where the pack keys it to that use.
    usage, term = None, None
    for candidate in (None, "patrol"):
        decided = rules.retention_for(pack, rules.Facts(record="av", usage=candidate, linked_to_case=False)).term
        if decided is not None and not decided.permanent and not decided.same_as_case_file:
            usage, term = candidate, decided
            break
    if term is None:
        return
    months = 12 * (term.years or 0) + (term.months or 0)
    officer = people["officer"]
    origin = Origin(agency=agency, channel="dump", device=device, officer=officer, unit=device.unit)
    with tempfile.TemporaryDirectory() as folder:
        for number in range(3):
            moment = timezone.localtime(now - dt.timedelta(days=31 * months + 40 + number * 9)).replace(
                hour=9 + number, minute=12, second=0, microsecond=0)
            name = f"{device.serial}_{officer.staff_number}_{moment:%Y%m%d%H%M%S}_{number + 1:04d}.mp4"
            path = make_video(Path(folder) / name, seconds=3, fps=8, size=(320, 240), created=moment)
            filed = ingest_file(path, name, origin, source_path=f"历史记录/{name}").record
            if usage is not None:
                classify_record(filed, {"usage": usage}, actor=people["archivist"])
    expired = list(due_for_review(people["archivist"])[:1])
    if expired:
        with contextlib.suppress(RetentionRefused):
            propose_purge(expired, reason="日常巡查录像，未发现违法行为，无保存价值", actor=people["archivist"])


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

    results = {item.id: True for item in rules.pre_use_items(pack)} or None
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
