from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from authz.roles import Role
from org.models import Agency, Qualification, RoleRequest, Unit, User
from policy.registry import registry

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def show_errors(form: forms.BaseForm, error) -> None:
    """An action function's refusal on the fields it names (``cases.forms.apply_service_errors``), for model forms."""
    from cases.forms import apply_service_errors

    apply_service_errors(cast(forms.Form, form), error)


def pack_choices() -> list[tuple[str, str]]:
    """Every installed pack by the name of the agency whose rulebook it is."""
    packs = registry()
    return [(code, packs.files(code)[0].pack.agency.name) for code in packs.codes()]


class AgencyForm(forms.ModelForm):
    pack_code = forms.ChoiceField(label=_("policy pack"), choices=())

    class Meta:
        model = Agency
        fields = ["code", "name", "pack_code", "account_prefix"]
        help_texts = {
            "code": _("Letters, digits and hyphens; it cannot be changed later (yexian-finance)."),
            "account_prefix": _("Account names of the agency's staff start with it (yx-)."),
        }

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["pack_code"]).choices = pack_choices()
        if editing:
            del self.fields["code"]


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "kind", "parent", "is_records_unit"]

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        parents = Unit.objects.filter(agency=agency).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        _choice(self, "parent").queryset = parents
        self.fields["parent"].required = False

    def _post_clean(self) -> None:
        # The model is validated by the action function (org.structure), which sees the agency and the tree.
        pass


class StaffForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "staff_number", "unit", "phone"]

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["staff_number"].required = True
        _choice(self, "unit").queryset = Unit.objects.filter(agency=agency).order_by("name")

    def _post_clean(self) -> None:
        pass


class NewStaffForm(StaffForm):
    agency = forms.ModelChoiceField(label=_("agency"), queryset=Agency.objects.none())
    roles = forms.MultipleChoiceField(label=_("roles to ask for"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text=_("The security administrator decides; until then the account can "
                                                  "do nothing."))

    field_order = ["agency", "full_name", "staff_number", "unit", "phone", "roles"]

    def __init__(self, *args, agencies, agency: Agency, **kwargs) -> None:
        super().__init__(*args, agency=agency, **kwargs)
        _choice(self, "agency").queryset = agencies
        self.fields["agency"].initial = agency.pk
        _choice(self, "unit").queryset = Unit.objects.filter(agency__in=agencies).select_related("agency") \
            .order_by("agency__name", "name")


class QualificationForm(forms.ModelForm):
    class Meta:
        model = Qualification
        fields = ["kind", "certificate_number", "issuer", "valid_from", "valid_until"]
        widgets = {"valid_from": _DATE, "valid_until": _DATE}

    def _post_clean(self) -> None:
        pass


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class RoleRequestForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    change = forms.ChoiceField(label=_("change"), choices=RoleRequest.Change.choices)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(label=_("decision"), coerce=lambda v: v == "yes",
                                     choices=[("yes", _("carry out")), ("no", _("decline"))])
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("staff list (.xlsx or .csv)"))
    agency = forms.ModelChoiceField(label=_("agency"), queryset=Agency.objects.none())
    issuer = forms.CharField(label=_("issuing body of the certificates"), max_length=120, required=False,
                             help_text=_("Used where the file has no 发证机关 column."))

    def __init__(self, *args, agencies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "agency").queryset = agencies
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first().pk


class CodeForm(forms.Form):
    code = forms.CharField(label=_("verification code"), max_length=32,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))
