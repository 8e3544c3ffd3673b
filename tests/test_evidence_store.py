"""The object store: one pass hashing, write-once local directory and S3 Object Lock on a real SeaweedFS."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

import pytest
from botocore.exceptions import ClientError

from evidence.hashing import hash_stream
from evidence.store import LocalStore, StoreError, default_store, object_key


def stage(store, content: bytes):
    handle, path = store.new_staging_file()
    with handle:
        digests = hash_stream(io.BytesIO(content), handle)
    return path, digests


@pytest.mark.parametrize("size", [0, 1, 4 << 20, (4 << 20) + 17, 9 << 20])
def test_one_pass_gives_both_hashes_and_a_faithful_copy(size):
    content = os.urandom(size)
    sink = io.BytesIO()
    digests = hash_stream(io.BytesIO(content), sink)
    assert digests.sha256 == hashlib.sha256(content).hexdigest()
    assert digests.sm3 == hashlib.new("sm3", content).hexdigest()
    assert digests.size == size
    assert sink.getvalue() == content


@pytest.mark.parametrize("size", [1, 4 << 20, 8 << 20, (8 << 20) + 4096, (9 << 20) + 17])
def test_a_file_sink_gets_a_faithful_copy_written_directly_or_through_the_cache(tmp_path, size):
    content = os.urandom(size)
    target = tmp_path / "copy"
    with open(target, "w+b") as sink:
        digests = hash_stream(io.BytesIO(content), sink)
        sink.write(b"!")  # the file object goes on as it came, flags and position included
    assert digests.sha256 == hashlib.sha256(content).hexdigest() and digests.size == size
    assert target.read_bytes() == content + b"!"


def test_sm3_matches_the_gbt_32905_test_vector():
    assert hash_stream(io.BytesIO(b"abc")).sm3 == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


@pytest.fixture(params=["local", "s3"])
def any_store(request):
    if request.param == "s3":
        return request.getfixturevalue("s3_store")
    return default_store()


def test_store_keeps_content_by_hash_and_once(any_store):
    content = b"body camera clip " * 1000
    staged, digests = stage(any_store, content)
    stored, created = any_store.commit(staged, digests)
    assert created and stored.key == object_key(digests.sha256)
    assert not staged.exists()
    assert b"".join(any_store.read_range(stored)) == content
    assert b"".join(any_store.read_range(stored, 5, 9)) == content[5:10]
    assert any_store.size(stored) == len(content)

    again, created_again = any_store.commit(*stage(any_store, content))
    assert not created_again
    assert again == stored


def test_store_never_replaces_an_original_even_when_told_it_has_the_same_hash(any_store):
    original = b"A" * 5000
    stored, _ = any_store.commit(*stage(any_store, original))
    forged_path, forged = stage(any_store, b"B" * 5000)
    forged_claim = type(forged)(sha256=hashlib.sha256(original).hexdigest(), sm3=forged.sm3, size=5000)
    result, created = any_store.commit(forged_path, forged_claim)
    assert not created
    assert b"".join(any_store.read_range(stored)) == original
    assert b"".join(any_store.read_range(result)) == original


def test_local_store_files_are_read_only_and_only_an_approved_purge_deletes():
    import re
    from pathlib import Path

    store = default_store()
    assert isinstance(store, LocalStore)
    stored, _ = store.commit(*stage(store, b"evidence"))
    assert store.path(stored).stat().st_mode & 0o222 == 0
    assert not any(hasattr(store, name) for name in ("remove", "overwrite", "replace"))
    # Design principle 2: deletion happens only through the approved purge. One function deletes from a store,
    # and only the retention purge job calls it.
    root = Path(__file__).resolve().parent.parent
    sources = {p: p.read_text(encoding="utf-8") for p in root.glob("*/*.py")
               if p.parent.name not in ("tests", ".venv")}
    deleting = {p.relative_to(root).as_posix() for p, text in sources.items()
                if re.search(r"\)\.delete\(stored_object", text)}
    assert deleting == {"evidence/services.py"}
    callers = {p.relative_to(root).as_posix() for p, text in sources.items() if "erase_content(" in text}
    assert callers == {"evidence/services.py", "retention/services.py"}


def test_local_store_refuses_a_size_mismatch_as_damage():
    store = default_store()
    store.commit(*stage(store, b"12345"))
    path, digests = stage(store, b"123")
    with pytest.raises(StoreError):
        store.commit(path, type(digests)(sha256=hashlib.sha256(b"12345").hexdigest(), sm3="", size=3))


def test_s3_originals_cannot_be_deleted_or_overwritten_in_their_version(s3_store):
    content = os.urandom(20 << 20)  # multipart
    stored, created = s3_store.commit(*stage(s3_store, content))
    assert created and stored.version_id
    client, bucket = s3_store.client, s3_store.bucket
    head = client.head_object(Bucket=bucket, Key=stored.key, VersionId=stored.version_id)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=stored.key, VersionId=stored.version_id)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # A raw PUT under the same key can only add a version; the referenced version stays as it was.
    client.put_object(Bucket=bucket, Key=stored.key, Body=b"forged")
    assert b"".join(s3_store.read_range(stored, 0, 15)) == content[:16]
    assert s3_store.size(stored) == len(content)


def test_s3_retention_only_ever_moves_later_and_legal_hold_is_set(s3_store):
    stored, _ = s3_store.commit(*stage(s3_store, b"small clip"))
    now = dt.datetime.now(dt.UTC)
    later = (now + dt.timedelta(days=30)).replace(microsecond=0)
    assert s3_store.extend_retention(stored, later) == later
    assert s3_store.extend_retention(stored, now + dt.timedelta(days=2)) == later
    with pytest.raises(ClientError):
        s3_store.client.put_object_retention(
            Bucket=s3_store.bucket, Key=stored.key, VersionId=stored.version_id,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": now + dt.timedelta(days=3)})
    s3_store.set_legal_hold(stored, True)
    hold = s3_store.client.get_object_legal_hold(Bucket=s3_store.bucket, Key=stored.key, VersionId=stored.version_id)
    assert hold["LegalHold"]["Status"] == "ON"


def test_s3_bucket_without_object_lock_is_refused(s3_store):
    from evidence.store import S3Store

    s3_store.client.create_bucket(Bucket=s3_store.bucket + "-plain")
    plain = S3Store(endpoint=s3_store.client.meta.endpoint_url, bucket=s3_store.bucket + "-plain",
                    access_key="lawtrace", secret_key="lawtrace-secret", region="us-east-1",
                    staging_dir=s3_store.staging_dir, default_retention_days=1)
    with pytest.raises(StoreError):
        plain.ensure_bucket()
