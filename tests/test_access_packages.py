"""Evidence packages (001/2/11): built from the ledger, checked offline by lawtrace-verify, every tampering named."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from access import exports, services
from access.models import PackageExport
from access.packages import Extraction, PackageError, build_package
from ledger.models import Event
from ledger.wording import shown
from tests.access_world import application, build
from tests.conftest import login

LETTER = {"introduction_letter": "法调〔2026〕3号", "valid_id": "410402197003030033"}


@pytest.fixture
def world(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"  # built archives land here, one folder per test
    return build("pingdingshan_emergency", tmp_path / "media")


@pytest.fixture
def package(world, tmp_path) -> Path:
    out = tmp_path / "package"
    build_package([world.clip, world.decision], out, agency=world.agency, case=world.case,
                  extraction=Extraction(maker="档案员", extractor="承办人甲", proves="当事人拒绝检查的事实"))
    return out


def verify(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lawtrace_verify", str(path), *args], capture_output=True, text=True)


def fingerprint() -> str:
    """The agency's signing key, as its published witness list names it."""
    from ledger.keys import chain

    return chain()[-1].key_id


def test_001_2_11_a_package_carries_originals_both_manifests_the_note_and_ledger_proofs(package, world):
    names = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sm3.txt", "tagmanifest-sha256.txt",
            "tagmanifest-sm3.txt", "ledger-proof.json", "README.txt", "data/explanatory-note.pdf"} <= names
    assert f"data/originals/{world.clip.pk:06d}_{world.clip.original_name}" in names  # Chinese name intact
    original = package / "data" / "originals" / f"{world.clip.pk:06d}_{world.clip.original_name}"
    assert __import__("hashlib").sha256(original.read_bytes()).hexdigest() == world.clip.blob.sha256
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(package / "data" / "explanatory-note.pdf").pages)
    for expected in ("承办人甲", "档案员", "当事人拒绝检查的事实", world.clip.blob.sha256[:16], fingerprint()):
        assert expected in text.replace("\n", "")
    export = Event.objects.get(verb="package.export")
    assert export.detail["records"] == [world.clip.pk, world.decision.pk]
    assert f"Signing-Key-Fingerprint: {fingerprint()}" in (package / "bag-info.txt").read_text(encoding="utf-8")
    result = verify(package, "--key", fingerprint())
    assert result.returncode == 0, result.stdout
    assert "与入库时记录的哈希一致" in result.stdout and "全部通过" in result.stdout


