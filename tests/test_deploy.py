"""The deployment reference in deploy/ is tested: the systemd units verify, gunicorn loads its configuration, nginx
accepts the site, and the cluster bench's small form (2 uploads, 10 viewers, a web node killed) runs on PostgreSQL
and a SeaweedFS cluster through exactly these files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "bench"))

import cluster_nodes  # noqa: E402

UNITS = ["lawtrace-web.service", "lawtrace-worker@.service", "lawtrace-scheduler.service",
         "lawtrace-backup.service", "lawtrace-backup.timer"]


def test_systemd_units_verify(tmp_path):
    """systemd's own checker, on the units as installed for this checkout (the paths differ, nothing else)."""
    env_file = tmp_path / "lawtrace.env"
    env_file.write_text("", encoding="utf-8")
    names = []
    for unit in UNITS:
        text = (ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
        text = text.replace("/opt/lawtrace", str(ROOT)).replace("/etc/lawtrace/lawtrace.env", str(env_file))
        text = re.sub(r"^(User|Group)=lawtrace$", r"\1=root", text, flags=re.M)
        name = unit.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
        names.append(name)
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_units_run_commands_that_exist():
    commands = {unit: cluster_nodes.unit_command(unit, "1") for unit in UNITS if unit.endswith(".service")}
    assert commands["lawtrace-web.service"][-3:] == ["--config", "deploy/gunicorn.conf.py",
                                                     "lawtrace.wsgi:application"]
    manage = [c for c in commands.values() if "manage.py" in c]
    help_text = subprocess.run([sys.executable, "manage.py", "help", "--commands"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.split()
    for command in manage:
        assert command[command.index("manage.py") + 1] in help_text


def test_gunicorn_accepts_its_configuration():
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "gunicorn"), "--check-config", "--config",
                             "deploy/gunicorn.conf.py", "lawtrace.wsgi:application"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nginx_accepts_the_site_with_its_upload_and_streaming_settings(tmp_path):
    site_text = (ROOT / "deploy" / "nginx" / "lawtrace.conf").read_text(encoding="utf-8")
    tus = site_text[site_text.index("location /evidence/tus/"):]
    assert "proxy_request_buffering off;" in tus.split("}")[0] and "client_max_body_size 0;" in tus.split("}")[0]
    streams = site_text[site_text.index(r"location ~ ^/evidence/\d+/stream/"):]
    assert "proxy_buffering off;" in streams.split("}")[0]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site_text  # overwritten, never appended
    cert, key = cluster_nodes.make_certificate(tmp_path)
    site = tmp_path / "site.conf"
    site.write_text(cluster_nodes.render_nginx_site(["127.0.0.1:8001", "127.0.0.1:8002"], 8443, 8080, cert, key),
                    encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(cluster_nodes.nginx_main(tmp_path, site), encoding="utf-8")
    result = subprocess.run([cluster_nodes.nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(main)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_variable_of_the_environment_template_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    template = (ROOT / "deploy" / "lawtrace.env").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?(LAWTRACE_[A-Z0-9_]+?)(?:_FILE)?=", template, flags=re.M))
    documented = set(re.findall(r"LAWTRACE_[A-Z0-9_]+", readme))
    for line in readme.splitlines():  # "`LAWTRACE_S3_ENDPOINT` / `_BUCKET`" names LAWTRACE_S3_BUCKET too
        first = re.search(r"`(LAWTRACE_[A-Z0-9_]+)`", line)
        if first:
            family = first.group(1).rsplit("_", 1)[0]
            documented |= {family + suffix for suffix in re.findall(r"`(_[A-Z0-9_]+)`", line)}
    assert sorted(names - documented) == []


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="runs once per `make test`, in its PostgreSQL pass (it starts its own cluster)")
def test_cluster_small_form_files_everything_once_through_a_killed_web_node():
    assert shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
    result = subprocess.run([sys.executable, "bench/cluster.py", "--small"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    figures = dict(item.split("=") for item in last.split())
    assert figures.get("verify") == "ok", result.stdout + result.stderr[-3000:]
    assert (figures["uploads_ok"], figures["upload_errors"], figures["viewers_ok"], figures["viewer_errors"],
            figures["lost"]) == ("2", "0", "10", "0", "0"), last
    assert "killed web1" in result.stderr
