from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = _("integration")

    def ready(self) -> None:
        import datetime as dt

        from integration import tasks, webhooks
        from lawtrace import scheduler
        from ledger.events import event_recorded, events_recorded

        authz.register_app(self)
        event_recorded.connect(webhooks.on_event, dispatch_uid="integration.webhooks.on_event")
        events_recorded.connect(webhooks.on_events, dispatch_uid="integration.webhooks.on_events")
        # Deliveries whose back-off has run out are retried even if the worker that queued them died.
        scheduler.register("integration.deliver_due", tasks.deliver_due, every=lambda: dt.timedelta(minutes=1))
        scheduler.register("integration.forget_idempotency_keys", tasks.forget_idempotency_keys,
                           every=lambda: dt.timedelta(days=1))
