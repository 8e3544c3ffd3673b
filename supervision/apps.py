from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

import authz


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("supervision")

    def ready(self) -> None:
        authz.register_app(self)
