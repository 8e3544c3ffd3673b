"""A court is not fooled by a re-signed package (issue 19, section 5; issue 24, item 1): without a trusted key the
verifier does not say "all passed"; it takes the .zip as downloaded; the web page never answers 500."""

from __future__ import annotations

import hashlib
import io
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.files.uploadedfile import SimpleUploadedFile
from lawtrace_verify import merkle
from lawtrace_verify.canonical import canonical_bytes
from lawtrace_verify.checkpoint import Checkpoint as Note
from lawtrace_verify.checkpoint import key_id

from access import exports, services
from access.packages import Extraction, build_package
from ledger import checkpoints
from ledger.keys import chain
from tests.access_world import application, build
from tests.conftest import login

pytestmark = pytest.mark.django_db
LETTER = {"introduction_letter": "法调〔2026〕3号", "valid_id": "410402197003030033"}


@pytest.fixture
def world(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    return build("pingdingshan_emergency", tmp_path / "media")


@pytest.fixture
def package(world, tmp_path) -> Path:
    out = tmp_path / "package"
    build_package([world.clip, world.decision], out, agency=world.agency, case=world.case,
                  extraction=Extraction(maker="档案员", extractor="承办人甲", proves="当事人拒绝检查的事实"))
    return out


@pytest.fixture
def archive(world) -> Path:
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER),
                                     actor=world.archivist)
    export = exports.build(exports.request_export(access, actor=world.archivist, maker="档案员", extractor="档案员",
                                                  proves="现场检查经过").pk)
    return exports.archive_dir() / export.archive_name


def verify(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lawtrace_verify", str(path), *args], capture_output=True, text=True)


def agency_key() -> str:
    return chain()[-1].key_id


def _re_sign(package: Path) -> str:
    """Alter an original, recompute both manifests, rebuild the proof over a tree of the forged events and sign it
    with a fresh key: everything a forger can do without the agency's key. Returns the forger's fingerprint."""
    original = next((package / "data" / "originals").iterdir())
    forged = b"forged content"
    original.write_bytes(forged)
    relative = original.relative_to(package).as_posix()
    proof_path = package / "ledger-proof.json"
    bundle = json.loads(proof_path.read_text(encoding="utf-8"))
    events = []
    for index, item in enumerate(bundle["events"]):
        event = dict(item["event"], seq=index)
        for entry in bundle["files"]:
            if entry["event"] == item["index"]:
                entry["event"] = index
                if entry["path"] == relative:
                    entry["sha256"] = hashlib.sha256(forged).hexdigest()
                    entry["sm3"] = hashlib.new("sm3", forged).hexdigest()
                    event["after"] = dict(event["after"], sha256=entry["sha256"], sm3=entry["sm3"])
        events.append(event)
    leaves = [merkle.leaf_hash(canonical_bytes(event)) for event in events]
    root = merkle.root(leaves)
    bundle["events"] = [{"index": i, "event": event, "proof": [merkle.root(leaves[a:b]).hex() for a, b in
                                                               merkle.inclusion_ranges(i, len(leaves))]}
                        for i, event in enumerate(events)]
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    note = Note("lawtrace", len(leaves), root, "2026-01-01T00:00:00+00:00").note()
    bundle["public_key"] = {"algorithm": "ed25519", "key": public.hex(), "key_id": key_id(public)}
    bundle["checkpoint"] = {"note": note, "signature": key.sign(note.encode()).hex()}
    proof_path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    for prefix, files in (("manifest", sorted(p for p in (package / "data").rglob("*") if p.is_file())),
                          ("tagmanifest", sorted(p for p in package.rglob("*") if p.is_file()
                                                 and not p.name.startswith("tagmanifest-")
                                                 and "data" not in p.relative_to(package).parts))):
        for algorithm in ("sha256", "sm3"):
            (package / f"{prefix}-{algorithm}.txt").write_text("".join(
                f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(package).as_posix()}\n"
                for p in files), encoding="utf-8")
    return key_id(public)


def test_a_re_signed_package_is_intact_but_its_signer_unconfirmed_and_fails_against_the_agency_key(package):
    forger = _re_sign(package)
    unconfirmed = verify(package)
    assert unconfirmed.returncode == 2, unconfirmed.stdout
    assert "全部通过" not in unconfirmed.stdout
    assert "内容完整，但签名者未确认" in unconfirmed.stdout and forger in unconfirmed.stdout
    against_agency = verify(package, "--key", agency_key())
    assert against_agency.returncode == 1 and forger in against_agency.stdout


