from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Activity, Case
from cases.services import ACTIVITY_FIELDS, CASE_FIELDS
from org.models import User
from policy.registry import registry
from policy.vocabulary import Category

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an action function's refusal on the fields it names, so nothing is saved and the user sees why."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        if field in form.fields:
            form.add_error(field, messages)
            continue
        label = _field_label(form, field)
        form.add_error(None, [f"{label}：{m}" if label else m for m in messages])


def _field_label(form: forms.Form, name: str) -> str:
    model = getattr(getattr(form, "_meta", None), "model", None)
    try:
        return str(model._meta.get_field(name).verbose_name) if model and name != "__all__" else ""
    except FieldDoesNotExist:
        return ""


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.staff_number})" if obj.staff_number else str(obj)


def _agency_staff(user: User):
    return User.objects.restrict(user).filter(is_active=True).order_by("full_name", "username")


class CaseForm(forms.ModelForm):
    """A case's facts. Its handlers are named here only when a case is opened by someone who assigns handlers;
    afterwards they change on their own page, with a reason (``HandlersForm``)."""

    handlers = StaffChoiceField(label=_("case handlers"), queryset=User.objects.none(),
                                widget=forms.SelectMultiple(attrs={"size": 6}))

    class Meta:
        model = Case
        fields = [f for f in CASE_FIELDS]
        widgets = {"opened_on": _DATE, "archived_on": _DATE}

    def __init__(self, *args, user: User, names_handlers: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agency = user.agency
        if names_handlers:
            self.fields["handlers"].queryset = _agency_staff(user)
        else:
            del self.fields["handlers"]
        categories = registry().in_force(self.agency.pack_code).agency.categories
        self.fields["category"].choices = [(c.value, c.label) for c in categories]
        for name in Case.MARK_FIELDS:
            self.fields[name].help_text = _("Raised by a handler of the case; lowered only by the security "
                                            "administrator (000/1/10).")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in CASE_FIELDS}


class ActivityForm(forms.ModelForm):
    stage = forms.ChoiceField(label=_("checklist stage"))
    officers = StaffChoiceField(label=_("enforcement officers"), queryset=User.objects.none(),
                                widget=forms.SelectMultiple(attrs={"size": 6}))
    assistants = StaffChoiceField(label=_("assistants"), queryset=User.objects.none(), required=False,
                                  widget=forms.SelectMultiple(attrs={"size": 4}))

    class Meta:
        model = Activity
        fields = [f for f in ACTIVITY_FIELDS]
        widgets = {
            "planned_start": _DATETIME, "planned_end": _DATETIME, "actual_start": _DATETIME, "actual_end": _DATETIME,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, cases, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agency = agency = user.agency
        pack = registry().in_force(agency.pack_code)
        self.fields["category"].choices = [("", "---------")] + [(c.value, c.label) for c in pack.agency.categories]
        grouped: dict[str, list[tuple[str, str]]] = {}
        for row in pack.recording.checklist:
            labels = "、".join(str(Category(c).label) for c in row.categories)
            grouped.setdefault(labels, []).append((row.id, f"{row.stage}（{row.get_obligation_label()}）"))
        self.fields["stage"].choices = [("", "---------"), *grouped.items()]
        self.fields["case"].queryset = cases
        staff = _agency_staff(user)
        self.fields["officers"].queryset = staff
        self.fields["assistants"].queryset = staff
        for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.instance.pk:
            parts = self.instance.participants.all()
            self.initial["officers"] = [p.user_id for p in parts if p.part == "officer"]
            self.initial["assistants"] = [p.user_id for p in parts if p.part == "assistant"]

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ACTIVITY_FIELDS}


class HandlersForm(forms.Form):
    handlers = StaffChoiceField(label=_("case handlers"), queryset=User.objects.none(),
                                widget=forms.SelectMultiple(attrs={"size": 8}))
    reason = forms.CharField(label=_("reason for the change"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handlers"].queryset = _agency_staff(user)
