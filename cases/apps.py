from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases and activities")

    def ready(self) -> None:
        authz.register_app(self)
