from __future__ import annotations

from django_tasks import task


@task()
def purge_approved() -> int:
    from retention.services import purge_approved as run

    return run()


@task()
def refresh_schedules() -> int:
    from retention.services import refresh_all

    return refresh_all()


@task()
def make_disc(disc_id: int) -> None:
    from retention.disc_services import make

    make(disc_id)


@task()
def send_notices() -> int:
    from retention.notices import send_notices as run

    return run()
