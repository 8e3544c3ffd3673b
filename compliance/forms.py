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

    def __init__(self, *args, reasons: dict[str, tuple[str, list[str]]], clips, kind: str = "interruption",
                 **kwargs) -> None:
        from policy.citations import law

        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["reason"].choices = [("", "---------")] + [
            (key, f"{label}（{law(cites)}）") for key, (label, cites) in reasons.items()]
        if kind == InterruptionNote.Kind.NON_RECORDING:
            # Not recorded at all: the ground replaces the reason, and the whole activity is the period.
            self.fields["reason"].label = _("ground for not recording")
            self.fields["explanation"].label = _("why the activity could not be recorded")
            for name in ("gap_start", "gap_end", "clips"):
                del self.fields[name]
            return
        self.fields["clips"].queryset = clips
        self.fields["clips"].label_from_instance = lambda r: (
            f"{r.shown_name} · {localtime(r.recorded_start):%H:%M:%S}–{localtime(r.recorded_end):%H:%M:%S}"
            if r.recorded_start and r.recorded_end else r.shown_name)
        for name in ("gap_start", "gap_end"):
            self.fields[name].input_formats = _FORMATS

    def service_data(self) -> dict:
        names = ("reason", "gap_start", "gap_end", "explanation", "basis")
        return {"kind": self.kind, **{name: self.cleaned_data[name] for name in names if name in self.fields}}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), widget=forms.RadioSelect, choices=[
        ("approve", _("approve and file")), ("return", _("return for revision"))])
    review_comment = forms.CharField(label=_("review comment"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
