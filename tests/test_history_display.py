"""How an object's history reads: every action the code records has a Chinese name, and the ids events carry are
named from the vocabulary and the agency's pack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.display import VERB_LABELS
from retention import services
from tests.access_world import build
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
APPS = ("access", "cases", "compliance", "devices", "evidence", "integration", "lawtrace", "ledger", "org", "policy",
        "retention", "supervision")
# A verb is the first argument of the calls that write events or refuse on record (after the request, in views).
WRITERS = r"(?:record_event|record_denial|refuse|_refuse)"
LITERAL_VERB = re.compile(WRITERS + r"\(\s*(?:request,\s*)?f?\"([a-z_]+(?:\.[a-z_{}]+)?)\"")
# Verbs chosen before the call (``verb = "access.approve" if … else …``) or made from a choice's value.
ASSIGNED_VERB = re.compile(r"\bverb\s*=\s*(?:\(\s*)?\"([a-z_]+\.[a-z_]+)\"|else \"([a-z_]+\.[a-z_]+)\"")


def _verbs_in_source() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            found.update(m.group(1) for m in LITERAL_VERB.finditer(text))
            found.update(v for m in ASSIGNED_VERB.finditer(text) for v in m.groups() if v)
    return found


def test_every_action_the_code_records_has_a_chinese_name():
    verbs = _verbs_in_source()
    assert len(verbs) > 60  # the scan finds the calls; an empty scan would prove nothing
    templated = {v for v in verbs if "{" in v}
    assert templated == {"record.{what}", "fixity.{outcome}", "device.{action}"}, templated
    expanded = (verbs - templated) | {"record.view", "record.stream", "fixity.changed", "fixity.missing"} | {
        f"device.{action}" for action in ("hand_out", "take_back", "check", "fault", "repair", "close_fault")}
    assert sorted(expanded - VERB_LABELS.keys()) == []


@pytest.fixture
def w(db, tmp_path):
    return build("lushan_finance", tmp_path)


def test_000_2_16_a_hold_reads_in_chinese_on_the_record_page(client, w):
    services.place_hold([w.clip], kind="long_term", trigger="objection_or_complaint", reason="当事人表示将投诉",
                        actor=w.archivist)
    login(client, w.archivist)
    html = client.get(f"/evidence/{w.clip.pk}/").content.decode()
    assert "视频编码" in html and "时长（秒）" in html and "video_codec" not in html  # the media details too
    history = html[html.index('id="history"'):]
    assert "设置保全" in history and "retention.hold" not in history
    assert "保全类别：长期保存" in history.replace("</span>", "")
    assert "触发情形：相对人对现场执法办案有异议" in history.replace("</span>", "")
    assert f"{w.archivist.full_name}（{w.archivist.username}）" in history
    assert "记录归档" in history


def test_000_2_7_a_pre_use_check_reads_item_by_item_in_the_device_history(client, w):
    from devices.services import record_check, register_device

    device = register_device(w.agency, kind="body_camera", brand="海康威视", model="DSJ-V7", serial="LU-BWC-9001",
                             actor=w.archivist)
    record_check(device, {"working": True, "battery": False, "storage": True, "clock": True}, actor=w.archivist,
                 note="电量不足，已更换电池")
    login(client, w.archivist)
    page = client.get(f"/devices/{device.pk}/").content.decode()
    box = page.index('name="check_battery"')
    label = page.index(">电池电量充足（《鲁山县财政局音像记录管理制度》第七条）</label>")
    assert box < label  # each item reads "☐ item", its hint after it, not before the box
    history = page.replace("</span>", "")
    assert "使用前检查" in history and "登记设备" in history
    assert "电池电量充足：否" in history and "按照当前日期、时间调整好设备时间：是" in history
    assert '"battery"' not in history and "设备类型：执法记录仪" in history


def test_history_names_rows_by_what_a_person_calls_them_and_leaves_out_what_did_not_change(w):
    """`执法活动：#25`, `调阅材料：1、21`, `#25 → #25` and a seizure logged as `type：现场笔录` never reach a reader."""
    from lawtrace.value_labels import value_labels
    from ledger.display import ObjectNames, changes
    from ledger.models import Event
    from tests.factories import ActivityFactory

    activity = ActivityFactory(agency=w.agency, place="城关镇建设路18号")
    labels, names = value_labels(w.agency.code), ObjectNames(w.handler)

    def shown(event: Event) -> str:
        return "；".join(f"{c.label}：{c.before} → {c.after}" if c.before else f"{c.label}：{c.after}"
                        for c in changes(event, labels, names))

    linked = shown(Event(verb="record.link", object_type="evidence.record", before={"activity": activity.pk,
                         "case": w.case.pk, "late": False}, after={"activity": activity.pk, "case": w.case.pk,
                         "late": True}))
    assert "#" not in linked and "执法活动" not in linked and "案件" not in linked and "逾期" in linked
    created = shown(Event(verb="record.link", object_type="evidence.record", before={"activity": None},
                          after={"activity": activity.pk}))
    assert "城关镇建设路18号" in created and "#" not in created
    asked = shown(Event(verb="access.request", object_type="access.accessrequest",
                        after={"records": [w.clip.pk, w.decision.pk]}))
    assert w.clip.original_name in asked and w.decision.original_name in asked and "records" not in asked
    drafted = shown(Event(verb="decision.draft", object_type="cases.decision",
                          after={"case": w.case.pk, "type": "seal_or_seize", "review_required_by": ["x"]}))
    assert "查封" in drafted and "现场笔录" not in drafted and w.case.number in drafted
    assert "type" not in drafted and "review_required_by" not in drafted
    # A row the reader may not see is named by its kind only.
    outsider = ObjectNames(None)
    hidden = changes(Event(verb="record.link", object_type="evidence.record", after={"activity": activity.pk}),
                     labels, outsider)
    assert hidden[0].after and "#" not in hidden[0].after and str(activity.pk) not in hidden[0].after
