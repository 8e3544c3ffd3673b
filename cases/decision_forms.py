"""The forms of a decision's legal review (001/5): what the drafter submits per material, and the reviewer's finding
per review point. Each checks on its own what the action function checks again, so a mistake is shown on the field
it concerns and nothing typed is lost."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RecordChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.shown_name


class SubmitForm(forms.Form):
    """One reference field and one choice of the case's records per material the catalogue lists."""

    def __init__(self, *args, materials: list[str], records, **kwargs) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.materials = materials
        for index, name in enumerate(materials):
            self.fields[f"material-{index}"] = forms.CharField(
                label=name, required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": _("number or reference of what is attached")}))
            self.fields[f"records-{index}"] = RecordChoices(
                label=_("records of the case that are this material"), queryset=records, required=False,
                widget=forms.SelectMultiple(attrs={"size": 4}),
                help_text=_("The legal reviewer opens these in the system; each look is entered in the register."))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for index in range(len(self.materials)):
            if not (data.get(f"material-{index}") or "").strip() and not data.get(f"records-{index}"):
                self.add_error(f"material-{index}", _("Give the reference of what is attached or choose its records."))
        return data

    def rows(self) -> list[tuple]:
        return [(self[f"material-{index}"], self[f"records-{index}"]) for index in range(len(self.materials))]

    def references(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"material-{index}"].strip() for index, name in enumerate(self.materials)}

    def attached(self) -> dict[str, list[int]]:
        return {name: [r.pk for r in self.cleaned_data[f"records-{index}"]]
                for index, name in enumerate(self.materials)}


class ReviewForm(forms.Form):
    """A finding per review point: the words are required only where the point does not meet the requirement."""

    opinion = forms.CharField(label=_("review opinion"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    conclusion = forms.ChoiceField(label=_("conclusion"), choices=[
        ("pass", _("passed")), ("fail", _("not passed: return for correction"))])

    def __init__(self, *args, points: list[str], **kwargs) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.points = points
        for index, _point in enumerate(points):
            # The page makes the words required while the box is unticked (static/lawtrace.js); without scripts the
            # server asks for them the same way.
            self.fields[f"finding-{index}"] = forms.CharField(
                label=_("what is wanting"), required=False, max_length=1000, widget=forms.TextInput(attrs={
                    "data-required-unless": f"ok-{index}",
                    "placeholder": _("required unless it meets the requirement")}))
            self.fields[f"ok-{index}"] = forms.BooleanField(label=_("meets the requirement"), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        wanting = False
        for index in range(len(self.points)):
            if not data.get(f"ok-{index}"):
                wanting = True
                if not (data.get(f"finding-{index}") or "").strip():
                    self.add_error(f"finding-{index}", _("Say what is wanting, or tick that it meets the "
                                                         "requirement."))
        if wanting and data.get("conclusion") == "pass":
            self.add_error("conclusion", _("A review cannot pass while a review point is found wanting."))
        return data

    def rows(self) -> list[tuple]:
        return [(point, self[f"finding-{index}"], self[f"ok-{index}"]) for index, point in enumerate(self.points)]

    def findings(self) -> list[dict]:
        return [{"point": point, "finding": self.cleaned_data[f"finding-{index}"].strip(),
                 "ok": self.cleaned_data[f"ok-{index}"]} for index, point in enumerate(self.points)]
