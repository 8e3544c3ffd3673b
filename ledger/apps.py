import datetime as dt

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

import authz


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Event ledger")

    def ready(self) -> None:
        authz.register_app(self)
        from lawtrace import scheduler
        from ledger.tasks import sign_checkpoint

        scheduler.register("ledger.checkpoint", sign_checkpoint,
                           lambda: dt.timedelta(minutes=settings.LEDGER_CHECKPOINT_MINUTES))
