from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

import authz


def _activate_missing(sender, **kwargs) -> None:
    """After an upgrade to pack activation, every agency without an approved version gets its first one, recorded."""
    from policy.activation import bootstrap_all

    bootstrap_all()


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
        post_migrate.connect(_activate_missing, sender=self)
