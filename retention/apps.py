from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("retention and preservation")

    def ready(self) -> None:
        import datetime as dt

        from lawtrace import scheduler
        from ledger.events import event_recorded
        from retention import services
        from retention.tasks import purge_approved, refresh_schedules, send_notices

        authz.register_app(self)
        event_recorded.connect(services.on_event, dispatch_uid="retention.on_event")
        scheduler.register("retention.purge_approved", purge_approved, every=lambda: dt.timedelta(hours=1))
        scheduler.register("retention.refresh_schedules", refresh_schedules, every=lambda: dt.timedelta(days=1))
        scheduler.register("retention.send_notices", send_notices, every=lambda: dt.timedelta(days=1))
