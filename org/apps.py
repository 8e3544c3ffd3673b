from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        authz.register_app(self)
        from org import signals  # noqa: F401  (login events)
