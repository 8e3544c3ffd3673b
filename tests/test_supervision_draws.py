"""Double-random inspections (002 附件3, 001/1): the registry import, commit and reveal, re-running the draw,
conflicts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from lawtrace_verify import draw as algorithm

from authz.roles import Role
from cases.models import Activity
from ledger.models import Event
from supervision import draws
from supervision.models import Conflict, InspectionTarget
from supervision.targets import import_targets
from tests.factories import AgencyFactory, UserFactory, officer

CODES = [f"91410482MA{n:07d}X" for n in range(1, 11)]


@pytest.fixture
def ruzhou(db):
    agency = AgencyFactory(code="ruzhou-water", name="汝州市水利局", pack_code="ruzhou_water")
    staff = [officer(agency, staff_number=f"SZ{n:03d}", full_name=f"监察员{n}") for n in range(1, 6)]
    supervisor = UserFactory(agency=agency, roles=(Role.SUPERVISOR,))
    for number, code in enumerate(CODES, start=1):
        InspectionTarget.objects.create(agency=agency, name=f"汝州某水厂{number}", credit_code=code,
                                        address=f"汝州市某路{number}号")
    return agency, staff, supervisor


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("targets.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_002_random_inspection_the_registry_import_lists_every_bad_row(ruzhou):
    agency, _staff, supervisor = ruzhou
    text = ("名称,统一社会信用代码,地址,行业\n"
            "汝州新水务有限公司,91410482MA9999999Y,汝州市广成路1号,供水\n"
            ",91410482MA8888888Y,,\n"
            "无效代码公司,12345,,\n"
            "重复公司,91410482MA9999999Y,,\n"
            f"已在名录,{CODES[0]},,\n"
            ",,,\n")
    report = import_targets(agency, _csv(text), actor=supervisor)
    assert report.imported == 1
    assert [n for n, _reason in report.rejected] == [3, 4, 5, 6, 7]
    assert InspectionTarget.objects.filter(agency=agency).count() == 11
    with pytest.raises(ValueError, match="统一社会信用代码|columns"):
        import_targets(agency, _csv("名称,地址\n某公司,某地\n"), actor=supervisor)


def test_002_random_inspection_xlsx_registry(ruzhou):
    import xlsxwriter

    agency, _staff, supervisor = ruzhou
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for row, values in enumerate([["名称", "统一社会信用代码"], ["汝州某砂场", "91410482MA7777777Y"]]):
        sheet.write_row(row, 0, values)
    book.close()
    upload = SimpleUploadedFile("名录.xlsx", buffer.getvalue())
    assert import_targets(agency, upload, actor=supervisor).imported == 1


def test_002_random_inspection_twenty_percent_drawn_by_commit_and_reveal(ruzhou):
    agency, staff, supervisor = ruzhou
    made = draws.commit(agency, plan_id="double_random", period="2026年第四季度",
                        inspect_on=timezone.now() + dt.timedelta(days=7), actor=supervisor)
    committed = Event.objects.get(verb="draw.commit")
    assert committed.after["seed_hash"] == made.seed_hash and made.seed not in str(committed.after)
    done = draws.perform(made, actor=supervisor)
    assert len(done.result["targets"]) == 2  # 20 % of 10
    assert all(len(officers) == 2 for officers in done.result["assignments"].values())
    revealed = Event.objects.get(verb="draw.reveal")
    assert revealed.after["seed"] == done.seed and revealed.seq > committed.seq
    # Anyone re-runs the draw from the published seed and lists.
    again = algorithm.draw(revealed.after["seed"], done.inputs["targets"], done.inputs["officers"], done.share,
                           done.per_target, done.inputs["conflicts"])
    assert again == done.result and draws.check(done, done.seed)
    assert not draws.check(done, "0" * 64)  # a seed other than the committed one is refused
    activities = Activity.objects.filter(agency=agency, stage="on_site_enforcement")
    assert activities.count() == 2
    assert {a.participants.count() for a in activities} == {2}
    with pytest.raises(draws.DrawRefused):
        draws.perform(done, actor=supervisor)


def test_002_random_inspection_a_changed_registry_refuses_the_committed_draw(ruzhou):
    agency, _staff, supervisor = ruzhou
    made = draws.commit(agency, plan_id="double_random", period="2026Q4", inspect_on=timezone.now(),
                        actor=supervisor)
    InspectionTarget.objects.filter(credit_code=CODES[3]).update(active=False)
    with pytest.raises(draws.DrawRefused, match="changed|变动"):
        draws.perform(made, actor=supervisor)
    assert Event.objects.filter(verb="draw.reveal", result="denied").exists()


def test_002_random_inspection_conflicted_officers_are_skipped(ruzhou):
    agency, staff, supervisor = ruzhou
    for target in InspectionTarget.objects.filter(agency=agency):
        for person in staff[:3]:
            Conflict.objects.create(target=target, officer=person, reason="亲属在该企业任职")
    made = draws.perform(draws.commit(agency, plan_id="double_random", period="2026Q4", inspect_on=timezone.now(),
                                      actor=supervisor), actor=supervisor)
    drawn = {o for officers in made.result["assignments"].values() for o in officers}
    assert drawn == {"SZ004", "SZ005"}


def test_same_seed_same_result_and_the_order_of_the_lists_does_not_matter():
    targets, officers = [f"T{n}" for n in range(50)], [f"O{n}" for n in range(8)]
    first = algorithm.draw("seed", targets, officers, 0.2, 2, [])
    assert first == algorithm.draw("seed", list(reversed(targets)), list(reversed(officers)), 0.2, 2, [])
    assert first != algorithm.draw("other seed", targets, officers, 0.2, 2, [])
    assert len(first["targets"]) == 10


def test_only_supervisors_or_heads_draw_and_only_from_the_packs_plans(ruzhou):
    agency, staff, supervisor = ruzhou
    with pytest.raises(draws.DrawRefused):
        draws.commit(agency, plan_id="double_random", period="Q4", inspect_on=timezone.now(), actor=staff[0])
    with pytest.raises(draws.DrawRefused):
        draws.commit(agency, plan_id="no_such_plan", period="Q4", inspect_on=timezone.now(), actor=supervisor)


def test_the_draw_through_the_pages(client, ruzhou, tmp_path):
    from tests.conftest import login

    agency, staff, supervisor = ruzhou
    login(client, supervisor)
    report = client.post("/supervision/targets/", {"file": _csv("名称,统一社会信用代码\n坏行,123\n")})
    assert report.context["report"].rejected == [(2, report.context["report"].rejected[0][1])]
    client.post("/supervision/draws/", {"plan": "double_random", "period": "2026年第四季度",
                                        "inspect_on": "2026-12-01T09:00"})
    made = agency_draw = draws.Draw.objects.get()
    page = client.get(f"/supervision/draws/{made.pk}/").content.decode()
    assert made.seed_hash in page and made.seed not in page  # the seed stays secret until the draw
    client.post(f"/supervision/draws/{made.pk}/draw/")
    agency_draw.refresh_from_db()
    page = client.get(f"/supervision/draws/{made.pk}/")
    assert page.context["verified"] and made.seed in page.content.decode()
    record = client.get(f"/supervision/draws/{made.pk}/record.json").content
    import json
    import subprocess
    import sys

    path = tmp_path / "draw.json"
    path.write_bytes(record)
    run = subprocess.run([sys.executable, "-m", "lawtrace_verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
    forged = json.loads(record)
    forged["result"]["targets"].append("91410482MA0000000X")  # a target slipped into the published result
    path.write_text(json.dumps(forged), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "lawtrace_verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 1 and "重新抽取的结果不同" in run.stdout
    client.force_login(staff[0])
    assert 'name="file"' not in client.get("/supervision/targets/").content.decode()  # no import form offered
    assert client.post("/supervision/targets/", {"file": _csv("名称,统一社会信用代码\n")}).status_code == 403


@pytest.fixture
def pingdingshan(db):
    agency = AgencyFactory(code="pingdingshan-emergency", name="平顶山高新区应急管理局",
                           pack_code="pingdingshan_emergency")
    staff = [officer(agency, staff_number=f"AJ{n:03d}", full_name=f"安监员{n}") for n in range(1, 5)]
    supervisor = UserFactory(agency=agency, roles=(Role.SUPERVISOR,))
    for number, code in enumerate(CODES, start=1):
        InspectionTarget.objects.create(agency=agency, name=f"高新区某企业{number}", credit_code=code)
    return agency, staff, supervisor


def test_001_1_the_draw_session_is_an_activity_of_its_own_to_be_recorded(pingdingshan):
    agency, staff, supervisor = pingdingshan
    at = timezone.now() + dt.timedelta(days=1)
    session = draws.Session(at, staff[:2])
    with pytest.raises(draws.DrawRefused, match="比例|share"):  # 001 sets no share: it is given at the draw
        draws.commit(agency, plan_id="random_inspection", period="2026Q4", inspect_on=at, actor=supervisor,
                     session=session)
    with pytest.raises(draws.DrawRefused, match="001/1"):  # nor may the session go unplanned
        draws.commit(agency, plan_id="random_inspection", period="2026Q4", inspect_on=at, actor=supervisor,
                     share=0.3)
    with pytest.raises(draws.DrawRefused):  # the session's officers must be qualified (004/7 and the like)
        draws.commit(agency, plan_id="random_inspection", period="2026Q4", inspect_on=at, actor=supervisor,
                     share=0.3, session=draws.Session(at, [supervisor]))
    assert not draws.Draw.objects.exists() and not Activity.objects.exists()

    made = draws.commit(agency, plan_id="random_inspection", period="2026Q4", inspect_on=at, actor=supervisor,
                        share=0.3, session=session)
    assert made.share == 0.3 and made.session.stage == "random_inspection_draw"
    assert set(made.session.officers.all()) == set(staff[:2]) and made.session.planned_start == at
    assert Event.objects.get(verb="draw.commit", result="done").after["session"] == made.session_id
    done = draws.perform(made, actor=supervisor)
    assert len(done.result["targets"]) == 3
    inspections = Activity.objects.exclude(pk=made.session_id)
    assert inspections.count() == 3 and {a.stage for a in inspections} == {"on_site_inspection"}


def test_001_1_the_draw_session_through_the_page(client, pingdingshan):
    from tests.conftest import login

    agency, staff, supervisor = pingdingshan
    login(client, supervisor)
    page = client.get("/supervision/draws/")
    assert page.context["needs_share"] and page.context["needs_session"]
    client.post("/supervision/draws/", {"plan": "random_inspection", "period": "2026年第四季度",
                                        "inspect_on": "2026-12-01T09:00", "share_percent": "20",
                                        "session_at": "2026-11-30T09:00",
                                        "session_officers": [staff[0].pk, staff[1].pk]})
    made = draws.Draw.objects.get()
    assert made.share == 0.2 and made.session is not None
    detail = client.get(f"/supervision/draws/{made.pk}/").content.decode()
    assert f"/activities/{made.session_id}/" in detail


def test_001_1_the_agency_rules_page_shows_the_plan_and_its_draw_session(client, pingdingshan):
    from django.urls import reverse

    from tests.conftest import login

    _agency, _staff, supervisor = pingdingshan
    login(client, supervisor)
    page = client.get(reverse("agency_rules")).content.decode()
    assert "随机抽查" in page and "抽取过程记录环节" in page and "draw_stage" not in page
