from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Recording devices")

    def ready(self) -> None:
        from devices import usage_ledger
        from printing import documents

        authz.register_app(self)
        documents.register("usage_ledger", documents.Source(
            capability="device.view", page="device_usage_ledger", label=_("Recording device usage ledger"),
            build=usage_ledger.printed))
