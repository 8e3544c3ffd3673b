#!/usr/bin/env python3
"""An example client of the Lawtrace integration API, using nothing but the Python standard library.

What a case-handling system (办案系统) does: open a case and an enforcement activity (with ids of its own and
idempotency keys, so a retry never makes two), then — as a collection station would — file a recording through the
station API, and finally read the compliance findings the activity now has.

    python examples/integration_client.py --url https://lawtrace.example.gov.cn --token lt_… \\
        --station-token … --device DSJ00001 --officer A1001 --file 现场.mp4

The system token comes from the system administrator (“对接系统” page or ``manage.py integration token``) with the
operations ``cases.write`` and ``compliance.read``; the station token from ``manage.py station add``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path


class ApiError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        self.status, self.body = status, body
        super().__init__(f"{status} {body.get('code')}: {body.get('message')} {body.get('errors', '')}")


def call(base: str, method: str, path: str, *, auth: str, body: dict | None = None, data: bytes | None = None,
         content_type: str = "application/json", headers: dict[str, str] | None = None) -> dict:
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method, headers={
        "Authorization": auth, "Accept": "application/json", **({"Content-Type": content_type} if data else {}),
        **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise ApiError(error.code, json.loads(error.read() or b"{}")) from None


def multipart(fields: dict[str, str], files: dict[str, Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def run(url: str, token: str, station_token: str, device: str, officer: str, recording: Path,
        case_number: str) -> dict:
    system = f"Bearer {token}"
    # The same case number gives the same keys: running again after a timeout never opens a second case.
    key = hashlib.sha256(case_number.encode()).hexdigest()[:32]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    case = call(url, "POST", "/api/v1/cases/", auth=system, headers={"Idempotency-Key": f"case-{key}"},
                body={"number": case_number, "title": "某公司违规使用财政资金案", "category": "penalty",
                      "party_kind": "organisation", "party_name": "某商贸有限公司",
                      "opened_on": now.date().isoformat(), "handlers": [officer], "external_id": case_number})
    activity = call(url, "POST", "/api/v1/activities/", auth=system,
                    headers={"Idempotency-Key": f"activity-{key}"},
                    body={"case": case["id"], "category": "penalty", "stage": "on_site_enforcement",
                          "place": "城关镇建设路18号", "planned_start": (now - dt.timedelta(hours=1)).isoformat(),
                          "planned_end": (now + dt.timedelta(hours=1)).isoformat(),
                          "actual_start": (now - dt.timedelta(minutes=30)).isoformat(), "officers": [officer],
                          "external_id": f"{case_number}-现场检查"})
    data, content_type = multipart({"device": device, "officer": officer, "path": f"DCIM/{recording.name}"},
                                   {"file": recording})
    filed = call(url, "POST", "/api/v1/station/dumps/", auth=f"Station {station_token}", data=data,
                 content_type=content_type)
    findings = call(url, "GET", f"/api/v1/findings/?activity={activity['id']}&state=all", auth=system)
    return {"case": case, "activity": activity, "filed": filed["results"], "findings": findings["results"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True, help="the connected system's token")
    parser.add_argument("--station-token", required=True)
    parser.add_argument("--device", required=True, help="the camera's serial number")
    parser.add_argument("--officer", required=True, help="the officer's staff or certificate number")
    parser.add_argument("--file", required=True, type=Path, help="a recording to file")
    parser.add_argument("--case-number", default=f"示例〔{dt.date.today().year}〕{uuid.uuid4().hex[:6]}号")
    args = parser.parse_args(argv)
    try:
        result = run(args.url, args.token, args.station_token, args.device, args.officer, args.file,
                     args.case_number)
    except ApiError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
