"""Accounts as the administrators see them: the system administrator keeps them (create, change, deactivate, hand out
a password, unlock, end sessions, certificates, ask for roles); the security administrator decides roles and resets
second factors. Each button posts to an action function; the page never changes a row itself."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from authz.capabilities import can
from authz.routes import route
from lawtrace.pages import history, paginate
from ledger.events import RequestContext
from org import accounts, administration, mfa, qualifications, role_changes
from org.forms import NewStaffForm, QualificationForm, ReasonForm, RoleRequestForm, StaffForm, show_errors
from org.models import Qualification, RoleGrant, RoleRequest, User
from org.requests import SignedInRequest


def _person(request: SignedInRequest, pk: int) -> User:
    found = administration.administered_staff(request.user).filter(pk=pk).select_related("agency", "unit").first()
    if found is None:
        raise Http404
    return found


def _context(request: SignedInRequest) -> RequestContext:
    return RequestContext.from_request(request)


@route("staff.view")
def staff_list(request: SignedInRequest) -> HttpResponse:
    agencies = administration.administered_agencies(request.user)
    staff = (administration.administered_staff(request.user).select_related("agency", "unit")
             .prefetch_related(Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role")))
             .order_by("agency__name", "username"))
    if agency := request.GET.get("agency", "").strip():
        staff = staff.filter(agency_id=agency) if agency.isdigit() else staff.none()
    if text := request.GET.get("q", "").strip():
        staff = staff.filter(Q(full_name__icontains=text) | Q(username__icontains=text)
                             | Q(staff_number__icontains=text))
    if request.GET.get("state") == "inactive":
        staff = staff.filter(is_active=False)
    elif request.GET.get("state") != "all":
        staff = staff.filter(is_active=True)
    page, query = paginate(request, staff)
    locked = accounts.is_locked_out([u.username for u in page])
    return render(request, "org/staff_list.html", {"page": page, "query": query, "agencies": agencies,
                                                   "locked": locked, "filters": request.GET})


@route("staff.manage", methods=("GET", "POST"))
def staff_create(request: SignedInRequest) -> HttpResponse:
    agencies = administration.administered_agencies(request.user)
    if request.user.agency is None:
        raise Http404
    form = NewStaffForm(request.POST or None, agencies=agencies, agency=request.user.agency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person, password = accounts.add_staff(data["agency"], data, data["roles"], actor=request.user,
                                                  context=_context(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            return render(request, "org/password_handout.html", {"rows": [(person, password)]})
    return render(request, "org/staff_form.html", {"form": form, "title": _("New account")})


@route("staff.view", on="org.user")
def staff_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    user = request.user
    return render(request, "org/staff_detail.html", {
        "person": person, "roles": person.role_grants.order_by("role"),
        "requests": person.role_requests.select_related("requested_by", "decided_by")[:20],
        "certificates": person.qualifications.all(), "locked": bool(accounts.is_locked_out([person.username])),
        "second_factor": mfa.authenticator(person) is not None, "recovery_left": mfa.recovery_codes_left(person),
        "history": history(request, person), "oneself": person.pk == user.pk,
        "may_manage": can(user, "staff.manage"), "may_request": can(user, "role.request"),
        "may_assign": can(user, "role.assign"), "may_reset_mfa": can(user, "mfa.reset"),
        "request_form": RoleRequestForm(), "reason_form": ReasonForm(),
    })


@route("staff.manage", methods=("GET", "POST"), on="org.user")
def staff_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if person.agency is None:
        raise Http404
    form = StaffForm(request.POST or None, instance=User.objects.get(pk=person.pk), agency=person.agency)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.update_staff(person, form.cleaned_data, actor=request.user, context=_context(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("staff_detail", person.pk)
    return render(request, "org/staff_form.html", {"form": form, "person": person, "title": _("Change account")})


@route("staff.manage", methods=("POST",), on="org.user")
def staff_deactivate(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = ReasonForm(request.POST)
    try:
        accounts.set_active(person, False, reason=request.POST.get("reason", ""), actor=request.user,
                            context=_context(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        if form.is_valid():
            messages.success(request, _("The account is deactivated and its sessions have ended."))
    return redirect("staff_detail", person.pk)


@route("staff.manage", methods=("POST",), on="org.user")
def staff_reactivate(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    try:
        accounts.set_active(person, True, actor=request.user, context=_context(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("The account is active again."))
    return redirect("staff_detail", person.pk)


@route("staff.manage", methods=("POST",), on="org.user")
def staff_password_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    try:
        password = accounts.reset_password(person, actor=request.user, context=_context(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("staff_detail", person.pk)
    return render(request, "org/password_handout.html", {"rows": [(person, password)], "reset": True})


@route("staff.manage", methods=("POST",), on="org.user")
def staff_unlock(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    accounts.unlock(person, actor=request.user, context=_context(request))
    messages.success(request, _("The account is unlocked."))
    return redirect("staff_detail", person.pk)


@route("staff.manage", methods=("POST",), on="org.user")
def staff_sign_out(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    accounts.sign_out_everywhere(person, actor=request.user, context=_context(request))
    messages.success(request, _("Every session of %(name)s has ended.") % {"name": person})
    return redirect("staff_detail", person.pk)


@route("staff.manage", methods=("GET", "POST"), on="org.user")
def qualification_create(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = QualificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            qualifications.record_certificate(person, form.cleaned_data, actor=request.user,
                                              context=_context(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Certificate recorded."))
            return redirect("staff_detail", person.pk)
    return render(request, "org/qualification_form.html", {"form": form, "person": person})


@route("staff.manage", methods=("GET", "POST"), on="org.qualification")
def qualification_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    found = Qualification.objects.filter(pk=pk, user__in=administration.administered_staff(request.user)) \
        .select_related("user").first()
    if found is None:
        raise Http404
    form = QualificationForm(request.POST or None, instance=Qualification.objects.get(pk=found.pk))
    if request.method == "POST" and form.is_valid():
        try:
            qualifications.update_qualification(found, form.cleaned_data, actor=request.user,
                                                context=_context(request))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("staff_detail", found.user_id)
    return render(request, "org/qualification_form.html", {"form": form, "person": found.user})


@route("role.request", methods=("POST",), on="org.user")
def role_request(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = RoleRequestForm(request.POST)
    if form.is_valid():
        try:
            role_changes.request_change(person, form.cleaned_data["role"], change=form.cleaned_data["change"],
                                        reason=form.cleaned_data["reason"], actor=request.user,
                                        context=_context(request))
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, _("Requested; the security administrator decides."))
    return redirect("staff_detail", person.pk)


@route("role.assign", methods=("POST",), on="org.user")
def role_withdraw(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    try:
        role_changes.withdraw(person, request.POST.get("role", ""), reason=request.POST.get("reason", ""),
                              actor=request.user, context=_context(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("Role withdrawn."))
    return redirect("staff_detail", person.pk)


@route("mfa.reset", methods=("POST",), on="org.user")
def mfa_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    try:
        mfa.reset(person, actor=request.user, context=_context(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("The second factor is removed and every session has ended; the account sets up "
                                    "a new one at its next login."))
    return redirect("staff_detail", person.pk)


@route("role.assign", methods=("GET",))
def role_requests(request: SignedInRequest) -> HttpResponse:
    waiting = role_changes.pending_for(request.user)
    decided = (RoleRequest.objects.filter(user__agency__in=administration.administered_agencies(request.user))
               .exclude(state=RoleRequest.State.PENDING).select_related("user", "requested_by", "decided_by")
               .order_by("-decided_at")[:20])
    return render(request, "org/role_requests.html", {"waiting": waiting, "decided": decided,
                                                      "unrecorded": role_changes.unrecorded_grants_of(request.user)})


@route("role.assign", methods=("POST",))
def role_decide(request: SignedInRequest) -> HttpResponse:
    """Decide one request, or every ticked one at once (an imported staff list asks for many)."""
    ids = [int(i) for i in request.POST.getlist("request") if i.isdigit()]
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    done, refused = 0, []
    for wanted in role_changes.pending_for(request.user).filter(pk__in=ids):
        try:
            role_changes.decide(wanted, approve=approve, note=note, actor=request.user, context=_context(request))
            done += 1
        except ValidationError as error:
            refused.append(f"{wanted}：{'；'.join(error.messages)}")
    if done:
        messages.success(request, (_("%(n)d requests carried out.") if approve else _("%(n)d requests declined."))
                         % {"n": done})
    for line in refused:
        messages.error(request, line)
    if not ids:
        messages.error(request, _("Tick the requests to decide."))
    return redirect("role_requests")
