"""The refusal the authorization layer raises. The web layer records it in the ledger as a denied event (naming the
object when there is one) before Django answers 403; callers outside the web layer record it themselves."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied


class Denied(PermissionDenied):
    """``reason`` is kept as given (a lazy translation or a ``ledger.wording.Wording``), so the ledger stores its
    message id and the page translates it for its reader."""

    def __init__(self, verb: str, reason: Any, *, obj: Any = None, capability: str = "") -> None:
        self.verb, self.reason, self.obj, self.capability = verb, reason, obj, capability
        super().__init__(reason)
