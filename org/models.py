from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from authz.roles import Role
from authz.scopes import RestrictedQuerySet


class Agency(models.Model):
    """An enforcement agency, bound to its policy pack."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    pack_code = models.CharField(_("policy pack"), max_length=64)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit inside an agency (股/科/大队/室)."""

    class Kind(models.TextChoices):
        SECTION = "section", _("section")
        DIVISION = "division", _("division")
        BRIGADE = "brigade", _("brigade")
        OFFICE = "office", _("office")
        STATION = "station", _("station")

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SECTION)
    is_records_unit = models.BooleanField(_("keeps the records"), default=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="unit_unique_name_per_agency")]

    def __str__(self) -> str:
        return self.name


class StaffManager(UserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(AbstractUser):
    """A staff member (or administrator) of one agency."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    staff_number = models.CharField(_("staff number"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Confidentiality marks (000/1/10) this person is cleared for, set by the security administrator.
    clearances = models.JSONField(_("cleared for"), default=list, blank=True)

    objects = StaffManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["agency", "username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = frozenset(self.role_grants.values_list("role", flat=True)) if self.pk else frozenset()
            self._role_cache = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_set

    def qualification_on(self, day: dt.date) -> Qualification | None:
        """The enforcement or assisting qualification valid on a day, enforcement preferred."""
        valid = [q for q in self.qualifications.all() if q.is_valid_on(day)]
        valid.sort(key=lambda q: q.kind != Qualification.Kind.ENFORCEMENT)
        return valid[0] if valid else None


class RoleGrant(models.Model):
    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Qualification(models.Model):
    """执法证 or 协助执法证 (004/7-8): only holders of an enforcement qualification are recording subjects."""

    class Kind(models.TextChoices):
        ENFORCEMENT = "enforcement", _("enforcement")
        ASSISTING = "assisting", _("assisting enforcement")

    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE,
                             related_name="qualifications")
    kind = models.CharField(_("qualification kind"), max_length=16, choices=Kind.choices)
    certificate_number = models.CharField(_("certificate number"), max_length=64)
    issuer = models.CharField(_("issued by"), max_length=120)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enforcement qualification")
        verbose_name_plural = _("enforcement qualifications")
        ordering = ["user", "-valid_until"]
        constraints = [
            models.UniqueConstraint(fields=["certificate_number"], name="qualification_unique_certificate"),
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")),
                                   name="qualification_valid_range",
                                   violation_error_message=_("The validity ends before it starts.")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.certificate_number}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until
