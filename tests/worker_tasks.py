"""A task the worker processes of tests/test_cluster_nodes.py run: it notes which process ran which item."""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def note_run(number: int, path: str) -> int:
    time.sleep(0.1)  # long enough that both workers are busy at once
    with open(path, "a", encoding="utf-8") as notes:
        notes.write(f"{number} {os.getpid()}\n")
    return number
