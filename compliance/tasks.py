from __future__ import annotations

from django_tasks import task

from compliance import services


@task()
def recompute_all() -> dict:
    run = services.recompute_all()
    return {"evaluated": run.evaluated, "opened": run.opened, "closed": run.closed}


@task()
def recently_due() -> int:
    return services.refresh_recently_due()
