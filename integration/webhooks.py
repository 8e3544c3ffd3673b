"""Signed webhooks with at-least-once delivery.

A delivery row is written in the transaction of the event it carries (so a committed event always has its
deliveries), then a background task posts it; a receiver that does not answer 2xx is tried again with growing
back-off (30 s, 1 min, 2 min … at most 6 h) until ``INTEGRATION_WEBHOOK_ATTEMPTS``, and every attempt's answer is
kept for the delivery log. A receiver may see an event twice (a lost 2xx): it deduplicates by ``X-Lawtrace-Delivery``.

Signature: ``X-Lawtrace-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` — the receiver
recomputes it with the shared secret and refuses old timestamps (replays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integration.feed import FEED_VERBS, as_message
from integration.models import Delivery, SystemAccount, Webhook
from integration.withheld import withheld
from ledger.events import SYSTEM, RequestContext, record_event
from ledger.models import Event
from org.models import User

SIGNATURE_HEADER = "X-Lawtrace-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does with a delivery (the example client and the tests use it)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, stamp), header)


def add_webhook(account: SystemAccount, *, url: str, verbs: list[str], actor: User | None = None,
                context: RequestContext = SYSTEM) -> tuple[Webhook, str]:
    """Subscribe a system's receiver; the secret is returned to be handed to the system, shown once."""
    if unknown := [v for v in verbs if v not in FEED_VERBS]:
        raise ValidationError({"verbs": [_("Unknown events: %(names)s.") % {"names": "、".join(unknown)}]})
    webhook = Webhook(account=account, url=url, verbs=sorted(set(verbs)), secret=secrets.token_hex(32))
    webhook.full_clean()
    with transaction.atomic():
        webhook.save()
        record_event("integration.webhook_add", actor=actor, obj=account, context=context,
                     agency_code=account.agency.code, after={"url": url, "verbs": webhook.verbs})
    return webhook, webhook.secret


def disable_webhook(webhook: Webhook, *, actor: User | None = None, context: RequestContext = SYSTEM) -> None:
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(active=False)
        record_event("integration.webhook_disable", actor=actor, obj=webhook.account, context=context,
                     agency_code=webhook.account.agency.code, detail={"url": webhook.url})


def on_event(sender, event: Event, **kwargs) -> None:
    """Inside the event's transaction: a delivery for every active webhook that follows this event."""
    on_events(sender, [event])


def on_events(sender, events: list[Event], **kwargs) -> None:
    """The same for events written in one go (findings a recompute opened): one query for the webhooks of all."""
    followed = [e for e in events if e.verb in FEED_VERBS and e.agency_code]
    if not followed:
        return
    hooks: dict[str, list[Webhook]] = {}
    for hook in Webhook.objects.filter(active=True, account__active=True,
                                       account__agency__code__in={e.agency_code for e in followed}
                                       ).select_related("account__agency", "account__principal"):
        hooks.setdefault(hook.account.agency.code, []).append(hook)
    if not hooks:
        return
    # What a system is not cleared for never leaves (integration/withheld.py), judged once per system.
    hidden: dict[int, set[int]] = {}
    for hook in (h for group in hooks.values() for h in group):
        if hook.account_id not in hidden:
            hidden[hook.account_id] = withheld(hook.account.principal, [e for e in followed
                                                                         if e.agency_code == hook.account.agency.code])
    now = timezone.now()
    made = Delivery.objects.bulk_create([Delivery(webhook=h, event_seq=e.seq, verb=e.verb, next_attempt_at=now)
                                         for e in followed for h in hooks.get(e.agency_code, ())
                                         if (not h.verbs or e.verb in h.verbs) and e.seq not in hidden[h.account_id]])
    ids = [d.pk for d in made if d.pk is not None]
    if ids:
        from integration.tasks import deliver

        transaction.on_commit(lambda: [deliver.enqueue(pk) for pk in ids])


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=settings.INTEGRATION_WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def deliver(delivery_id: int, now: dt.datetime | None = None) -> Delivery | None:
    """One attempt: post the event, signed; 2xx delivers, anything else schedules the next attempt or gives up.
    The row is locked (skipping one another worker holds), so two workers never post the same attempt."""
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True)
                    .select_related("webhook__account__principal")
                    .filter(pk=delivery_id, state=Delivery.State.PENDING).first())
        if delivery is None:
            return None
        event = Event.objects.get(seq=delivery.event_seq)
        # Judged again as it leaves: a case marked since the event was queued is not sent to a system not cleared
        # for the mark, as its pages and pull feed no longer show it.
        if withheld(delivery.webhook.account.principal, [event]):
            delivery.state, delivery.next_attempt_at = Delivery.State.WITHHELD, None
            delivery.save(update_fields=["state", "next_attempt_at"])
            return delivery
        body = json.dumps({"delivery": delivery.pk, "event": as_message(event)}, ensure_ascii=False,
                          sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Lawtrace-Event": event.verb,
                   "X-Lawtrace-Delivery": str(delivery.pk), SIGNATURE_HEADER: sign(delivery.webhook.secret, body)}
        try:
            status, error = _post(delivery.webhook.url, body, headers), ""
        except (OSError, ValueError) as failure:
            status, error = None, str(failure)[:300]
        moment = now or timezone.now()
        delivery.attempts += 1
        delivery.last_status, delivery.last_error = status, error
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = Delivery.State.DELIVERED, moment, None
        elif delivery.attempts >= settings.INTEGRATION_WEBHOOK_ATTEMPTS:
            delivery.state, delivery.next_attempt_at = Delivery.State.FAILED, None
        else:
            delivery.next_attempt_at = moment + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "last_status", "last_error", "state", "delivered_at",
                                     "next_attempt_at"])
    if delivery.state == Delivery.State.PENDING:
        from integration.tasks import deliver as task

        # A queue that can wait holds the retry until its back-off ends; otherwise the scheduler's sweep
        # (``deliver_due``, every minute) sends it when it is due.
        if task.get_backend().supports_defer:
            task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return delivery


def due(now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    return list(Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now or timezone.now())
                .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def retry_now(delivery: Delivery, *, actor: User, context: RequestContext = SYSTEM) -> None:
    """The administrator sends a given-up delivery again (the receiver is fixed)."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.PENDING, attempts=0,
                                                       next_attempt_at=timezone.now())
        record_event("integration.delivery_retry", actor=actor, obj=delivery.webhook.account, context=context,
                     agency_code=delivery.webhook.account.agency.code, detail={"delivery": delivery.pk})
