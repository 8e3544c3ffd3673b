"""WORM that survives deployment (issue 19, section 6) and the ledger's published checkpoints in S3 (section 3), on a
real SeaweedFS: start-up refuses a bucket that is not write-once, the filer and volume ports refuse unauthenticated
deletes, and checkpoints kept under Object Lock catch a database that was rolled back."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from django.db import transaction

from evidence.checks import store_is_write_once
from evidence.hashing import hash_stream
from evidence.store import S3Store, StoreError, store_named
from ledger import checkpoints, publication
from ledger.events import record_event
from ledger.verification import verify_ledger
from tests.ledger_attacks import lift_triggers, truncate


def _plain(s3_store: S3Store, bucket: str) -> S3Store:
    return S3Store(endpoint=s3_store.client.meta.endpoint_url, bucket=bucket, access_key="lawtrace",
                   secret_key="lawtrace-secret", region="us-east-1", staging_dir=s3_store.staging_dir,
                   default_retention_days=1)


def test_start_up_refuses_a_bucket_without_versioning_or_compliance_lock(s3_store, settings):
    client = s3_store.client
    name = f"plain-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=name)
    with pytest.raises(StoreError, match="versioning"):
        _plain(s3_store, name).check_write_once()
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    with pytest.raises(StoreError, match="Object Lock"):
        _plain(s3_store, name).check_write_once()
    governed = f"governed-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=governed, ObjectLockEnabledForBucket=True)
    client.put_object_lock_configuration(Bucket=governed, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    with pytest.raises(StoreError, match="COMPLIANCE"):
        _plain(s3_store, governed).check_write_once()
    s3_store.check_write_once()  # the fixture's bucket, made by ensure_bucket: versioned, locked, COMPLIANCE
    settings.EVIDENCE_S3 = {**settings.EVIDENCE_S3, "bucket": governed}
    store_named.cache_clear()
    errors = store_is_write_once()
    assert [e.id for e in errors] == ["lawtrace.E001"] and "COMPLIANCE" in errors[0].msg


def test_the_wsgi_entry_point_refuses_to_start_on_an_unsafe_bucket(s3_store, settings):
    from django.core.exceptions import ImproperlyConfigured

    from evidence.checks import refuse_unsafe_store

    refuse_unsafe_store()  # the fixture's bucket is fine
    name = f"plain-{uuid.uuid4().hex[:10]}"
    s3_store.client.create_bucket(Bucket=name)
    settings.EVIDENCE_S3 = {**settings.EVIDENCE_S3, "bucket": name}
    store_named.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="not write-once"):
        refuse_unsafe_store()


def _request(url: str, method: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_filer_and_volume_ports_refuse_an_unauthenticated_delete_of_a_locked_object(s3_store, seaweedfs_server,
                                                                                        tmp_path):
    _endpoint, directory = seaweedfs_server
    filer = (directory / "filer-url").read_text().strip()
    volume = (directory / "volume-url").read_text().strip()
    content = b"body camera footage " + uuid.uuid4().bytes
    handle, staged = s3_store.new_staging_file()
    with handle:
        digests = hash_stream(__import__("io").BytesIO(content), handle)
    stored, _created = s3_store.commit(staged, digests)
    path = f"{filer}/buckets/{s3_store.bucket}/{stored.key}"
    version = f"{path}.versions/v_{stored.version_id}"
    for url in (path, version, f"{filer}/buckets/{s3_store.bucket}?recursive=true"):
        assert _request(url, "DELETE") in (401, 403), url
    assert _request(f"{volume}/1,0100000001", "DELETE") in (401, 403)
    body = s3_store.client.get_object(Bucket=s3_store.bucket, Key=stored.key, VersionId=stored.version_id)["Body"]
    assert body.read() == content  # still there, untouched


@pytest.mark.django_db
def test_checkpoints_are_published_under_object_lock_and_catch_a_rolled_back_database(
        s3_store, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.LEDGER_KEY_DIR = tmp_path / "keys"
    settings.LEDGER_PUBLISH_RETENTION_DAYS = 1
    for i in range(6):
        with transaction.atomic():
            record_event("test.event", detail={"i": i})
    with django_capture_on_commit_callbacks(execute=True):
        made = checkpoints.make_checkpoint()
    key = publication.checkpoint_location(made)
    retention = s3_store.client.get_object_retention(Bucket=s3_store.bucket, Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["RetainUntilDate"] > dt.datetime.now(dt.UTC)
    version = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError):  # the app's own credentials cannot remove the locked version
        s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key, VersionId=version)
    assert verify_ledger().passed

    # Whoever holds the database and the app's credentials: roll the database back, overwrite and "delete" the copy.
    lift_triggers()
    truncate(3)
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"lawtrace-signed-checkpoint\nforged")
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key)
    report = verify_ledger()
    refs = {(p.kind, p.ref) for p in report.problems}
    assert ("rollback", f"published:{key}?versionId={version}") in refs
    assert any(kind == "published" and ref.startswith(f"published:{key}?versionId=") and version not in ref
               for kind, ref in refs)  # the forged version is named too
