"""The clients of bench/cluster.py: browsers uploading with tus and players fetching ranges, both retrying as
real ones do (an upload asks the offset again and resumes; a player asks for the range again)."""

from __future__ import annotations

import html
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "Bench-2026-password"


@dataclass
class Media:
    path: Path
    size: int
    sha256: str
    sm3: str


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    uploaded_bytes: int = 0
    retries: int = 0
    first_bytes_ms: list[float] = field(default_factory=list)
    first_bytes_at: list[float] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        with self.lock:
            self.events.append(f"{time.strftime('%H:%M:%S')} {text}")
        print(text, file=sys.stderr, flush=True)


class Browser:
    """One client's HTTPS connection to the proxy, with its session cookies."""

    def __init__(self, port: int, cert: Path, cookies: dict[str, str] | None = None) -> None:
        import urllib3

        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.pool = urllib3.HTTPSConnectionPool("127.0.0.1", port, ca_certs=str(cert), maxsize=1, retries=False,
                                                timeout=urllib3.Timeout(connect=10, read=120))
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body=None, headers: dict | None = None, stream: bool = False):
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Origin": self.origin,
                "Referer": self.origin + "/", **(headers or {})}
        if "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        response = self.pool.urlopen(method, path, body=body, headers=sent, preload_content=not stream,
                                     redirect=False)
        for header in response.headers.getlist("Set-Cookie"):
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def login(self, username: str) -> None:
        page = self.request("GET", "/accounts/login/").data.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        from urllib.parse import urlencode

        response = self.request("POST", "/accounts/login/", body=urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        if response.status != 302:
            raise RuntimeError(f"login of {username} answered {response.status}")


TUS = {"Tus-Resumable": "1.0.0"}


def _pause(attempt: int) -> None:
    time.sleep(min(0.25 * 2 ** attempt, 4) + random.random() * 0.2)


def upload(browser: Browser, media: Media, chunk: int, tally: Tally, deadline: float) -> tuple[str, bool]:
    """tus as the browser's uploader does it: create, then PATCH chunk after chunk; after any failure ask the
    offset (HEAD) and resume from there."""
    import base64

    name = base64.b64encode(media.path.name.encode()).decode()
    location, attempt = "", 0
    while not location:
        try:
            response = browser.request("POST", "/evidence/tus/", headers={
                **TUS, "Upload-Length": str(media.size), "Upload-Metadata": f"filename {name}"})
            if response.status == 201:
                location = "/" + response.headers["Location"].split("/", 3)[3]
                break
            if response.status < 500:
                raise RuntimeError(f"create answered {response.status}: {response.data[:200]!r}")
        except OSError:
            pass
        except Exception as exc:  # noqa: BLE001 — urllib3's errors are not all OSErrors
            if "answered" in str(exc):
                raise
        attempt += 1
        with tally.lock:
            tally.retries += 1
        if time.monotonic() > deadline:
            return "", False
        _pause(attempt)
    offset, attempt = 0, 0
    with open(media.path, "rb") as source:
        while offset < media.size and time.monotonic() < deadline:
            source.seek(offset)
            body = source.read(chunk)
            try:
                response = browser.request("PATCH", location, body=body, headers={
                    **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
                if response.status == 204:
                    new = int(response.headers["Upload-Offset"])
                    with tally.lock:
                        tally.uploaded_bytes += new - offset
                    offset, attempt = new, 0
                    continue
            except Exception:  # noqa: BLE001 — a node died mid-chunk: resume below
                pass
            attempt += 1
            with tally.lock:
                tally.retries += 1
            _pause(attempt)
            offset = _ask_offset(browser, location, tally, deadline, offset)
    return location.rstrip("/").rsplit("/", 1)[-1], offset == media.size


def _ask_offset(browser: Browser, location: str, tally: Tally, deadline: float, fallback: int) -> int:
    attempt = 0
    while time.monotonic() < deadline:
        try:
            response = browser.request("HEAD", location, headers=TUS)
            if response.status == 200:
                return int(response.headers["Upload-Offset"])
        except Exception:  # noqa: BLE001
            pass
        attempt += 1
        with tally.lock:
            tally.retries += 1
        _pause(attempt)
    return fallback


def view(browser: Browser, record_id: int, original: bytes, ranges: int, span: int, tally: Tally,
         until: threading.Event, deadline: float) -> bool:
    """A player: opens the viewing page (a view on the record), then fetches ranges as playback and seeking ask for
    them, a few seconds apart, checking every byte against the original."""
    rng = random.Random(record_id * 1000 + id(browser))
    source = ""
    for done in range(ranges):
        start = rng.randrange(0, max(len(original) - span, 1))
        end = min(start + span, len(original)) - 1
        attempt = 0
        while True:
            try:
                if not source:
                    page = browser.request("GET", f"/evidence/{record_id}/play/")
                    found = re.search(r'<video id="player"[^>]* src="([^"]+)"', page.data.decode()) \
                        if page.status == 200 else None
                    if found is None:
                        raise RuntimeError(f"viewing page answered {page.status}")
                    source = html.unescape(found.group(1))
                began = time.monotonic()
                response = browser.request("GET", source, headers={"Range": f"bytes={start}-{end}"}, stream=True)
                first = response.read(16 << 10) if response.status == 206 else b""
                waited = (time.monotonic() - began) * 1000
                body = first + response.read()
                response.release_conn()
                if response.status == 206 and body == original[start:end + 1]:
                    with tally.lock:
                        tally.first_bytes_ms.append(waited)
                        tally.first_bytes_at.append(began)
                    break
                if response.status == 403:
                    source = ""  # the viewing page again, as a player whose link expired
            except Exception:  # noqa: BLE001 — connection reset by a dying node: the player asks again
                pass
            attempt += 1
            with tally.lock:
                tally.retries += 1
            if attempt > 8 or time.monotonic() > deadline:
                return False
            _pause(attempt)
        if done + 1 < ranges:
            until.wait(rng.uniform(1.5, 3.5))
    return True
