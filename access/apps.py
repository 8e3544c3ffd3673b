from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("access and evidence packages")

    def ready(self) -> None:
        import datetime as dt

        from access import register
        from access.tasks import expire_grants, remove_expired_packages
        from lawtrace import scheduler
        from printing import documents

        authz.register_app(self)
        documents.register("access_register", documents.Source(
            capability="access.register", page="access_register", label=_("Access register"),
            build=register.printed))
        scheduler.register("access.expire_grants", expire_grants, every=lambda: dt.timedelta(hours=1))
        scheduler.register("access.remove_expired_packages", remove_expired_packages,
                           every=lambda: dt.timedelta(days=1))
