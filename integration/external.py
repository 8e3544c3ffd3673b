"""External ids: the id a connected system gives a case or an activity, kept beside Lawtrace's own, per system."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from integration.models import ExternalId, SystemAccount


def remember(account: SystemAccount, obj: models.Model, external_id: str) -> None:
    """Called inside the create's transaction: the id and the object are kept together or not at all."""
    if external_id:
        ExternalId.objects.create(account=account, kind=obj._meta.label_lower, external_id=external_id,
                                  object_id=obj.pk)


def object_id(account: SystemAccount, kind: str, external_id: str) -> int | None:
    return (ExternalId.objects.filter(account=account, kind=kind, external_id=external_id)
            .values_list("object_id", flat=True).first())


def ids_of(account: SystemAccount, kind: str, object_ids: Iterable[int]) -> dict[int, str]:
    """External ids of a page of objects, in one query."""
    rows = ExternalId.objects.filter(account=account, kind=kind, object_id__in=list(object_ids))
    return dict(rows.values_list("object_id", "external_id"))
