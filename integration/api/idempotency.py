"""Idempotency keys on creates: a system that retries a create (a timeout, a lost answer) sends the same
``Idempotency-Key`` and gets the first answer back, never a second object.

The key is claimed and the answer stored in one transaction with the create itself, so a crash leaves neither. A
refused create frees its key (the refusal stays on record) so the corrected request may use it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from integration.accounts import Caller
from integration.api.errors import ApiError, handle
from integration.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_DAYS = 30  # how long a key is remembered; a retry comes within minutes


def fingerprint(request: Request) -> str:
    payload = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{payload}".encode()).hexdigest()


def create(request: Request, caller: Caller, make: Callable[[], tuple[int, dict]], view) -> Response:
    """Run ``make`` (returning status and body) once per key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        status, body = make()
        return Response(body, status=status)
    if len(key) > 200:
        raise ApiError("validation_failed", errors={HEADER: [_("At most 200 characters.")]})
    mark = fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(account=caller.account, key=key, fingerprint=mark)
        except IntegrityError:
            claim = IdempotencyKey.objects.get(account=caller.account, key=key)
            if claim.fingerprint != mark:
                raise ApiError("idempotency_key_reused") from None
            if claim.status_code is None:
                raise ApiError("idempotency_in_progress") from None
            return Response(claim.response, status=claim.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            status, body = make()
        except Exception as error:
            refused = handle(error, view.get_exception_handler_context())
            if refused is None or refused.status_code >= 500:
                raise
            claim.delete()  # the refusal commits (its event stays); the key is free for a corrected request
            return refused
        claim.status_code, claim.response = status, body
        claim.save(update_fields=["status_code", "response"])
    return Response(body, status=status)


def forget_old(now=None) -> int:
    cutoff = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
