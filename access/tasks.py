from __future__ import annotations

from django_tasks import task


@task()
def expire_grants() -> int:
    from access.services import expire_due

    return expire_due()
