from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from access import rules
from policy.citations import law
from policy.schema import PolicyPack
from policy.vocabulary import AccessAction, AccessPurpose, Credential, RequesterType

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DEFAULT_DAYS = 7


class RequestForm(forms.Form):
    """An access request; which requester types, actions and credentials are offered comes from the agency's pack.

    Each field that concerns only some requester types says which (``show_for``), so the page shows it only for them
    (static/lawtrace.js); ``clean`` asks for exactly the credentials the rule covering the request needs."""

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

    def __init__(self, *args, pack: PolicyPack, staff, cases, records, requester_types: set[str],
                 files_for_others: bool = False, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "valid_until", (timezone.localtime() + dt.timedelta(days=_DEFAULT_DAYS)).replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.pack = pack
        access_rules = pack.access.rules if pack.access else []
        known = [value for value in RequesterType.values if value in {str(t) for r in access_rules
                                                                         for t in r.requesters}]
        labels = dict(RequesterType.choices)
        self.fields["requester_type"].choices = [(t, labels[t]) for t in known]
        # Offered: what the user may claim to be, staff and outside requesters apart. Any type of the pack still
        # validates, so a claim the user may not make reaches the action function, which refuses it on record.
        offered = [t for t in known if t in requester_types]
        staff_types = [(t, labels[t]) for t in offered if t in rules.STAFF_REQUESTERS]
        outside_types = [(t, labels[t]) for t in offered if t not in rules.STAFF_REQUESTERS]
        self.fields["requester_type"].widget.choices = (
            [(_("staff of the agency"), staff_types), (_("from outside the agency"), outside_types)]
            if staff_types and outside_types else staff_types + outside_types)
        self.offered_types = offered
        actions = {str(a) for rule in access_rules for a in rule.actions}
        self.fields["actions"].choices = [c for c in AccessAction.choices if c[0] in actions]
        self.fields["requester_user"].queryset = staff
        self.fields["case"].queryset = cases
        self.fields["records"].queryset = records
        if not files_for_others:
            # Staff file their own requests (000/1/6): who is asking is the user, not a choice on the page.
            for name in ("requester_user", "requester_name", "requester_unit", "requester_id_number"):
                self.fields[name].widget = forms.HiddenInput()
        self.show_for = {
            "requester_user": [t for t in offered if t in rules.STAFF_REQUESTERS],
            "requester_name": [t for t in offered if t not in rules.STAFF_REQUESTERS],
            "requester_unit": [t for t in offered if t not in rules.STAFF_REQUESTERS],
            "requester_id_number": [t for t in offered if t not in rules.STAFF_REQUESTERS],
            "credentials_verified": [t for t in offered if rules.verifies(pack, t)],
        }
        if not self.show_for["credentials_verified"]:
            del self.fields["credentials_verified"]
        for value, label in Credential.choices:
            types = [t for t in offered if value in rules.credentials_for(pack, t)]
            if types:
                self.fields[f"credential_{value}"] = forms.CharField(
                    required=False, max_length=80, label=label,
                    help_text=_("Number or reference of the document seen."))
                self.show_for[f"credential_{value}"] = types

    def clean(self):
        super().clean()
        data = self.cleaned_data
        kind = data.get("requester_type")
        if kind is None:
            return data
        if kind not in rules.STAFF_REQUESTERS:
            for name in ("requester_name", "requester_unit"):
                if not self.fields[name].widget.is_hidden and not (data.get(name) or "").strip():
                    self.add_error(name, _("Give the requester's name and unit."))
        rule = rules.matching_rule(self.pack, kind, set(data.get("actions") or []), data.get("purpose") or "")
        needed = rules.required_credentials(rule, kind) if rule else rules.credentials_for(self.pack, kind)
        for name in [n for n in self.fields if n.startswith("credential_")]:
            value = name.removeprefix("credential_")
            if value not in needed:
                data[name] = ""  # not asked for this requester: neither required nor kept
            elif not (data.get(name) or "").strip():
                where = law(rule.cite) if rule else law([c for r in rules.rules_for(self.pack, kind) for c in r.cite])
                self.add_error(name, _("Required for this requester (%(cite)s).") % {"cite": where})
        if "credentials_verified" in self.fields and kind not in self.show_for["credentials_verified"]:
            data["credentials_verified"] = False
        return data

    def credentials(self) -> list[dict]:
        return [{"kind": name.removeprefix("credential_"), "reference": value.strip()}
                for name, value in self.cleaned_data.items() if name.startswith("credential_") and value.strip()]

    def credential_fields(self):
        return [self[name] for name in self.fields if name.startswith("credential_")]

    def shown_for(self, name: str) -> str:
        """The page's condition for showing a field: ``requester_type:`` and the types it concerns, or empty."""
        types = self.show_for.get(name)
        return f"requester_type:{' '.join(types)}" if types is not None else ""

    def rows(self) -> list[tuple]:
        """The visible fields but the credentials, each with the condition for showing it."""
        return [(self[name], self.shown_for(name)) for name in self.fields
                if not name.startswith("credential_") and not self[name].is_hidden]

    def credentials_shown_for(self) -> str:
        types = sorted({t for name in self.fields if name.startswith("credential_") for t in self.show_for[name]})
        return f"requester_type:{' '.join(types)}"

    def credential_rows(self) -> list[tuple]:
        return [(field, self.shown_for(field.name)) for field in self.credential_fields()]

    def action_options(self) -> list[dict]:
        """Each action offered with what the pack says of it: the rules that allow it (their words and articles),
        each shown only for the requester types it concerns."""
        options = []
        for widget in self["actions"]:
            allowing = rules.rules_allowing(self.pack, widget.data["value"])
            explained = [{"label": rule.label, "cite": rule.cite,
                          "show_for": "requester_type:" + " ".join(str(t) for t in rule.requesters)}
                         for rule in allowing if any(str(t) in self.offered_types for t in rule.requesters)]
            types = sorted({str(t) for rule in allowing for t in rule.requesters} & set(self.offered_types))
            options.append({"widget": widget, "rules": explained,
                            "show_for": f"requester_type:{' '.join(types)}"})
        return options

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
