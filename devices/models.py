from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    """A recording device (R2.2). Its kind is one of the kinds its agency's pack lists."""

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
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_SERVICE)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recording device")
        verbose_name_plural = _("recording devices")
        ordering = ["agency", "serial"]
        constraints = [models.UniqueConstraint(fields=["agency", "serial"], name="device_unique_serial_per_agency")]

    def __str__(self) -> str:
        return f"{self.brand} {self.model} ({self.serial})"
