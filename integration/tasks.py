from __future__ import annotations

from django_tasks import task

from integration import webhooks


@task()
def deliver(delivery_id: int) -> str:
    delivery = webhooks.deliver(delivery_id)
    return delivery.state if delivery else "skipped"


@task()
def deliver_due() -> int:
    """The safety net: deliveries whose back-off has run out, should their queued retry have been lost."""
    ids = webhooks.due()
    for pk in ids:
        webhooks.deliver(pk)
    return len(ids)


@task()
def forget_idempotency_keys() -> int:
    """Keys older than 30 days are forgotten: a retry comes within minutes, not months."""
    from integration.api.idempotency import forget_old

    return forget_old()
