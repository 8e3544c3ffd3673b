from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("compliance")

    def ready(self) -> None:
        import datetime as dt

        from compliance import services, tasks
        from lawtrace import scheduler
        from ledger.events import event_recorded

        authz.register_app(self)
        event_recorded.connect(services.on_event, dispatch_uid="compliance.on_event")
        scheduler.register("compliance.recompute_all", tasks.recompute_all, every=lambda: dt.timedelta(days=1))
        # Missing recordings become findings once the storage deadline passes: catch those within the hour.
        scheduler.register("compliance.recently_due", tasks.recently_due, every=lambda: dt.timedelta(hours=1))
