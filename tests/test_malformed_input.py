"""Malformed input answers 400 with a Chinese message, never 500 (000/1/4: the system stays available to its users).

The fuzz walk sends every parameter name the code reads, set to values people and scripts actually send by mistake
(an impossible date, a 30-digit id, a control character, a huge string …), to every route, as each role the route
lets through, by GET and, for routes that take forms, by POST (rolled back). Nothing may answer 500 or raise.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from authz.routes import PSEUDO, declaration
from tests.test_access_matrix import _patterns, expected, world  # noqa: F401 (world is a fixture)

ROOT = Path(__file__).resolve().parent.parent
APPS = ("access", "authz", "cases", "compliance", "devices", "evidence", "ledger", "org", "policy", "retention",
        "supervision", "lawtrace")
READ = re.compile(r"""(?:GET|POST|query_params|data)(?:\.get|\.getlist|\[)\(?\s*["']([a-z_0-9]+)["']""")
JUNK = ("2026-13-45", "9" * 30, "-1\x00", "a" * 3000)


def parameter_names() -> list[str]:
    """Every request parameter the apps read by name, plus the fields of their forms' usual names."""
    names: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                names.update(READ.findall(path.read_text(encoding="utf-8")))
    return sorted(names | {"page", "from", "to", "since", "until", "case", "record", "records", "q"})


def test_the_walk_knows_the_parameters_pages_read():
    names = parameter_names()
    assert {"case", "from", "page", "records", "q"} <= set(names) and len(names) > 40


def _roles_let_through(spec, people, arguments, method):
    return [user for user in people.values() if expected(spec, user, arguments or {}, method) == "through"]


def test_000_1_4_every_route_answers_malformed_parameters_without_a_server_error(world, client):  # noqa: F811
    people, kwargs = world
    names = parameter_names()
    failures, sent = [], 0
    for pattern in _patterns():
        spec = declaration(pattern.callback)
        if spec is None or spec.capability in PSEUDO - {"signed_in"}:
            continue
        for method in ("GET", "POST") if (spec.methods is None or "POST" in spec.methods or spec.post) else ("GET",):
            if spec.methods and method not in spec.methods:
                continue
            arguments = kwargs.get(pattern.name)
            probe = arguments(people["handler"]) if callable(arguments) else arguments
            users = _roles_let_through(spec, people, probe, method)
            if not users:
                continue
            user = users[0]
            resolved = arguments(user) if callable(arguments) else arguments
            url = reverse(pattern.name, kwargs=resolved)
            client.force_login(user)
            for junk in JUNK:
                data = {name: junk for name in names}
                sent += 1
                with transaction.atomic():
                    try:
                        response = client.get(url, data) if method == "GET" else client.post(url, data)
                        status = response.status_code
                    except Exception as error:  # noqa: BLE001 - a raise is the failure this test looks for
                        status = f"raised {type(error).__name__}: {str(error)[:120]}"
                    transaction.set_rollback(True)
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{method} {pattern.name} {junk[:20]!r}: {status}")
                    break
    assert sent > 300
    assert failures == [], "\n".join(failures)
    # The ones found by hand (issue 19): each answers in Chinese, saying what was wrong.
    client.force_login(people["head"])
    for url in ("/activities/?from=2026-13-45", "/evidence/?case=" + "9" * 30, "/access/new/?case=" + "9" * 23):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        if response.status_code == 400:
            assert re.search(r"[\u4e00-\u9fff]", response.content.decode()), url


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_000_2_7_a_docking_time_no_camera_can_show_is_refused(when):
    from evidence.api import DockingSerializer

    serializer = DockingSerializer(data={"device": "X1", "device_time": when})
    assert not serializer.is_valid() and "device_time" in serializer.errors
    plausible = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3650)).isoformat()
    assert DockingSerializer(data={"device": "X1", "device_time": plausible}).is_valid()
