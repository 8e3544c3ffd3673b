from __future__ import annotations

import logging

from django_tasks import task

from evidence import derivatives
from evidence.models import Record

log = logging.getLogger(__name__)


@task()
def make_derivatives(record_id: int) -> list[str]:
    record = Record.objects.select_related("blob").get(pk=record_id)
    try:
        return derivatives.make_all(record)
    except Exception:
        # The original stays filed whatever happens here; without a viewing copy its page says so, and it is shown
        # to nobody until the copy is made.
        log.exception("derivatives failed for record %s", record_id)
        raise


@task()
def file_upload(session_id: str) -> str:
    from evidence.models import UploadSession
    from evidence.uploads import file_session

    return file_session(UploadSession.objects.select_related("user__agency").get(pk=session_id)).state


@task()
def housekeeping() -> dict:
    from evidence.housekeeping import sweep

    return sweep().__dict__


@task()
def expire_abandoned_uploads() -> int:
    from evidence.uploads import expire_abandoned

    return expire_abandoned()


@task()
def fixity_sweep() -> dict:
    from evidence.fixity import sweep

    return sweep().__dict__
