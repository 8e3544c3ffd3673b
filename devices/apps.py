from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Recording devices")

    def ready(self) -> None:
        authz.register_app(self)
