from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import authz


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("Policy packs")

    def ready(self) -> None:
        authz.register_app(self)
        from policy.loader import PackInvalid
        from policy.registry import registry

        # An invalid pack must stop start-up: running on rules nobody can read is worse than not running.
        try:
            registry()
        except PackInvalid as exc:
            raise ImproperlyConfigured(f"invalid policy pack:\n{exc}") from exc
