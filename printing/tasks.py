from __future__ import annotations

from django_tasks import task


@task()
def make_printed_document(job_id: int) -> None:
    from printing.services import make

    make(job_id)


@task()
def tidy_printed_documents() -> int:
    from printing.services import tidy

    return tidy()
