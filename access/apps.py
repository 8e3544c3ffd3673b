from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("access and evidence packages")

    def ready(self) -> None:
        import datetime as dt

        from access.tasks import expire_grants
        from lawtrace import scheduler

        scheduler.register("access.expire_grants", expire_grants, every=lambda: dt.timedelta(hours=1))