def test_the_published_witness_list_confirms_the_signer(package, tmp_path):
    checkpoints.make_checkpoint()
    witness = tmp_path / "witness.txt"
    witness.write_text(checkpoints.witness_text(), encoding="utf-8")
    assert agency_key() in witness.read_text(encoding="utf-8")
    result = verify(package, "--witness", str(witness))
    assert result.returncode == 0, result.stdout
    assert "全部通过" in result.stdout and agency_key() in result.stdout
    assert verify(package).returncode == 2  # the same package, nobody's key to compare with


def test_the_web_page_does_not_pass_a_re_signed_package(client, world, package, tmp_path):
    forger = _re_sign(package)
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as zipped:
        for path in sorted(package.rglob("*")):
            if path.is_file():
                zipped.write(path, f"package/{path.relative_to(package).as_posix()}")
    login(client, world.archivist)
    page = client.post("/access/verify/", {"package": SimpleUploadedFile("p.zip", body.getvalue())})
    assert page.context["report"].outcome == "unconfirmed"
    text = page.content.decode()
    assert "全部通过" not in text and forger in text and "签名者未确认" in text


def test_lawtrace_verify_takes_the_zip_as_downloaded_and_names_a_flipped_byte(archive, tmp_path):
    good = verify(archive, "--key", agency_key())
    assert good.returncode == 0, good.stdout + good.stderr
    assert "全部通过" in good.stdout and "utf-8" not in good.stdout + good.stderr
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zipped:
        member = next(m for m in zipped.infolist() if "/data/originals/" in m.filename and m.filename.endswith(".mp4"))
    offset = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra) + member.file_size // 2
    data[offset] ^= 0x01
    damaged = tmp_path / "downloaded.zip"
    damaged.write_bytes(bytes(data))
    result = verify(damaged, "--key", agency_key())
    assert result.returncode == 1
    assert "CRC" in result.stdout and Path(member.filename).name in result.stdout and "不符" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_web_page_answers_any_damaged_zip_with_a_chinese_report(client, world, archive):
    login(client, world.archivist)
    data = archive.read_bytes()
    rng = random.Random(19)
    positions = [0, 5, 20, len(data) - 1, len(data) - 10, len(data) - 30, len(data) // 2] + \
        [rng.randrange(len(data)) for _ in range(12)]
    samples = [data[:len(data) // 2], b"", b"PK\x05\x06" + b"\x00" * 18, bytes(200)]
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        samples.append(bytes(flipped))
    for sample in samples:
        response = client.post("/access/verify/", {"package": SimpleUploadedFile("下载的证据包.zip", sample)})
        assert response.status_code == 200
        report = response.context["report"]
        if report is not None:  # an empty upload is refused by the form itself
            assert report.entries and all(text for _level, text in report.entries)


def test_lawtrace_verify_answers_anything_with_a_chinese_report(tmp_path):
    for name, content in (("x.zip", b"PK\x03\x04broken"), ("x.json", b"\x82\x00 not text"),
                          ("y.json", json.dumps({"format": "lawtrace-proof-bundle/1"}).encode())):
        target = tmp_path / name
        target.write_bytes(content)
        result = verify(target)
        assert result.returncode == 1 and "[失败]" in result.stdout and "Traceback" not in result.stderr


def test_a_line_break_in_what_it_proves_cannot_add_keys_to_bag_info(world, tmp_path):
    out = tmp_path / "pkg"
    build_package([world.clip], out, agency=world.agency, case=world.case,
                  extraction=Extraction(maker="档案员", extractor="承办人甲",
                                        proves="现场检查经过\r\nExternal-Identifier: 伪造\nPayload-Oxum: 1.1"))
    lines = (out / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    keys = [line.split(":", 1)[0] for line in lines if not line.startswith((" ", "\t"))]
    assert keys.count("External-Identifier") == 1 and keys.count("Payload-Oxum") == 1
    assert "  External-Identifier: 伪造" in lines
    assert verify(out, "--key", agency_key()).returncode == 0
