from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from authz.scopes import RestrictedQuerySet


class Device(models.Model):
    """A recording device (000/2/2). Its kind is one of the kinds its agency's pack lists."""

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("in service")
        FAULTY = "faulty", _("faulty")
        UNDER_REPAIR = "under_repair", _("under repair")
        RETIRED = "retired", _("retired")

    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="devices")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(_("device kind"), max_length=64)
    brand = models.CharField(_("brand"), max_length=64)
    model = models.CharField(_("model"), max_length=64)
    serial = models.CharField(_("serial number"), max_length=64)
    # Who keeps the device between hand-overs (保管人), answerable for it in the register.
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("keeper"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_SERVICE)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("recording device")
        verbose_name_plural = _("recording devices")
        ordering = ["agency", "serial"]
        constraints = [models.UniqueConstraint(fields=["agency", "serial"], name="device_unique_serial_per_agency")]

    def __str__(self) -> str:
        return f"{self.brand} {self.model} ({self.serial})"


class HandOver(models.Model):
    """One lending of a device to a user and its return (000/2/4). The 台账 itself is read from the events."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="hand_overs")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("used by"), on_delete=models.PROTECT,
                               related_name="+")
    out_at = models.DateTimeField(_("handed out at"))
    out_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handed out by"), on_delete=models.PROTECT,
                               related_name="+")
    purpose = models.CharField(_("purpose"), max_length=200)
    back_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    back_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received back by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    back_note = models.CharField(_("condition on return"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("device hand-over")
        verbose_name_plural = _("device hand-overs")
        ordering = ["-out_at"]
        indexes = [models.Index(fields=["device", "out_at"])]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=models.Q(back_at__isnull=True),
                                    name="hand_over_one_open_per_device"),
            models.CheckConstraint(condition=models.Q(back_at__isnull=True) | models.Q(back_at__gte=models.F("out_at")),
                                   name="hand_over_back_after_out"),
        ]

    def __str__(self) -> str:
        return f"{self.device} → {self.holder}"


class PreUseCheck(models.Model):
    """The check before use (000/2/7, 004/20): one answer per item of the agency's pack."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked by"), on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    results = models.JSONField(_("results"), default=dict)
    passed = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("pre-use check")
        verbose_name_plural = _("pre-use checks")
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["device", "checked_at"])]

    def __str__(self) -> str:
        return f"{self.device} {localtime(self.checked_at):%Y-%m-%d %H:%M}"


class FaultReport(models.Model):
    """A fault: use stops, it is reported and repaired by professionals (004/21)."""

    class State(models.TextChoices):
        REPORTED = "reported", _("reported")
        UNDER_REPAIR = "under_repair", _("under repair")
        REPAIRED = "repaired", _("repaired")
        WRITTEN_OFF = "written_off", _("written off")

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="faults")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"),
                                    on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))
    description = models.TextField(_("fault"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED)
    repairer = models.CharField(_("repaired by (professional service)"), max_length=200, blank=True)
    outcome = models.TextField(_("repair outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("device fault")
        verbose_name_plural = _("device faults")
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.device} {self.reported_at:%Y-%m-%d}"
