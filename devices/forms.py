from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import User
from policy.citations import law


def add_check_items(form: forms.Form, items: list[tuple[str, str, list[str]]], *, required: bool) -> None:
    for item_id, label, cites in items:
        form.fields[f"check_{item_id}"] = forms.BooleanField(
            label=f"{label}（{law(cites)}）", required=False,
            help_text=_("Tick when this is in order.") if required else "")


def check_results(form: forms.Form, items: list[tuple[str, str, list[str]]]) -> dict[str, bool]:
    return {item_id: bool(form.cleaned_data.get(f"check_{item_id}")) for item_id, _label, _cites in items}


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(label=_("device kind"))
    brand = forms.CharField(label=_("brand"), max_length=64)
    model = forms.CharField(label=_("model"), max_length=64)
    serial = forms.CharField(label=_("serial number"), max_length=64)
    unit = forms.ModelChoiceField(label=_("unit"), queryset=None, required=False)

    def __init__(self, *args, kinds: dict[str, str], units, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------"), *kinds.items()]
        self.fields["unit"].queryset = units


class HandOutForm(forms.Form):
    holder = forms.ModelChoiceField(label=_("used by"), queryset=User.objects.none())
    purpose = forms.CharField(label=_("purpose"), max_length=200)

    def __init__(self, *args, staff, items, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = staff
        add_check_items(self, items, required=True)


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("condition on return"), max_length=200, required=False)


class CheckForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, items, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        add_check_items(self, items, required=True)
        self.order_fields([f"check_{i}" for i, _l, _c in items] + ["note"])


class FaultForm(forms.Form):
    description = forms.CharField(label=_("fault"), widget=forms.Textarea(attrs={"rows": 3}))


class RepairForm(forms.Form):
    repairer = forms.CharField(label=_("repaired by (professional service)"), max_length=200)


class CloseFaultForm(forms.Form):
    repaired = forms.TypedChoiceField(
        label=_("result"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=[("1", _("repaired, back in service")), ("0", _("beyond repair, retire"))])
    outcome = forms.CharField(label=_("repair outcome"), widget=forms.Textarea(attrs={"rows": 2}))


class LedgerFilterForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))
    device = forms.ModelChoiceField(label=_("device"), queryset=None, required=False)

    def __init__(self, *args, devices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data
