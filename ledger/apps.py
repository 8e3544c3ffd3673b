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
        from ledger.tasks import push_witness, sign_checkpoint

        scheduler.register("ledger.checkpoint", sign_checkpoint,
                           lambda: dt.timedelta(minutes=settings.LEDGER_CHECKPOINT_MINUTES))
        scheduler.register("ledger.witness", push_witness, lambda: dt.timedelta(hours=settings.LEDGER_WITNESS_HOURS))