def test_the_verifier_shipped_inside_the_package_runs_without_lawtrace(package, tmp_path):
    # The README's way: a plain Python with only the package's own copy of the verifier on its path.
    result = subprocess.run([sys.executable, "-B", "-m", "lawtrace_verify", ".", "--key", fingerprint()], cwd=package,
                            capture_output=True, text=True,
                            env={"PYTHONPATH": "tools", "PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


def _original(package: Path) -> Path:
    return next((package / "data" / "originals").iterdir())


@pytest.mark.parametrize("tamper, named", [
    (lambda p: _original(p).write_bytes(_original(p).read_bytes()[:-1] + b"\x00"), "SHA256 不符"),
    (lambda p: (p / "data" / "originals" / "extra.mp4").write_bytes(b"planted"), "extra.mp4：不在清单"),
    (lambda p: _original(p).unlink(), "文件缺失"),
])
def test_a_changed_added_or_removed_file_is_named(package, tamper, named):
    tamper(package)
    result = verify(package)
    assert result.returncode == 1
    assert named.replace("SHA256", "SHA256".upper()) in result.stdout.replace("SHA-256", "SHA256")


def test_a_consistently_forged_file_and_manifests_still_fail_against_the_ledger(package):
    """Whoever swaps a file and rewrites both manifests cannot rewrite the ingest event the ledger signed."""
    import hashlib

    target = _original(package)
    target.write_bytes(b"forged content")
    relative = target.relative_to(package).as_posix()
    for algorithm in ("sha256", "sm3"):
        manifest = package / f"manifest-{algorithm}.txt"
        lines = [f"{hashlib.new(algorithm, b'forged content').hexdigest()}  {relative}" if line.endswith(relative)
                 else line for line in manifest.read_text(encoding="utf-8").splitlines()]
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tags = package / f"tagmanifest-{algorithm}.txt"
        tags.write_text("".join(
            f"{hashlib.new(algorithm, (package / line.split('  ', 1)[1]).read_bytes()).hexdigest()}  "
            f"{line.split('  ', 1)[1]}\n" for line in tags.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    result = verify(package)
    assert result.returncode == 1
    assert "文件与入库时记录的哈希不符" in result.stdout or "不符 hash mismatch" in result.stdout


def test_an_altered_proof_and_a_wrong_key_are_named(package):
    proof = package / "ledger-proof.json"
    bundle = json.loads(proof.read_text(encoding="utf-8"))
    assert verify(package, "--key", "0" * 16).returncode == 1
    bundle["events"][0]["event"]["after"]["sha256"] = "0" * 64
    proof.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    result = verify(package)
    assert result.returncode == 1
    assert "ledger-proof.json：SHA256 不符" in result.stdout.replace("SHA-256", "SHA256")
    assert "包含证明不成立" in result.stdout


def test_export_package_command_writes_a_case_package(world, tmp_path):
    out = tmp_path / "cmd"
    stdout = io.StringIO()
    call_command("export_package", "--case", world.case.number, "--out", str(out), stdout=stdout)
    assert "files" in stdout.getvalue()
    assert verify(out, "--key", fingerprint()).returncode == 0
    with pytest.raises(Exception, match="没有案号"):
        call_command("export_package", "--case", "不存在", "--out", str(tmp_path / "none"))
    with pytest.raises(Exception, match="非空|not empty"):
        call_command("export_package", "--case", world.case.number, "--out", str(out))


def test_a_package_is_not_made_from_a_stored_original_that_changed(world, tmp_path):
    from evidence import fixity
    from evidence.store import default_store

    path = default_store().path(fixity.stored_object(world.clip.blob))
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    with pytest.raises(PackageError, match="哈希不符"):
        build_package([world.clip], tmp_path / "bad", agency=world.agency,
                      extraction=Extraction(maker="a", extractor="b", proves="c"))
    assert not (tmp_path / "bad").exists()


def test_copying_out_through_the_ui_under_a_grant_and_verifying_the_upload(client, world, tmp_path):
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER,
                                                 records=[world.clip, world.decision], unit="平顶山市中级人民法院"),
                                     actor=world.archivist)
    login(client, world.archivist)
    page = client.get(f"/access/{access.pk}/")
    assert page.status_code == 200 and page.context["package_form"] is not None
    form = {"maker": "档案员", "extractor": "档案员", "proves": "现场检查经过"}
    refused = client.post(f"/access/{access.pk}/package/", form)  # 001/4/11: the requester pays for copies
    assert refused.status_code == 302 and not PackageExport.objects.exists()
    response = client.post(f"/access/{access.pk}/package/", {**form, "fee_yuan": "2.00"})
    export = PackageExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/access/packages/{export.pk}/"
    waiting = client.get(response["Location"])
    assert waiting.context["export"].state == PackageExport.State.QUEUED
    assert b'http-equiv="refresh"' in waiting.content and b"<progress" in waiting.content
    access.refresh_from_db()
    assert str(access.fee_yuan) == "2.00"

    exports.build(export.pk)  # what the worker runs
    export.refresh_from_db()
    assert export.state == PackageExport.State.READY and export.done_bytes == export.total_bytes > 0
    assert Event.objects.filter(verb="package.export", detail__request=access.pk).exists()
    ready = client.get(f"/access/packages/{export.pk}/")
    assert b"http-equiv" not in ready.content and export.sha256.encode() in ready.content
    assert client.get(f"/access/{access.pk}/").context["exports"][0] == export
    download = client.get(f"/access/packages/{export.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)
    assert __import__("hashlib").sha256(body).hexdigest() == export.sha256
    assert Event.objects.filter(verb="package.download", object_id=str(export.pk), result="done").exists()

    good = client.post("/access/verify/", {"package": _upload(body, "package.zip")})
    assert good.context["report"].outcome == "passed", good.context["report"].lines  # signed by this agency's key
    assert "全部通过" in good.content.decode()
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if "/data/originals/" in item.filename and item.filename.endswith(".mp4"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.writestr(item, data)
    bad = client.post("/access/verify/", {"package": _upload(broken.getvalue(), "package.zip")})
    assert not bad.context["report"].passed
    assert any(".mp4" in line and "[失败]" in line for line in bad.context["report"].lines)
    junk = client.post("/access/verify/", {"package": _upload(b"not a zip", "x.zip")})
    assert junk.status_code == 200 and "不是有效的 .zip" in junk.content.decode()
    assert Event.objects.filter(verb="package.verify").count() == 3


def test_a_revoked_grant_copies_nothing(client, world):
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER),
                                     actor=world.archivist)
    services.revoke(access, actor=world.head, reason="申请单位撤回")
    login(client, world.archivist)
    response = client.post(f"/access/{access.pk}/package/", {"maker": "a", "extractor": "b", "proves": "c",
                                                               "fee_yuan": "0"})
    assert response.status_code == 403 and not PackageExport.objects.exists()
    assert Event.objects.filter(verb="package.request", result="denied", object_id=str(access.pk)).exists()


def _granted_export(world) -> PackageExport:
    access = services.submit_request(application(world, "court", ["photocopy"], credentials=LETTER),
                                     actor=world.archivist)
    return exports.request_export(access, actor=world.archivist, maker="档案员", extractor="档案员",
                                  proves="现场检查经过")


def test_001_2_11_a_grant_revoked_while_the_package_waits_builds_nothing(world):
    export = _granted_export(world)
    services.revoke(export.request, actor=world.head, reason="申请单位撤回")
    export = exports.build(export.pk)
    assert export.state == PackageExport.State.FAILED and "撤销" in shown(export.error)
    assert export.error.startswith("The grant no longer allows")  # kept untranslated, translated where shown
    assert not export.archive_name and not list(exports.archive_dir().glob("*.zip"))
    assert Event.objects.filter(verb="package.failed", result="denied").exists()
    assert not Event.objects.filter(verb="package.export").exists()


def test_001_2_11_only_its_maker_downloads_a_package_and_only_while_the_grant_holds(client, world):
    export = exports.build(_granted_export(world).pk)
    login(client, world.head)
    page = client.get(f"/access/packages/{export.pk}/")
    assert page.status_code == 200 and b"/download/" not in page.content
    assert client.get(f"/access/packages/{export.pk}/download/").status_code == 403
    services.revoke(export.request, actor=world.head, reason="申请单位撤回")
    login(client, world.archivist)
    refused = client.get(f"/access/packages/{export.pk}/download/")
    assert refused.status_code == 403
    assert Event.objects.filter(verb="package.download", result="denied").count() == 2
    assert not Event.objects.filter(verb="package.download", result="done").exists()


def test_a_package_archive_is_removed_after_its_days_and_its_row_stays(world, settings):
    export = exports.build(_granted_export(world).pk)
    archive = exports.archive_dir() / export.archive_name
    assert archive.is_file()
    assert exports.remove_expired(export.finished_at + dt.timedelta(days=settings.ACCESS_PACKAGE_KEEP_DAYS - 1)) == 0
    assert exports.remove_expired(export.finished_at + dt.timedelta(days=settings.ACCESS_PACKAGE_KEEP_DAYS + 1)) == 1
    export.refresh_from_db()
    assert export.state == PackageExport.State.REMOVED and export.sha256 and not archive.exists()
    assert Event.objects.filter(verb="package.remove", object_id=str(export.pk)).exists()


def test_a_package_no_worker_finished_is_marked_failed_after_a_day(world):
    export = _granted_export(world)
    assert exports.remove_expired(export.requested_at + dt.timedelta(hours=23)) == 0
    export.refresh_from_db()
    assert export.in_progress()
    exports.remove_expired(export.requested_at + dt.timedelta(hours=25))
    export.refresh_from_db()
    assert export.state == PackageExport.State.FAILED and "重新申请" in shown(export.error)


def _upload(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/zip")


def test_zip_slip_is_refused(client, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.txt", "x")
    login(client, world.archivist)
    response = client.post("/access/verify/", {"package": _upload(buffer.getvalue(), "evil.zip")})
    assert response.status_code == 200 and "不安全" in response.content.decode()
    assert not response.context["report"].passed
