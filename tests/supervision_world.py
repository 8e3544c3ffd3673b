"""An agency with recordings spread over a period, officers who made them, and the supervision staff: for the
sampling-review, accountability and report tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from authz.roles import Role
from org.models import User
from tests.factories import AgencyFactory, RecordFactory, UserFactory, officer

AGENCIES = {
    "lushan_finance": ("lushan-finance", "鲁山县财政局"),
    "pingdingshan_emergency": ("pingdingshan-emergency", "平顶山高新区应急管理局"),
    "ruzhou_water": ("ruzhou-water", "汝州市水利局"),
    "xinzhou_finance": ("xinzhou-finance", "忻州市财政局"),
}
FIRST_DAY = dt.date(2026, 7, 1)


@dataclass
class World:
    agency: object
    officers: list[User]
    supervisor: User
    second_reviewer: User
    head: User
    records: list


def build(pack: str, *, records: int = 20) -> World:
    code, name = AGENCIES[pack]
    agency = AgencyFactory(code=code, name=name, pack_code=pack)
    officers = [officer(agency, full_name=f"执法员{n}", staff_number=f"ZF{n:03d}") for n in range(1, 4)]
    supervisor = UserFactory(agency=agency, roles=(Role.SUPERVISOR,), full_name="监督员甲")
    second = UserFactory(agency=agency, roles=(Role.LEGAL_REVIEWER,), full_name="法制员乙")
    head = UserFactory(agency=agency, roles=(Role.HEAD,), full_name="局长丙")
    made = []
    for n in range(records):
        start = timezone.make_aware(dt.datetime.combine(FIRST_DAY + dt.timedelta(days=n), dt.time(9)))
        made.append(RecordFactory(agency=agency, officer=officers[n % 3], recorded_start=start,
                                  recorded_end=start + dt.timedelta(minutes=20)))
    return World(agency, officers, supervisor, second, head, made)
