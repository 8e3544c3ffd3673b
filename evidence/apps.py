from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("evidence")

    def ready(self) -> None:
        from pathlib import Path

        from django.conf import settings

        # Multipart uploads from stations spool here, on the data disk rather than a RAM-backed /tmp.
        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

        import datetime as dt

        from evidence.tasks import expire_abandoned_uploads, fixity_sweep, housekeeping
        from lawtrace import scheduler

        scheduler.register("evidence.expire_abandoned_uploads", expire_abandoned_uploads,
                           every=lambda: dt.timedelta(hours=6))
        # Leftovers of crashed work, uploads whose filing was lost or paused by a full disk (evidence.housekeeping).
        scheduler.register("evidence.housekeeping", housekeeping, every=lambda: dt.timedelta(minutes=5))
        # Each run stops after FIXITY_RUN_MINUTES; hourly runs carry the cycle through the whole store.
        scheduler.register("evidence.fixity_sweep", fixity_sweep,
                           every=lambda: dt.timedelta(minutes=settings.FIXITY_RUN_MINUTES + 10))
