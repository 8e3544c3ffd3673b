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
        # A derivative is a convenience: the original stays filed and playable through its own stream.
        log.exception("derivatives failed for record %s", record_id)
        raise
