"""What schema 2 lets a pack say, each tried through a new version of a shipped pack as an agency would write it:
a case mark as a ground, retention by stage, hand-outs refused on a failed item, the agency's own numbers, properties
only as declared, and one way to pick the version in force."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from authz.roles import Role
from compliance import services
from compliance.models import Finding
from devices import services as devices
from ledger.models import Event
from policy import current
from retention.models import Schedule
from retention.services import refresh as refresh_retention
from tests.factories import ActivityFactory, AgencyFactory, CaseFactory, DeviceFactory, RecordFactory, UserFactory
from tests.factories import officer as make_officer
from tests.pack_versions import put_in_force, variant

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
TZ = dt.timezone(dt.timedelta(hours=8))


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(days=1)  # yesterday: every deadline has passed


def open_rules(activity) -> dict[str, Finding]:
    return {f.fingerprint: f for f in Finding.objects.filter(activity=activity, closed_at=None)}


@pytest.fixture
def lushan():
    return AgencyFactory()


def test_005_5_a_pack_may_make_a_case_mark_itself_the_ground(lushan):
    """Where the pack says so, a case marked as personal privacy needs no work record to go unrecorded."""
    agency = AgencyFactory(code="jiaxian", name="郏县民族宗教局", pack_code="jiaxian_ethnic_religious")
    put_in_force(agency, variant("jiaxian_ethnic_religious", ("  case_mark_is_ground: false\n",
                                                              "  case_mark_is_ground: true\n")))
    person = make_officer(agency)
    start = _now() - dt.timedelta(days=1)
    marked = CaseFactory(agency=agency, personal_privacy=True, handlers=[person])
    plain = CaseFactory(agency=agency, handlers=[person])
    activities = [ActivityFactory(agency=agency, case=case, stage="investigation_and_service", category="penalty",
                                  planned_start=start, planned_end=start + dt.timedelta(hours=1), pack_version=2,
                                  officers=[person]) for case in (marked, plain)]
    services.refresh([a.pk for a in activities])
    assert "not_recorded" not in open_rules(activities[0])
    assert "not_recorded" in open_rules(activities[1])


def test_001_3_8_retention_may_key_on_the_stage_and_records_keep_the_term_of_their_version(lushan):
    """A v2 keeps hearing recordings three years; records filed under v1 keep v1's twelve months (retention and
    compliance read the same version: the one in force when the record was made)."""
    rule = ("      label: 声像资料保存期限为12个月，到期后管理人员对无保存意义的进行清除处理\n      cite: 000/2/15\n")
    person = make_officer(lushan)
    start = _now() - dt.timedelta(days=2)
    hearing = ActivityFactory(agency=lushan, stage="hearing", category="penalty", planned_start=start,
                              planned_end=start + dt.timedelta(hours=1), officers=[person])
    old = RecordFactory(agency=lushan, activity=hearing, officer=person, recorded_start=start, recorded_end=start)
    put_in_force(lushan, variant("lushan_finance", (rule, rule + "    - id: hearings\n"
                                                    "      applies_to: {record: [av, photo, audio], stage: hearing}\n"
                                                    "      keep: {years: 3}\n      label: 听证录像保存三年\n"
                                                    "      cite: 000/2/6\n")))
    new = RecordFactory(agency=lushan, activity=hearing, officer=person, recorded_start=start, recorded_end=start,
                        pack_version=current.in_force(lushan).version)
    elsewhere = RecordFactory(agency=lushan, officer=person, recorded_start=start, recorded_end=start,
                              pack_version=2)
    refresh_retention([old.pk, new.pk, elsewhere.pk])
    day = timezone.localtime(start).date()
    assert Schedule.objects.get(record=old).retain_until.year - day.year == 1
    assert Schedule.objects.get(record=new).retain_until.year - day.year == 3
    assert "hearings" in Schedule.objects.get(record=new).rules
    assert Schedule.objects.get(record=elsewhere).retain_until.year - day.year == 1


def test_000_2_7_a_pack_may_refuse_the_hand_out_when_an_item_fails(lushan):
    put_in_force(lushan, variant("lushan_finance", ("{id: battery, label: 电池电量充足, cite: 000/2/7}",
                                                    "{id: battery, label: 电池电量充足, cite: 000/2/7, "
                                                    "blocks_hand_out: true}")))
    archivist = UserFactory(agency=lushan, roles=(Role.ARCHIVIST,))
    holder = make_officer(lushan)
    device = DeviceFactory(agency=lushan)
    flat = {"working": True, "battery": False, "storage": True, "clock": True}
    with pytest.raises(ValidationError, match="电池电量充足"):
        devices.hand_out(device, holder, actor=archivist, purpose="检查", results=flat)
    assert device.checks.get().results == flat  # the failed check stays on record
    assert Event.objects.filter(verb="device.hand_out", result="denied", object_id=str(device.pk)).exists()
    assert not device.hand_overs.exists()
    full = {**flat, "battery": True, "storage": False}  # storage does not block in this pack
    devices.hand_out(device, holder, actor=archivist, purpose="检查", results=full)
    assert device.hand_overs.count() == 1


def test_000_2_12_the_agencys_own_numbers_replace_the_deployments(lushan, tmp_path):
    """A pack setting a 30-second gap tolerance and 3-day grants: a one-minute gap is an interruption under it, not
    under the default of two minutes; a five-day grant is refused."""
    person = make_officer(lushan)
    start = _now() - dt.timedelta(days=1)

    def gapped(version: int):
        made = ActivityFactory(agency=lushan, stage="hearing", category="penalty", planned_start=start,
                               planned_end=start + dt.timedelta(hours=1), officers=[person], pack_version=version)
        for a, b in ((0, 30), (31, 60)):
            RecordFactory(agency=lushan, activity=made, officer=person, recorded_start=start + dt.timedelta(
                minutes=a), recorded_end=start + dt.timedelta(minutes=b))
        return made

    under_v1 = gapped(1)
    put_in_force(lushan, variant("lushan_finance", ("\nrecording:\n", "\nnumbers:\n  gap_tolerance_seconds: 30\n"
                                                    "  access_grant_max_days: 3\n  cite: 000/2/12\n\nrecording:\n")))
    under_v2 = gapped(2)
    services.refresh([under_v1.pk, under_v2.pk])
    assert not any(f.rule == "gap" for f in open_rules(under_v1).values())
    assert any(f.rule == "gap" for f in open_rules(under_v2).values())
    from access import services as access
    from tests.access_world import application, build

    world = build("lushan_finance", tmp_path)
    wanted = application(world, "other_staff", ["view"], person=world.colleague)
    wanted.valid_until = timezone.now() + dt.timedelta(days=5)
    with pytest.raises(access.AccessRefused, match="3"):
        access.submit_request(wanted, actor=world.colleague)


def test_only_the_properties_a_pack_declares_can_be_answered(lushan):
    from cases import services as cases

    person = make_officer(lushan)
    now = timezone.now().replace(microsecond=0)
    with pytest.raises(ValidationError) as caught:
        cases.create_activity(lushan, {
            "case": None, "category": "inspection", "stage": "on_site_enforcement", "place": "城关镇",
            "planned_start": now, "planned_end": now + dt.timedelta(hours=1), "actual_start": None,
            "actual_end": None, "properties": ["major_hazard"], "moments": {}, "remote_or_continuous": False,
            "description": ""}, [person], [], actor=person)
    assert "properties" in caught.value.message_dict


def test_one_function_picks_the_version_in_force():
    """No part of the system outside ``policy`` chooses a version itself: they ask ``policy.current``."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "policy", "var", "bench"} or "migrations" in parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"registry\(\)\.(files|file)\(", text) and path.name not in {"services.py", "demo.py"}:
            offenders.append(f"{path}: reads pack files directly")
        if re.search(r"from policy\.models import|Activation\.objects|PackVersion\.objects", text):
            offenders.append(f"{path}: reads activations directly")
        if re.search(r"\.in_force\(", text) and "current.in_force(" not in text:
            offenders.append(f"{path}: picks a version its own way")
    assert offenders == []
