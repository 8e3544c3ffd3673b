from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from policy import current, rules
from policy.citations import law
from retention.models import Hold


class HoldForm(forms.Form):
    kind = forms.ChoiceField(choices=Hold.Kind.choices, label=_("kind of hold"))
    trigger = forms.ChoiceField(required=False, label=_("preservation trigger"),
                                help_text=_("For long-term preservation: the situation the agency's rules name."))
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             label=_("reason for the hold"))

    def __init__(self, *args, agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        triggers = rules.long_term_triggers(current.in_force(agency))
        self.fields["trigger"].choices = [("", "—")] + [(t.id, f"{t.label}（{law(t.cite)}）") for t in triggers]


class ProposeForm(forms.Form):
    reason = forms.CharField(max_length=1000, label=_("why they have no preservation value"))


class DecideForm(forms.Form):
    comment = forms.CharField(required=False, max_length=1000, label=_("comment"))


class ReleaseForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("why released"))
