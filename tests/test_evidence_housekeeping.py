"""Leftovers of crashed work are cleared after a grace period and never while work is alive; stuck work shows on
the archivist's dashboard with its age."""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid

import time_machine
from django.utils import timezone

from authz.roles import Role
from evidence import housekeeping, uploads
from evidence.models import UploadSession
from evidence.store import default_store, sweep_staging
from tests.conftest import login
from tests.factories import UserFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_a_staging_file_in_use_is_kept_whatever_its_age_and_removed_once_released():
    store = default_store()
    handle, path = store.new_staging_file()
    handle.write(b"partial copy")
    handle.flush()
    os.utime(path, (0, 0))  # as old as can be
    assert sweep_staging(store.staging_dir, dt.timedelta(0)).kept == 1 and path.exists()
    handle.close()  # the process finished or died: its lock is gone
    released = sweep_staging(store.staging_dir, dt.timedelta(hours=1))
    assert released.removed == 1 and not path.exists()  # untouched since 1970: past any grace


def test_part_files_of_decided_or_unknown_uploads_go_those_of_live_uploads_stay(an_officer, settings):
    settings.EVIDENCE_STAGING_GRACE_MINUTES = 10
    receiving = uploads.create_session(an_officer, 100, {"filename": "a.mp4"})
    filed = uploads.create_session(an_officer, 100, {"filename": "b.mp4"})
    UploadSession.objects.filter(pk=filed.pk).update(state=UploadSession.State.FILED)
    stray = settings.EVIDENCE_UPLOAD_DIR / f"{uuid.uuid4()}.part"
    stray.write_bytes(b"x" * 100)
    for path in (uploads.part_path(receiving), uploads.part_path(filed), stray):
        os.utime(path, (0, 0))
    fresh = settings.EVIDENCE_UPLOAD_DIR / f"{uuid.uuid4()}.part"
    fresh.write_bytes(b"y")
    swept = housekeeping.sweep()
    assert swept.parts_removed == 2 and swept.parts_bytes == 100
    assert uploads.part_path(receiving).exists() and fresh.exists()
    assert not uploads.part_path(filed).exists() and not stray.exists()


def test_the_archivist_sees_stuck_work_with_its_age(client, agency, an_officer, settings):
    settings.TASKS = DB_TASKS
    settings.TASK_LEASE_SECONDS = 60
    content = b"z" * 2048
    session = uploads.create_session(an_officer, len(content), {"filename": "现场.mp4"})
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2, minutes=5)):
        uploads.append(session, 0, io.BytesIO(content), len(content))
    UploadSession.objects.filter(pk=session.pk).update(attempts=5, message="存储空间已满")
    from django_tasks_db.models import DBTaskResult

    from evidence.tasks import housekeeping as housekeeping_task
    from lawtrace import leases

    housekeeping_task.enqueue()
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=40)):
        leases.claim_next(DBTaskResult.objects.ready(), "a worker that died")
    archivist = UserFactory(agency=agency, roles=(Role.ARCHIVIST,))
    page = login(client, archivist).get("/").content.decode()
    assert "积压的工作" in page
    assert "现场.mp4" in page and "尚未归档" in page and "2 小时 5 分钟" in page and "尝试 5 次" in page
    assert "执行进程已停止的后台任务：1 项" in page and "39 分钟" in page
    officer_page = login(client, an_officer).get("/").content.decode()
    assert "积压的工作" not in officer_page
