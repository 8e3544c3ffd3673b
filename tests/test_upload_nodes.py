"""A resumable upload whose chunks reach different web nodes: nothing but the database and the S3 upload bucket
is shared, so any node takes any chunk, and the bytes are filed once with the right hashes."""

from __future__ import annotations

import hashlib
import io

import pytest
from botocore.exceptions import EndpointConnectionError

from evidence import upload_storage, uploads
from evidence.models import UploadSegment, UploadSession
from evidence.synthetic import make_video
from tests.conftest import login
from tests.test_evidence_web import IMMEDIATE, TUS, create, patch


@pytest.fixture
def s3_uploads(s3_store, settings, monkeypatch):
    settings.EVIDENCE_UPLOAD_STORE = "s3"
    settings.EVIDENCE_S3_UPLOAD_BUCKET = settings.EVIDENCE_S3["bucket"] + "-uploads"
    monkeypatch.setattr(upload_storage, "SEGMENT_BYTES", 1000)  # several segments from one small clip
    yield upload_storage.upload_storage()


def on_node(settings, tmp_path, name: str) -> None:
    """What differs between web nodes: their own disk."""
    settings.DATA_DIR = tmp_path / name
    settings.EVIDENCE_UPLOAD_DIR = tmp_path / name / "uploads"


def bucket_keys(storage, session) -> list[str]:
    listing = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=f"uploads/{session.pk}/")
    return [item["Key"] for item in listing.get("Contents", [])]


class CutOff(io.BytesIO):
    """A client whose connection drops after ``limit`` bytes."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size=-1):
        if self.tell() >= self.limit:
            raise OSError("connection reset by peer")
        return super().read(min(size, self.limit - self.tell()))


def test_chunks_on_different_nodes_are_filed_once_with_the_right_hashes(client, an_officer, settings, tmp_path,
                                                                        s3_uploads,
                                                                        django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    content = make_video(tmp_path / "clip.mp4", seconds=2).read_bytes()
    assert len(content) > 6000
    login(client, an_officer)
    on_node(settings, tmp_path, "node-a")
    location = create(client, len(content), filename="巡查.mp4")["Location"]
    assert patch(client, location, 0, content[:2500]).status_code == 204

    on_node(settings, tmp_path, "node-b")
    assert client.head(location, **TUS)["Upload-Offset"] == "2500"
    session = UploadSession.objects.get()
    # Node B's client drops after 2,200 more bytes: what arrived is kept, on B's side too.
    uploads.append(session, 2500, CutOff(content[2500:], 2200), len(content) - 2500)
    assert client.head(location, **TUS)["Upload-Offset"] == "4700"
    # A node that died after writing a segment but before recording it leaves an object no row names.
    s3_uploads.client.put_object(Bucket=s3_uploads.bucket, Key=f"uploads/{session.pk}/0000000000004700-dead",
                                 Body=b"x" * 300)

    on_node(settings, tmp_path, "node-a")
    with django_capture_on_commit_callbacks(execute=True):
        assert patch(client, location, 4700, content[4700:]).status_code == 204
    session.refresh_from_db()
    assert session.state == UploadSession.State.FILED, session.message
    assert session.record.blob.sha256 == hashlib.sha256(content).hexdigest()
    assert session.record.blob.sm3 == hashlib.new("sm3", content).hexdigest()
    # Nothing was kept on either node's disk, and the bucket's segments (the orphan too) are gone.
    assert not list((tmp_path / "node-a").rglob("*.part")) and not list((tmp_path / "node-b").rglob("*.part"))
    assert bucket_keys(s3_uploads, session) == [] and not UploadSegment.objects.exists()


def test_a_chunk_the_bucket_refuses_is_not_counted_and_resumes(client, an_officer, s3_uploads, monkeypatch):
    login(client, an_officer)
    content = bytes(range(256)) * 20
    location = create(client, len(content), filename="a.mp4")["Location"]

    def unreachable(**kwargs):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    with monkeypatch.context() as broken:
        broken.setattr(s3_uploads.client, "put_object", unreachable)
        response = patch(client, location, 0, content[:3000])
    assert response.status_code == 503 and "第 0 字节" in response.content.decode()
    assert client.head(location, **TUS)["Upload-Offset"] == "0"
    assert patch(client, location, 0, content[:3000]).status_code == 204
    assert client.head(location, **TUS)["Upload-Offset"] == "3000"


def test_filing_waits_and_retries_while_the_store_is_unreachable(an_officer, s3_uploads, settings, monkeypatch,
                                                                   tmp_path):
    from django_tasks_db.models import DBTaskResult

    from evidence.store import default_store

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    content = make_video(tmp_path / "clip.mp4", seconds=2).read_bytes()  # a recording: random bytes are unreadable
    session = uploads.create_session(an_officer, len(content), {"filename": "a.mp4"})
    uploads.append(session, 0, io.BytesIO(content), len(content))
    session.refresh_from_db()
    assert session.state == UploadSession.State.RECEIVED

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    with monkeypatch.context() as broken:
        broken.setattr(default_store().client, "head_object", unreachable)
        uploads.file_session(session)
    session.refresh_from_db()
    assert session.state == UploadSession.State.RECEIVED and "自动重试" in session.message
    retry = DBTaskResult.objects.filter(task_path="evidence.tasks.file_upload").order_by("-enqueued_at").first()
    assert retry is not None and retry.run_after > retry.enqueued_at  # deferred, not spinning
    assert UploadSegment.objects.filter(session=session).exists()  # the bytes wait for the retry
    uploads.file_session(session)
    session.refresh_from_db()
    assert session.state == UploadSession.State.FILED
    assert session.record.blob.sha256 == hashlib.sha256(content).hexdigest()
