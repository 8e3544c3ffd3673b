"""Pages for putting a pack version into force: the list of versions, the upload, and the proposal the head decides."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from authz.routes import route
from cases.forms import apply_service_errors
from lawtrace.pages import history
from ledger.events import RequestContext, record_denial
from org.models import Agency, User
from policy import activation, current, diff
from policy.loader import PackInvalid
from policy.models import Activation


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("pack file (.yaml)"), required=False)
    on_disk = forms.ChoiceField(label=gettext_lazy("or a version found in the pack directories"), required=False)
    effective_from = forms.DateField(label=gettext_lazy("in force from"),
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=gettext_lazy("reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Why the rules change, e.g. the number of the new rulebook."))

    def __init__(self, *args, found, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.found = {f.sha256: f for f in found}
        cast(forms.ChoiceField, self.fields["on_disk"]).choices = [("", "—")] + [
            (f.sha256, _("version %(v)s (%(name)s)") % {"v": f.pack.version, "name": f.path.name}
             + f" SHA-256 {f.sha256[:12]}…") for f in found]

    def clean(self):
        data = super().clean() or {}
        if bool(data.get("file")) == bool(data.get("on_disk")):
            raise ValidationError(_("Upload a file or choose a version found in the pack directories (one of them)."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("decision"), widget=forms.RadioSelect, choices=[
        ("approve", gettext_lazy("approve: it comes into force on its date")),
        ("reject", gettext_lazy("reject"))])
    decision_comment = forms.CharField(label=gettext_lazy("comment"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}))


def _agency(request: HttpRequest) -> Agency:
    """The user's agency: the pack capabilities the routes declare are held only inside one (``authz.capabilities``)."""
    return cast(Agency, cast(User, request.user).agency)


@route("pack.read")
def version_list(request: HttpRequest) -> HttpResponse:
    agency = _agency(request)
    activations = (Activation.objects.filter(agency=agency).select_related("pack", "proposed_by", "decided_by")
                   .order_by("-effective_from", "-pk"))
    try:
        in_force = current.in_force(agency)
    except current.NoPackInForce:
        in_force = None
    return render(request, "policy/versions.html", {
        "agency": agency, "activations": activations, "in_force": in_force,
        "unproposed": activation.not_yet_proposed(agency),
        "can_propose": activation.may(request.user, "propose", agency),
    })


@route("pack.propose")
def upload(request: HttpRequest) -> HttpResponse:
    agency = _agency(request)
    context = RequestContext.from_request(request)
    form = UploadForm(request.POST or None, request.FILES or None, found=activation.not_yet_proposed(agency),
                      initial={"effective_from": timezone.localdate()})
    problems: list = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = form.found.get(data["on_disk"]) if data["on_disk"] else None
        upload_file = data["file"]
        raw = chosen.text.encode("utf-8") if chosen else upload_file.read(activation.MAX_PACK_BYTES + 1)
        name = chosen.path.name if chosen else upload_file.name
        try:
            made = activation.propose(agency, raw, name, effective_from=data["effective_from"],
                                      reason=data["reason"], actor=request.user,
                                      origin="directory" if chosen else "upload", context=context)
        except PackInvalid as invalid:
            problems = invalid.errors
            form.add_error(None, _("The pack is invalid; nothing was put forward. Each problem is listed with its "
                                   "line."))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The version was put forward; it comes into force only once the head "
                                        "approves it."))
            return redirect("pack_activation", made.pk)
    return render(request, "policy/upload.html", {"form": form, "problems": problems, "agency": agency})


@route("pack.read", on="policy.activation")
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    agency = _agency(request)
    made = get_object_or_404(Activation.objects.restrict(request.user).select_related("pack", "proposed_by",
                                                                                      "decided_by"), pk=pk)
    context = RequestContext.from_request(request)
    may_decide = made.state == Activation.State.PROPOSED and activation.may(request.user, "decide", agency) \
        and made.proposed_by_id != request.user.pk
    form = DecisionForm(request.POST or None) if may_decide else None
    if request.method == "POST":
        try:
            if "withdraw" in request.POST:
                activation.withdraw(made, actor=request.user, context=context)
                messages.success(request, _("The proposal was withdrawn."))
                return redirect("pack_activation", made.pk)
            if form is None:
                record_denial("pack.decide", actor=request.user, obj=made, agency_code=agency.code, context=context)
                raise PermissionDenied(_("Only the head of the agency approves a policy pack version."))
            if form.is_valid():
                activation.decide(made, approve=form.cleaned_data["decision"] == "approve",
                                  comment=form.cleaned_data["decision_comment"], actor=request.user, context=context)
                messages.success(request, _("Decision recorded."))
                return redirect("pack_activation", made.pk)
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            if form is None:
                messages.error(request, "；".join(error.messages))
                return redirect("pack_activation", made.pk)
            apply_service_errors(form, error)
    proposed = current.parsed(made.pack.sha256, made.pack.text, str(made.pack))
    base = _version_before(agency, made)
    return render(request, "policy/activation.html", {
        "made": made, "agency": agency, "form": form, "proposed": proposed, "base": base,
        "changes": diff.readable(base[0] if base else None, proposed),
        "lines": diff.text_lines(base[1] if base else "", made.pack.text),
        "can_withdraw": made.state == Activation.State.PROPOSED and activation.may(request.user, "propose", agency),
        "events": history(request, made),
    })


def _version_before(agency, made: Activation):
    """The version this proposal is compared with: the one in force on its effective date, other than itself."""
    earlier = (Activation.objects.filter(agency=agency, state=Activation.State.APPROVED,
                                         effective_from__lte=made.effective_from).exclude(pk=made.pk)
               .select_related("pack").order_by("-effective_from", "-decided_at", "-pk").first())
    if earlier is None:
        earlier = (Activation.objects.filter(agency=agency, state=Activation.State.APPROVED).exclude(pk=made.pk)
                   .select_related("pack").order_by("effective_from", "pk").first())
    if earlier is None:
        return None
    return current.parsed(earlier.pack.sha256, earlier.pack.text, str(earlier.pack)), earlier.pack.text
