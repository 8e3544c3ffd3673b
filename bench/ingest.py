"""Ingest benchmark: prints key=value figures, the last line as the ingest issue specifies.

    .venv/bin/python bench/ingest.py                   # 2 GiB and 4 GiB files and 1,000 photos
    BENCH_SIZES_GB=1 BENCH_PHOTOS=200 .venv/bin/python bench/ingest.py

Each large file is ingested in a process of its own, so its peak memory is its own. The baseline is raw
single-core SM3 over the same bytes in the same process, measured just before the ingest. Each file's line also
gives the CPU seconds the ingest used (all its threads), those raw SM3 used, and the machine's load average: on a
busy machine, where the kernel shares the CPU between sessions rather than threads, the ingest's second core is
not there to be had, and ``raw_cpu_s / cpu_s`` is the ratio it can reach at best.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES_GB = [float(s) for s in os.environ.get("BENCH_SIZES_GB", "2,4").split(",")]
PHOTOS = int(os.environ.get("BENCH_PHOTOS", "1000"))
# Random bytes are generated a block at a time; a small block keeps the bench's own making of the file out of the
# ingest's peak memory.
BLOCK = 8 << 20


def setup_django(data: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(LAWTRACE_DATA_DIR=data, DATABASE_URL=f"sqlite:///{data}/bench.sqlite3",
                      DJANGO_SETTINGS_MODULE="lawtrace.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def origin():
    from evidence.ingest import Origin
    from org.models import Agency, User
    from org.services import create_agency, create_staff

    pack = os.environ.get("BENCH_PACK") or sorted(p.name for p in (ROOT / "policy" / "packs").iterdir())[0]
    from django.test.utils import override_settings

    agency = Agency.objects.filter(code="bench").first() or create_agency(code="bench", name="基准测试局",
                                                                          pack_code=pack)
    # The bench's account never logs in. Its Argon2 hash alone would take 100 MiB (Django's memory cost), the
    # whole peak the benchmark exists to measure, and no ingest ever hashes a password.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        user = User.objects.filter(username="bench").first() or create_staff(
            agency, username="bench", full_name="基准", password="Bench-2026-password")
    return Origin(agency=agency, channel="upload", ingested_by=user, officer=user)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_big(path: Path, size: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            piece = block[: min(BLOCK, size - written)]
            out.write(piece)
            written += len(piece)


def raw_sm3_mb_s(path: Path) -> tuple[float, float]:
    """Single-core SM3 of the file: MB/s, and the CPU seconds it took."""
    import hashlib

    digest = hashlib.new("sm3")
    start, cpu = time.perf_counter(), os.times()
    with open(path, "rb") as source:
        while chunk := source.read(4 << 20):
            digest.update(chunk)
    used = os.times()
    return (path.stat().st_size / (1 << 20) / (time.perf_counter() - start),
            used.user + used.system - cpu.user - cpu.system)


def one_file(data: str, size_gb: float) -> dict:
    setup_django(data)
    from evidence.ingest import ingest_file

    source = Path(data) / f"big-{size_gb:g}g.mp4"
    make_big(source, int(size_gb * (1 << 30)))
    os.sync()  # a camera dump is on disk before it is imported; its write-back must not cloud the figures
    raw, raw_cpu = raw_sm3_mb_s(source)
    start, cpu = time.perf_counter(), os.times()
    outcome = ingest_file(source, source.name, origin())
    elapsed = time.perf_counter() - start
    used = os.times()
    assert outcome.created and outcome.record.blob.size == source.stat().st_size
    source.unlink()
    ingest = source_size_mb(outcome) / elapsed
    return {"size_gb": size_gb, "raw_sm3_mb_s": round(raw, 1), "ingest_mb_s": round(ingest, 1),
            "ratio": round(ingest / raw, 3), "peak_rss_mb": round(peak_rss_mb(), 1),
            "ingest_s": round(elapsed, 2), "cpu_s": round(used.user + used.system - cpu.user - cpu.system, 2),
            "raw_cpu_s": round(raw_cpu, 2), "load1": round(os.getloadavg()[0], 2)}


def source_size_mb(outcome) -> float:
    return outcome.record.blob.size / (1 << 20)


def photos(data: str, count: int) -> dict:
    setup_django(data)
    import io

    from PIL import Image

    from evidence.ingest import ingest_file

    who = origin()
    folder = Path(data) / "photos"
    folder.mkdir()
    paths = []
    for index in range(count):
        image = Image.new("RGB", (1280, 960), (index % 256, (index // 256) % 256, 90))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        path = folder / f"IMG_{index:05d}.jpg"
        path.write_bytes(buffer.getvalue() + index.to_bytes(4, "big"))
        paths.append(path)
    os.sync()  # the photos are on disk before they are imported, as a camera dump would be
    start = time.perf_counter()
    for path in paths:
        ingest_file(path, path.name, who)
    elapsed = time.perf_counter() - start
    return {"photos": count, "photos_per_s": round(count / elapsed, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def child(mode: str, arg: str) -> dict:
    data = tempfile.mkdtemp(prefix="lawtrace-bench-ingest-", dir=os.environ.get("BENCH_DIR"))
    try:
        result = subprocess.run([sys.executable, __file__, mode, arg, data], check=True, capture_output=True,
                                text=True)
    finally:
        subprocess.run(["chmod", "-R", "u+w", data], check=False)
        subprocess.run(["rm", "-rf", data], check=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 4:
        mode, arg, data = sys.argv[1:]
        result = one_file(data, float(arg)) if mode == "file" else photos(data, int(arg))
        print(json.dumps(result))
        return
    files = [child("file", str(size)) for size in SIZES_GB]
    for result in files:
        print(" ".join(f"{k}={v}" for k, v in result.items()))
    shots = child("photos", str(PHOTOS))
    print(" ".join(f"{k}={v}" for k, v in shots.items()))
    ratio = min(r["ratio"] for r in files)
    peak = max([r["peak_rss_mb"] for r in files] + [shots["peak_rss_mb"]])
    print(f"ingest_ratio={ratio} peak_rss_mb={peak} photos_per_s={shots['photos_per_s']}")


if __name__ == "__main__":
    main()
