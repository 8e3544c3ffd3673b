from __future__ import annotations

from django_tasks import task

from access.exports import build, remove_expired
from access.services import expire_due


@task()
def expire_grants() -> int:
    return expire_due()


@task()
def build_package_export(export_id: int) -> None:
    build(export_id)


@task()
def remove_expired_packages() -> int:
    return remove_expired()
