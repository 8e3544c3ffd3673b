from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("evidence")

    def ready(self) -> None:
        authz.register_app(self)

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

        # The write-once store also keeps the ledger's published checkpoints; the ledger sits below this app.
        from evidence import checks  # noqa: F401 (registers the start-up check)
        from evidence.store import default_store
        from ledger import bindings, publication

        publication.use_archive(default_store)
        from evidence.facts import BINDINGS

        for binding in BINDINGS:
            bindings.register(binding)
