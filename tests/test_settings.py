import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lawtrace import env

ROOT = Path(__file__).resolve().parent.parent


def test_locale_and_time_zone_are_chinese():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_boolean_stops_start_up(monkeypatch, value):
    monkeypatch.setenv("X_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.env_bool("X_FLAG", False)


def test_integer_range_is_enforced(monkeypatch):
    monkeypatch.setenv("X_NUMBER", "3")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 10"):
        env.env_int("X_NUMBER", 20, minimum=10)
    monkeypatch.setenv("X_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env.env_int("X_NUMBER", 20)


def test_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n", encoding="utf-8")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env.env_str("X_SECRET") == "s3cret-value"


def test_relative_data_dir_is_refused(monkeypatch):
    monkeypatch.setenv("X_DIR", "var")
    with pytest.raises(ImproperlyConfigured, match="absolute"):
        env.env_path("X_DIR", Path("/tmp"))


def _start(extra_env: dict) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrace.settings", **extra_env}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_bad_database_url_stops_start_up():
    result = _start({"DATABASE_URL": "mysql://localhost/x"})
    assert result.returncode != 0
    assert "DATABASE_URL must point to SQLite or PostgreSQL" in result.stderr


def test_short_secret_key_stops_start_up():
    result = _start({"LAWTRACE_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "LAWTRACE_SECRET_KEY must be at least 32 characters" in result.stderr


@pytest.mark.parametrize(("handler", "words"), [("server_error", "服务器未能完成"), ("bad_request", "无法理解")])
def test_error_pages_are_chinese_and_need_neither_request_context_nor_database(rf, handler, words):
    from django.core.exceptions import BadRequest
    from django.views import defaults

    request = rf.get("/")
    if handler == "server_error":
        response = defaults.server_error(request)
    else:
        response = defaults.bad_request(request, BadRequest())
    assert words in response.content.decode()
