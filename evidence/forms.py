from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Activity, Case
from devices.models import Device
from evidence.models import Record
from org.models import Unit, User
from policy import current
from policy.vocabulary import RecordUsage

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M:%S")


class ClassifyForm(forms.ModelForm):
    """Completing a record's classification (001/2/8, 001/3/5); the content itself is never editable."""

    class Meta:
        model = Record
        fields = ["unit", "device", "officer", "case", "party", "usage", "recorded_start", "recorded_end",
                  "remote_reason", "returned_to_unit_at", "confidentiality", "conclusive"]
        widgets = {"recorded_start": _DATETIME, "recorded_end": _DATETIME, "returned_to_unit_at": _DATETIME}

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agency = user.agency
        self.fields["unit"].queryset = Unit.objects.restrict(user)
        self.fields["device"].queryset = Device.objects.restrict(user)
        self.fields["officer"].queryset = User.objects.restrict(user).filter(is_active=True)
        # A record is filed into a case the user may work on (an officer: one they handle); moving another's record
        # into one's own case would open its content to oneself. Its present case stays a choice.
        cases = Case.objects.restrict(user, "edit")
        if self.instance.case_id:
            cases = cases | Case.objects.filter(pk=self.instance.case_id)
        self.fields["case"].queryset = cases
        for name in ("recorded_start", "recorded_end", "returned_to_unit_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        marks = current.in_force(agency).confidentiality
        if marks is None:
            del self.fields["confidentiality"]
        else:
            offered = {str(mark) for mark in marks.marks}
            self.fields["confidentiality"].choices = [
                choice for choice in self.fields["confidentiality"].choices if choice[0] in offered or not choice[0]]


class LinkForm(forms.Form):
    activity = forms.ModelChoiceField(queryset=Activity.objects.none(), label=_("enforcement activity"))

    def __init__(self, *args, user: User, candidates=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = candidates if candidates is not None else Activity.objects.restrict(user)


class UnlinkForm(forms.Form):
    reason = forms.CharField(label=_("why the link is wrong"), max_length=500)


class UploadDetailsForm(forms.Form):
    """What the officer states once for a batch of uploads; sent with each file as tus metadata."""

    case = forms.ModelChoiceField(queryset=Case.objects.none(), required=False, label=_("case"))
    activity = forms.ModelChoiceField(queryset=Activity.objects.none(), required=False,
                                      label=_("enforcement activity"))
    device = forms.ModelChoiceField(queryset=Device.objects.none(), required=False, label=_("recording device"))
    party = forms.CharField(required=False, max_length=200, label=_("party"))
    usage = forms.ChoiceField(choices=[("", "—"), *RecordUsage.choices], required=False, label=_("usage"))
    remote_reason = forms.CharField(
        required=False, max_length=200, label=_("remote or continuous work"),
        help_text=_("Only when the recordings could not be stored the same day (000/2/13, 001/3/6)."))
    returned_to_unit_at = forms.DateTimeField(required=False, widget=_DATETIME, label=_("returned to unit at"),
                                              input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"])

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = Case.objects.restrict(user, "edit").exclude(state="archived")
        self.fields["activity"].queryset = Activity.objects.restrict(user).order_by("-planned_start")
        self.fields["device"].queryset = Device.objects.restrict(user).filter(status="in_service")

    def clean(self):
        data = super().clean()
        if data.get("returned_to_unit_at") and not data.get("remote_reason"):
            self.add_error("remote_reason", _("State the remote or continuous work the return time belongs to."))
        return data


class StationForm(forms.Form):
    name = forms.CharField(label=_("station name"), max_length=100)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, label=_("unit"))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user)


class NamePatternForm(forms.Form):
    brand = forms.CharField(label=_("brand"), max_length=64)
    model = forms.CharField(label=_("model"), max_length=64, required=False,
                            help_text=_("Empty: every model of the brand."))
    regex = forms.CharField(label=_("pattern"), max_length=300)
    time_format = forms.CharField(label=_("time format"), max_length=40, initial="%Y%m%d%H%M%S")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The group names and the example are what the administrator types: shown as code, not as prose.
        groups = format_html_join("、", "<code>{}</code>（{}）", [
            ("serial", _("device serial")), ("officer", _("officer number")), ("start", _("start time")),
            ("end", _("end time")), ("seq", _("sequence number"))])
        self.fields["regex"].help_text = format_html(
            gettext("A regular expression over the file name without its extension, marking its parts with the named "
              "groups {groups}; e.g. {example}"), groups=groups,
            example=format_html("<code>{}</code>", r"(?P<serial>\w+)_(?P<start>\d{14})"))

class RecordFilterForm(forms.Form):
    """The evidence list's filters besides the search and the kind: who recorded, with which device, and when."""

    officer = forms.ModelChoiceField(label=_("officer"), queryset=User.objects.none(), required=False,
                                     empty_label=_("all officers"))
    device = forms.ModelChoiceField(label=_("device"), queryset=Device.objects.none(), required=False,
                                    empty_label=_("all devices"))
    recorded_from = forms.DateField(label=_("recorded from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    recorded_to = forms.DateField(label=_("recorded until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        officer, device = self.fields["officer"], self.fields["device"]
        assert isinstance(officer, forms.ModelChoiceField) and isinstance(device, forms.ModelChoiceField)
        officer.queryset = User.objects.restrict(user).order_by("full_name", "pk")
        device.queryset = Device.objects.restrict(user).order_by("serial", "pk")

    def clean(self):
        data = super().clean() or {}
        if data.get("recorded_from") and data.get("recorded_to") and data["recorded_to"] < data["recorded_from"]:
            self.add_error("recorded_to", _("The end of the recording period is before its start."))
        return data
