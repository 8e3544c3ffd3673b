"""Factories for the foundation models. Objects are created through the action functions where it matters."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from authz.roles import Role
from cases.models import Activity, ActivityOfficer, Case
from org.models import Agency, Qualification, RoleGrant, Unit, User

PASSWORD = "Test-2026-password"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = "lushan-finance"
    name = "鲁山县财政局"
    pack_code = "lushan_finance"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"第{n}股")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试人员{n}")
    agency = factory.SubFactory(AgencyFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: tuple[str, ...] | None, **kwargs) -> None:
        self.save()
        for role in extracted or ():
            RoleGrant.objects.create(user=self, role=role)
        self.__dict__.pop("_role_cache", None)


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    user = factory.SubFactory(UserFactory)
    kind = Qualification.Kind.ENFORCEMENT
    certificate_number = factory.Sequence(lambda n: f"ZF{n:08d}")
    issuer = "河南省人民政府法制办公室"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


def officer(agency: Agency | None = None, **kwargs) -> User:
    """A qualified enforcement officer."""
    user = UserFactory(agency=agency or AgencyFactory(), roles=(Role.OFFICER,), **kwargs)
    QualificationFactory(user=user)
    return user


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    number = factory.Sequence(lambda n: f"鲁财罚〔2026〕{n:03d}号")
    title = factory.Sequence(lambda n: f"某公司违法案{n}")
    category = "penalty"
    procedure = "general"
    party_kind = "organisation"
    party_name = "某商贸有限公司"
    opened_on = factory.LazyFunction(timezone.localdate)
    pack_version = 1

    @factory.post_generation
    def handlers(self, create: bool, extracted: list[User] | None, **kwargs) -> None:
        if extracted:
            self.handlers.set(extracted)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    category = "inspection"
    stage = "on_site_enforcement"
    place = "城关镇建设路18号"
    planned_start = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + dt.timedelta(hours=2))
    pack_version = 1

    @factory.post_generation
    def officers(self, create: bool, extracted: list[User] | None, **kwargs) -> None:
        for user in extracted or ():
            ActivityOfficer.objects.create(activity=self, user=user, part=ActivityOfficer.Part.OFFICER)


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "devices.Device"

    agency = factory.SubFactory(AgencyFactory)
    kind = "body_camera"
    brand = "海康威视"
    model = "DSJ-A8"
    serial = factory.Sequence(lambda n: f"DSJ{n:05d}")


class BlobFactory(factory.django.DjangoModelFactory):
    """A stored-content row without bytes behind it: for rules that read only the catalogue (compliance)."""

    class Meta:
        model = "evidence.Blob"

    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    sm3 = factory.Sequence(lambda n: f"{n + 1:064x}")
    size = 1024
    backend = "local"
    key = factory.LazyAttribute(lambda o: o.sha256)


class RecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "evidence.Record"

    agency = factory.SubFactory(AgencyFactory)
    kind = "av"
    blob = factory.SubFactory(BlobFactory)
    original_name = factory.Sequence(lambda n: f"clip{n:04d}.mp4")
    channel = "upload"
    link_state = "manual"
    pack_version = 1
