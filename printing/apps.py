from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class PrintingConfig(AppConfig):
    name = "printing"
    verbose_name = _("printed documents")

    def ready(self) -> None:
        import datetime as dt

        from lawtrace import scheduler
        from printing.tasks import tidy_printed_documents

        authz.register_app(self)
        scheduler.register("printing.tidy", tidy_printed_documents, every=lambda: dt.timedelta(hours=1))
