from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from authz.capabilities import holders
from compliance.labels import describe
from compliance.queries import visible_findings
from org.models import Unit, User
from policy import current
from policy.citations import law
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
        pack = current.in_force(user.agency)
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
                help_text=_("0–%(max)d; article %(cite)s") % {"max": MAX_SCORE, "cite": law(check["cite"])})
            self.fields[f"comment_{check['id']}"] = forms.CharField(
                label=_("why marks were taken off"), required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 1}))
        self.order_fields([*[n for c in checks for n in (f"score_{c['id']}", f"comment_{c['id']}")], "remarks"])

    def scores(self) -> tuple[dict[str, int], dict[str, str]]:
        data = self.cleaned_data
        return ({c["id"]: data[f"score_{c['id']}"] for c in self.checks},
                {c["id"]: data.get(f"comment_{c['id']}", "") for c in self.checks})


FINDINGS_OFFERED = 200


def finding_label(finding) -> str:
    """A finding as a supervisor names it: the activity, the officer, what is wanting, and the article."""
    who = f" · {finding.officer}" if finding.officer_id else ""
    return f"{finding.activity}{who} · {describe(finding).rstrip('。.')}（{law(finding.cites)}）"


class MisconductForm(forms.Form):
    officer = PersonChoice(label=_("officer concerned"), queryset=User.objects.none())
    misconduct = forms.ChoiceField(label=_("misconduct"))
    facts = forms.CharField(label=_("facts"), widget=forms.Textarea(attrs={"rows": 4}))
    finding_id: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("from compliance finding"), required=False, queryset=None, empty_label=_("— none —"),
        help_text=_("Open findings you may see, newest first; search above to narrow the list."))

    def __init__(self, *args, user, finding_search: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = _staff(user)
        # Any finding the user may see validates (an id from a link or an older page); the list offers the open ones.
        findings = visible_findings(user).select_related("activity", "officer")
        offered = cast(forms.ModelChoiceField, self.fields["finding_id"])
        offered.queryset = findings
        still_open = findings.filter(closed_at=None)
        if finding_search:
            still_open = still_open.filter(Q(activity__place__icontains=finding_search)
                                           | Q(officer__full_name__icontains=finding_search)
                                           | Q(activity__case__number__icontains=finding_search))
        shown = list(still_open.order_by("-opened_at", "-pk")[:FINDINGS_OFFERED])
        chosen = self.initial.get("finding_id") or self.data.get("finding_id")
        if chosen and str(chosen) not in {str(f.pk) for f in shown}:
            shown += list(findings.filter(pk=int(str(chosen)) if str(chosen).isdigit() else 0))
        cast(forms.Select, offered.widget).choices = [("", offered.empty_label)] + [
            (f.pk, finding_label(f)) for f in shown]
        self.fields["misconduct"].choices = [
            (m.id, f"{m.label}（{law(m.cite)}）")
            for m in _accountability(user.agency).misconduct]


class DecideForm(forms.Form):
    sanctions = forms.MultipleChoiceField(label=_("sanctions"), required=False, widget=forms.CheckboxSelectMultiple)
    dismiss = forms.BooleanField(label=_("dismiss the case (no misconduct established)"), required=False)
    decision = forms.CharField(label=_("decision and reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    decided_on = forms.DateField(label=_("decided on"), widget=_DATE)

    def __init__(self, *args, agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sanctions"].choices = [
            (s.id, f"{s.label}（{law(s.cite)}）")
            for s in _accountability(agency).sanctions]


def _accountability(agency):
    """The pack's misconduct kinds and sanctions; a rulebook without them offers none."""
    found = current.in_force(agency).accountability
    return found if found is not None else SimpleNamespace(misconduct=[], sanctions=[])
