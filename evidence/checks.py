"""Start-up refuses an object store that is not write-once (system check, run by runserver, the worker, the scheduler
and ``manage.py check``; the WSGI entry point runs it too)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def store_is_write_once(app_configs=None, **kwargs) -> list[Error]:
    if settings.EVIDENCE_STORE != "s3":
        return []
    from evidence.store import StoreError, store_named

    try:
        store_named("s3").check_write_once()
    except StoreError as error:
        return [Error(str(error), hint="LAWTRACE_S3_BUCKET must name a bucket with versioning, Object Lock and a "
                                       "COMPLIANCE default retention (see README, 部署).", id="lawtrace.E001")]
    return []


def refuse_unsafe_store() -> None:
    """For entry points that do not run system checks (the WSGI application)."""
    from django.core.exceptions import ImproperlyConfigured

    errors = store_is_write_once()
    if errors:
        raise ImproperlyConfigured(errors[0].msg)
