from django.apps import AppConfig


class LawtraceConfig(AppConfig):
    name = "lawtrace"

    def ready(self) -> None:
        import datetime as dt

        from django_tasks.signals import task_finished, task_started

        from lawtrace import scheduler
        from lawtrace.tasks import prune_task_results
        from ledger.events import event_recorded

        scheduler.register("lawtrace.prune_task_results", prune_task_results, every=lambda: dt.timedelta(days=1))

        event_recorded.connect(_count_filed, dispatch_uid="lawtrace.metrics.ingest")
        task_started.connect(_bind_task, dispatch_uid="lawtrace.logs.task_started")
        task_finished.connect(_unbind_task, dispatch_uid="lawtrace.logs.task_finished")


def _count_filed(sender, event, **kwargs) -> None:
    if event.verb == "record.ingest":
        from lawtrace.metrics import count_ingest

        count_ingest(int((event.after or {}).get("size") or 0))


_task_tokens: dict = {}


def _bind_task(sender, task_result, **kwargs) -> None:
    """Log lines written while a task runs carry the task's id, as a request's carry the request's."""
    from lawtrace import logs

    _task_tokens[task_result.id] = logs.bind(request_id=f"task-{task_result.id}")


def _unbind_task(sender, task_result, **kwargs) -> None:
    from lawtrace import logs

    token = _task_tokens.pop(task_result.id, None)
    if token is not None:
        logs.unbind(token)
