from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access import rules
from policy.schema import PolicyPack
from policy.vocabulary import AccessAction, AccessPurpose, Credential, RequesterType

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DEFAULT_DAYS = 7


class RequestForm(forms.Form):
    """An access request; which requester types and actions are offered comes from the agency's pack."""

    requester_type = forms.ChoiceField(label=_("requester type"))
    requester_user = forms.ModelChoiceField(queryset=None, required=False, label=_("requesting staff member"),
                                            help_text=_("For requests by staff of the agency."))
    requester_name = forms.CharField(required=False, max_length=60, label=_("requester"),
                                     help_text=_("For requesters from outside the agency."))
    requester_unit = forms.CharField(required=False, max_length=120, label=_("requester's unit"))
    requester_id_number = forms.CharField(required=False, max_length=40, label=_("identity document number"))
    purpose = forms.ChoiceField(choices=AccessPurpose.choices, label=_("purpose"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label=_("reason for the request"))
    actions = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label=_("actions"))
    case = forms.ModelChoiceField(queryset=None, required=False, label=_("case"))
    records = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                             label=_("items"),
                                             help_text=_("Leave empty to ask for every item of the case the rule "
                                                         "admits."))
    credentials_verified = forms.BooleanField(required=False, label=_(
        "I have checked the credentials against the originals"))
    valid_until = forms.DateTimeField(widget=_DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                      label=_("access until"))

    def __init__(self, *args, pack: PolicyPack, staff, cases, records, requester_types: set[str], **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "valid_until", (timezone.localtime() + dt.timedelta(days=_DEFAULT_DAYS)).replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        known = {str(t) for rule in pack.access.rules for t in rule.requesters}
        self.fields["requester_type"].choices = [c for c in RequesterType.choices if c[0] in known]
        # Offered: what the user may claim to be. Any type of the pack still validates, so a claim the user may not
        # make reaches the action function, which refuses it on record.
        self.fields["requester_type"].widget.choices = [c for c in RequesterType.choices
                                                        if c[0] in known & requester_types]
        actions = {str(a) for rule in pack.access.rules for a in rule.actions}
        self.fields["actions"].choices = [c for c in AccessAction.choices if c[0] in actions]
        self.fields["requester_user"].queryset = staff
        self.fields["case"].queryset = cases
        self.fields["records"].queryset = records
        needed = {str(c) for rule in pack.access.rules for c in [*rule.credentials, *rule.lawyer_credentials]}
        for value, label in Credential.choices:
            if value in needed:
                self.fields[f"credential_{value}"] = forms.CharField(
                    required=False, max_length=80, label=label,
                    help_text=_("Number or reference of the document seen."))

    def credentials(self) -> list[dict]:
        return [{"kind": name.removeprefix("credential_"), "reference": value.strip()}
                for name, value in self.cleaned_data.items() if name.startswith("credential_") and value.strip()]

    def credential_fields(self):
        return [self[name] for name in self.fields if name.startswith("credential_")]

    def is_staff_request(self) -> bool:
        return self.cleaned_data.get("requester_type") in rules.STAFF_REQUESTERS


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                              label=_("comment"))


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("why the grant is revoked"))


class PackageForm(forms.Form):
    maker = forms.CharField(max_length=60, label=_("Made by"))
    extractor = forms.CharField(max_length=60, label=_("Extracted by"))
    proves = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label=_("What it proves"))
    fee_yuan = forms.DecimalField(required=False, min_value=0, max_digits=9, decimal_places=2,
                                  label=_("copying fee (yuan)"))


class VerifyForm(forms.Form):
    package = forms.FileField(label=_("evidence package (.zip)"))


class RegisterFilter(forms.Form):
    since = forms.DateField(required=False, label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, label=_("search"))
