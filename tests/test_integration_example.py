"""The example client in examples/ works against a live server: it opens a case and an activity through the
integration API, files a recording through the station API and reads the activity's findings (issue 25)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from cases.models import Activity, Case
from evidence.models import Record
from evidence.services import create_station
from evidence.synthetic import make_video
from integration import accounts
from tests.factories import DeviceFactory, officer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_the_example_client_creates_a_case_and_activity_files_a_recording_and_reads_findings(live_server, agency,
                                                                                              tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    person = officer(agency, staff_number="A5001")
    device = DeviceFactory(agency=agency)
    _station, station_token = create_station(agency, name="一号采集站")
    system = accounts.create_account(agency, name="执法办案系统")
    _token, token = accounts.issue_token(system, operations=["cases.write", "compliance.read"],
                                         expires_at=timezone.now() + dt.timedelta(days=1))
    clip = make_video(tmp_path / "现场.mp4", seconds=1, fps=8, created=timezone.now() - dt.timedelta(minutes=20))
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "integration_client.py"), "--url", live_server.url, "--token",
         token, "--station-token", station_token, "--device", device.serial, "--officer", "A5001", "--file",
         str(clip), "--case-number", "示例〔2026〕1号"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    case = Case.objects.get(pk=result["case"]["id"])
    activity = Activity.objects.get(pk=result["activity"]["id"])
    assert list(case.handlers.all()) == [person] and activity.case == case
    assert [f["status"] for f in result["filed"]] == ["filed"]
    record = Record.objects.get(officer=person, device=device)
    assert result["findings"] == [] or {f["activity"] for f in result["findings"]} == {activity.pk}
    # What the client did is on record under the system's and the station's names.
    from ledger.models import Event

    assert Event.objects.filter(verb="case.create", actor_label="执法办案系统", object_id=str(case.pk)).exists()
    assert Event.objects.filter(verb="record.ingest", object_id=str(record.pk)).exists()


def test_the_schema_describes_the_integration_api_and_its_page_uses_no_cdn(client, agency):
    from authz.roles import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(agency=agency, roles=(Role.SYSTEM_ADMIN,)))
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/cases/", "/api/v1/activities/", "/api/v1/findings/", "/api/v1/feed/",
                 "/api/v1/access/register/", "/api/v1/retention/due/", "/api/v1/supervision/results/"):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["SystemToken"]["scheme"] == "bearer"
    page = client.get("/api/schema/ui/").content.decode()
    assert "drf_spectacular_sidecar" in page and "cdn" not in page.lower() and "<script>" not in page
    script = client.get("/api/schema/ui/", {"script": ""})
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()
