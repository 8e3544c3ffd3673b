from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integration import operations
from integration.feed import FEED_VERBS
from ledger.display import VERB_LABELS


class AccountForm(forms.Form):
    name = forms.CharField(label=_("system name"), max_length=100)
    description = forms.CharField(label=_("description"), max_length=300, required=False)


class TokenForm(forms.Form):
    operations = forms.MultipleChoiceField(label=_("operations"), widget=forms.CheckboxSelectMultiple, choices=())
    expires_on = forms.DateField(label=_("valid until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["operations"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = operations.choices()
        self.initial.setdefault("expires_on", timezone.localdate() + dt.timedelta(days=180))

    def expires_at(self) -> dt.datetime:
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("receiving address"), max_length=500, assume_scheme="https")
    verbs = forms.MultipleChoiceField(label=_("events"), widget=forms.CheckboxSelectMultiple, required=False,
                                      choices=[(v, VERB_LABELS.get(v, v)) for v in FEED_VERBS],
                                      help_text=_("None chosen: every event of the feed."))
