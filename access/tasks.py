from __future__ import annotations

from django_tasks import task


@task()
def expire_grants() -> int:
    from access.services import expire_due

    return expire_due()


@task()
def build_package_export(export_id: int) -> None:
    from access.exports import build

    build(export_id)


@task()
def remove_expired_packages() -> int:
    from access.exports import remove_expired

    return remove_expired()
