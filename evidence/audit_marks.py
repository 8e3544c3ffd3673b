"""Which records the audit of reads of marked records looks at (``ledger.audits``): those marked themselves, and
those of a case marked state secret, commercial secret or personal privacy (000/1/10)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from evidence.models import Record


def marked_records() -> QuerySet[Record]:
    return Record.objects.filter(~Q(confidentiality="") | Q(case__state_secret=True) | Q(case__commercial_secret=True)
                                 | Q(case__personal_privacy=True))


MARKED = {"evidence.record": marked_records}
