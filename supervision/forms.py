from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from authz.capabilities import holders
from org.models import Unit, User
from policy.registry import registry
from supervision.models import ReviewRound
from supervision.reviews import MAX_SCORE

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _WithStaffNumber:
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.staff_number})" if obj.staff_number else str(obj)


class PersonChoice(_WithStaffNumber, forms.ModelChoiceField):
    pass


class PeopleChoice(_WithStaffNumber, forms.ModelMultipleChoiceField):
    pass


def _staff(user):
    return User.objects.restrict(user).filter(is_active=True).order_by("full_name", "username")


class RoundForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of review"), choices=ReviewRound.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=120)
    period_start = forms.DateField(label=_("recordings from"), widget=_DATE)
    period_end = forms.DateField(label=_("recordings until"), widget=_DATE)
    units = forms.ModelMultipleChoiceField(label=_("units"), queryset=Unit.objects.none(), required=False,
                                           help_text=_("None chosen: all units."))
    categories = forms.MultipleChoiceField(label=_("enforcement categories"), required=False,
                                           widget=forms.CheckboxSelectMultiple, help_text=_("None chosen: all."))
    share_percent = forms.DecimalField(label=_("share sampled (%)"), required=False, min_value=0, max_value=100,
                                       decimal_places=2)
    count = forms.IntegerField(label=_("or number of records"), required=False, min_value=1)
    reviewers = PeopleChoice(label=_("reviewers"), queryset=User.objects.none(),
                             widget=forms.SelectMultiple(attrs={"size": 5}))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        pack = registry().in_force(user.agency.pack_code)
        self.fields["units"].queryset = Unit.objects.restrict(user).order_by("name")
        self.fields["categories"].choices = [(c.value, c.label) for c in pack.agency.categories]
        self.fields["reviewers"].queryset = _staff(user).filter(
            role_grants__role__in=holders("review.take_part", user.agency)).distinct()
        supervision = pack.supervision
        if supervision and supervision.sampling_share:
            self.fields["share_percent"].initial = round(supervision.sampling_share * 100, 2)
        if supervision and supervision.sampling_share_note:
            self.fields["share_percent"].help_text = supervision.sampling_share_note


class ReviewForm(forms.Form):
    remarks = forms.CharField(label=_("overall remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, checks: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.checks = checks
        for check in checks:
            self.fields[f"score_{check['id']}"] = forms.IntegerField(
                label=check["label"], min_value=0, max_value=MAX_SCORE, initial=MAX_SCORE,
                help_text=_("0–%(max)d; article %(cite)s") % {"max": MAX_SCORE, "cite": check["cite"]})
            self.fields[f"comment_{check['id']}"] = forms.CharField(
                label=_("why marks were taken off"), required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 1}))
        self.order_fields([*[n for c in checks for n in (f"score_{c['id']}", f"comment_{c['id']}")], "remarks"])

    def scores(self) -> tuple[dict[str, int], dict[str, str]]:
        data = self.cleaned_data
        return ({c["id"]: data[f"score_{c['id']}"] for c in self.checks},
                {c["id"]: data.get(f"comment_{c['id']}", "") for c in self.checks})


class MisconductForm(forms.Form):
    officer = PersonChoice(label=_("officer concerned"), queryset=User.objects.none())
    misconduct = forms.ChoiceField(label=_("misconduct"))
    facts = forms.CharField(label=_("facts"), widget=forms.Textarea(attrs={"rows": 4}))
    finding_id = forms.IntegerField(label=_("from compliance finding (number)"), required=False, min_value=1)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = _staff(user)
        self.fields["misconduct"].choices = [
            (m.id, f"{m.label}（{'、'.join(m.cite)}）")
            for m in registry().in_force(user.agency.pack_code).accountability.misconduct]


class DecideForm(forms.Form):
    sanctions = forms.MultipleChoiceField(label=_("sanctions"), required=False, widget=forms.CheckboxSelectMultiple)
    dismiss = forms.BooleanField(label=_("dismiss the case (no misconduct established)"), required=False)
    decision = forms.CharField(label=_("decision and reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    decided_on = forms.DateField(label=_("decided on"), widget=_DATE)

    def __init__(self, *args, agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sanctions"].choices = [
            (s.id, f"{s.label}（{'、'.join(s.cite)}）")
            for s in registry().in_force(agency.pack_code).accountability.sanctions]
