"""The processes of a loopback cluster for bench/cluster.py: PostgreSQL, SeaweedFS, web nodes, workers, the
scheduler and nginx, started from the very files in deploy/ (the systemd units' command lines, the gunicorn
configuration, the nginx site), and all stopped again whatever happens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))  # after the project: bench/ledger.py must not shadow the ledger app

import seaweed_cluster  # noqa: E402  (a sibling script, not a package)

HOST = socket.gethostname()


def free_port() -> int:
    return seaweed_cluster.free_ports(1)[0]


def unit_command(unit: str, instance: str = "") -> list[str]:
    """The ExecStart of a unit in deploy/systemd, for this checkout instead of /opt/lawtrace."""
    text = (ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("/opt/lawtrace", str(ROOT))
    command = command.replace("%H", HOST).replace("%i", instance)
    return shlex.split(command)


def render_nginx_site(upstreams: list[str], https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/lawtrace.conf with this run's addresses, ports and certificate; nothing else changed."""
    site = (ROOT / "deploy" / "nginx" / "lawtrace.conf").read_text(encoding="utf-8")
    servers = "".join(f"    server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams)
    site, count = re.subn(r"(upstream lawtrace_web \{\n)(    server [^\n]*\n)+", lambda m: m.group(1) + servers,
                          site)
    assert count == 1, "the site's upstream block changed shape"
    replacements = [
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"), (r"listen \[::\]:80;\n", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;\n", ""), (r"server_name [^;]+;", "server_name 127.0.0.1;"),
        (r"ssl_certificate [^;]+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key [^;]+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, replacement in replacements:
        site, count = re.subn(pattern, replacement, site)
        assert count >= 1 or replacement == "", f"{pattern} not found in the site"
    return site


def nginx_main(prefix: Path, site: Path) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1; clients trust exactly this file."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def nginx_binary() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/bin/nginx"):
        if Path(candidate).exists():
            return candidate
    raise SystemExit("nginx not found: scripts/system-deps.sh installs it")


class Cluster:
    """Owns every process it starts; ``stop()`` ends them all (by process group), in a sensible order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_dir = root / "pg"
        self.s3_dir = root / "s3"
        self.database_url = ""
        self.endpoint = ""
        self.env: dict[str, str] = {}
        self.web_ports: dict[str, int] = {}
        self.https_port = 0
        self.cert = Path()

    # --- shared services -----------------------------------------------------------------------------------
    def start_postgres(self) -> str:
        script = ROOT / "scripts" / "pg-throwaway.sh"
        self.database_url = subprocess.run([str(script), "start", str(self.pg_dir)], check=True, text=True,
                                           capture_output=True).stdout.strip()
        import psycopg

        with psycopg.connect(self.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE lawtrace")
        return self.database_url

    def start_seaweedfs(self) -> str:
        self.endpoint = seaweed_cluster.start(self.s3_dir)
        return self.endpoint

    def base_env(self, https_port: int, secret: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("LAWTRACE_", "DATABASE_URL"))}
        self.env = {
            **keep, "DATABASE_URL": self.database_url, "LAWTRACE_SECRET_KEY": secret, "LAWTRACE_DEBUG": "false",
            "LAWTRACE_HTTPS": "true", "LAWTRACE_TRUSTED_PROXIES": "127.0.0.1",
            "LAWTRACE_ALLOWED_HOSTS": "127.0.0.1,localhost", "LAWTRACE_STORE": "s3", "LAWTRACE_UPLOAD_STORE": "s3",
            "LAWTRACE_S3_ENDPOINT": self.endpoint, "LAWTRACE_S3_BUCKET": "lawtrace",
            "LAWTRACE_S3_ACCESS_KEY": seaweed_cluster.ACCESS_KEY, "LAWTRACE_S3_SECRET_KEY": seaweed_cluster.SECRET_KEY,
            "LAWTRACE_S3_MIN_RETENTION_DAYS": "1", "LAWTRACE_LOG_FORMAT": "json", "LAWTRACE_LOG_LEVEL": "WARNING",
            "LAWTRACE_STATIC_ROOT": str(self.root / "static"), "LAWTRACE_LEDGER_CHECKPOINT_MINUTES": "1",
            "LAWTRACE_DATA_DIR": str(self.root / "control"), "LAWTRACE_LEDGER_KEY_DIR": str(self.root / "keys"),
            "PYTHONUNBUFFERED": "1",
        }
        self.https_port = https_port
        return self.env

    def node_env(self, name: str, **extra: str) -> dict[str, str]:
        """A node's environment: the shared services, and a data directory of its own."""
        data = self.root / "nodes" / name
        (data / "metrics").mkdir(parents=True, exist_ok=True)
        keys = data / "keys"
        if not keys.exists():  # the signing key is deployed to each machine, not shared through a disk
            keys.mkdir(mode=0o700)
            for source in (self.root / "keys").glob("*"):
                (keys / source.name).write_bytes(source.read_bytes())
                (keys / source.name).chmod(source.stat().st_mode & 0o777)
        return {**self.env, "LAWTRACE_DATA_DIR": str(data), "LAWTRACE_LEDGER_KEY_DIR": str(keys),
                "PROMETHEUS_MULTIPROC_DIR": str(data / "metrics"), **extra}

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, text=True,
                                capture_output=True, timeout=600)
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.root / f"{name}.log", "ab") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes[name] = process
        return process

    # --- Lawtrace processes ----------------------------------------------------------------------------------
    def start_web(self, name: str, processes: int = 2, threads: int = 16) -> int:
        port = free_port()
        env = self.node_env(name, LAWTRACE_BIND=f"127.0.0.1:{port}", LAWTRACE_WEB_PROCESSES=str(processes),
                            LAWTRACE_WEB_THREADS=str(threads))
        self._spawn(name, unit_command("lawtrace-web.service"), env)
        self.web_ports[name] = port
        return port

    def start_worker(self, name: str, instance: str) -> None:
        self._spawn(name, unit_command("lawtrace-worker@.service", instance), self.node_env(name))

    def start_scheduler(self, name: str) -> None:
        command = unit_command("lawtrace-scheduler.service")
        self._spawn(name, [*command[:-1], "5"], self.node_env(name))  # looks every 5 s instead of 15

    def start_proxy(self) -> int:
        prefix = self.root / "nginx"
        prefix.mkdir(exist_ok=True)
        self.cert, key = make_certificate(prefix)
        http_port = free_port()
        site = prefix / "site.conf"
        upstreams = [f"127.0.0.1:{port}" for port in self.web_ports.values()]
        site.write_text(render_nginx_site(upstreams, self.https_port, http_port, self.cert, key), encoding="utf-8")
        main = prefix / "nginx.conf"
        main.write_text(nginx_main(prefix, site), encoding="utf-8")
        subprocess.run([nginx_binary(), "-t", "-q", "-p", str(prefix), "-c", str(main)], check=True,
                       capture_output=True)
        self._spawn("nginx", [nginx_binary(), "-p", str(prefix), "-c", str(main), "-g", "daemon off;"], self.env)
        return self.https_port

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        for name, port in self.web_ports.items():
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except OSError as exc:
                    if self.processes[name].poll() is not None:
                        raise RuntimeError(f"{name} exited; see {self.root / (name + '.log')}") from exc
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

    def kill(self, name: str) -> None:
        """kill -9 of the process and everything it started, as when a machine loses power."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        order = ["nginx"] + [n for n in self.processes if n.startswith("web")] + \
            [n for n in self.processes if not n.startswith("web") and n != "nginx"]
        for name in order:
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
        if self.s3_dir.exists():
            seaweed_cluster.stop(self.s3_dir)
        if self.pg_dir.exists():
            subprocess.run([str(ROOT / "scripts" / "pg-throwaway.sh"), "stop", str(self.pg_dir)], check=False)
