from __future__ import annotations

from django import forms
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from compliance.models import InterruptionNote

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1}, format="%Y-%m-%dT%H:%M:%S")
_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


class NoteForm(forms.ModelForm):
    reason = forms.ChoiceField(label=_("reason"))
    clips = forms.ModelMultipleChoiceField(label=_("clips before and after"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = InterruptionNote
        fields = ["reason", "gap_start", "gap_end", "explanation", "basis", "clips"]
        widgets = {"gap_start": _DATETIME, "gap_end": _DATETIME,
                   "explanation": forms.Textarea(attrs={"rows": 4}), "basis": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, reasons: dict[str, tuple[str, list[str]]], clips, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "---------")] + [
            (key, f"{label}（{'、'.join(cites)}）") for key, (label, cites) in reasons.items()]
        self.fields["clips"].queryset = clips
        self.fields["clips"].label_from_instance = lambda r: (
            f"{r.original_name} · {localtime(r.recorded_start):%H:%M:%S}–{localtime(r.recorded_end):%H:%M:%S}"
            if r.recorded_start and r.recorded_end else r.original_name)
        for name in ("gap_start", "gap_end"):
            self.fields[name].input_formats = _FORMATS

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("reason", "gap_start", "gap_end", "explanation", "basis")}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), widget=forms.RadioSelect, choices=[
        ("approve", _("approve and file")), ("return", _("return for revision"))])
    review_comment = forms.CharField(label=_("review comment"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
