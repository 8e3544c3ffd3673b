"""The refusal the authorization layer raises. The web layer records it in the ledger as a denied event (naming the
object when there is one) before Django answers 403; callers outside the web layer record it themselves."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


class Denied(PermissionDenied):
    def __init__(self, verb: str, reason: str, *, obj: Any = None, capability: str = "") -> None:
        self.verb, self.reason, self.obj, self.capability = verb, reason, obj, capability
        super().__init__(reason)
