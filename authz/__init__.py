"""The authorization registry, below every app (beside the ledger; it imports no app).

- ``authz.roles``: the roles and the role sets rules are built from, once.
- ``authz.capabilities``: named capabilities (what a role may do at all), declared by each app.
- ``authz.scopes``: ``Model.objects.restrict(user, action)``, the rows a user may act on, in SQL, from each app's
  declared rules; anything undeclared is refused.
- ``authz.routes``: the declaration every page and API route carries, checked on each request and read by the
  route × role matrix test.

Apps declare their capabilities and scope rules in ``<app>/permissions.py``, imported from their AppConfig.ready().
"""

from importlib import import_module


def register_app(config) -> None:
    """Import the app's ``permissions`` module and run its ``register()``; called from the app's ready()."""
    import_module(f"{config.name}.permissions").register()
