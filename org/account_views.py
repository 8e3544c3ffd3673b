"""One's own account: the password, the second factor (set up, give at login, recovery codes) and ending every
session. These pages stay reachable while the login gate (``org.gate``) holds everything else back."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from authz.routes import SIGNED_IN, route
from ledger.events import RequestContext
from org import accounts, gate, mfa
from org.forms import CodeForm
from org.models import User
from org.requests import SignedInRequest


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return wanted
    return "/"


class _PasswordChange(PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        accounts.password_changed(cast(User, self.request.user), context=RequestContext.from_request(self.request))
        messages.success(self.request, _("Your password is changed."))
        return response

    def get_success_url(self) -> str:
        return _next(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forced"] = cast(User, self.request.user).must_change_password
        context["next"] = _next(self.request)
        return context


password_change = route(SIGNED_IN, methods=("GET", "POST"))(_PasswordChange.as_view())


@route(SIGNED_IN, methods=("GET", "POST"))
def mfa_verify(request: SignedInRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            used = mfa.verify(request.user, form.cleaned_data["code"], context=RequestContext.from_request(request))
        except ValidationError as error:
            form.add_error("code", error)
        else:
            gate.second_factor_given(request)
            if used == mfa.RECOVERY_NAME:
                messages.warning(request, _("You used a recovery code; %(n)d are left. Make new ones on your "
                                            "security page if few remain.") % {"n": mfa.recovery_codes_left(
                                                request.user)})
            return redirect(_next(request))
    return render(request, "org/mfa_verify.html", {"form": form, "next": _next(request)})


@route(SIGNED_IN, methods=("GET", "POST"))
def mfa_enrol(request: SignedInRequest) -> HttpResponse:
    user = request.user
    if mfa.authenticator(user) is not None:
        return redirect("account_security")
    form = CodeForm(request.POST or None)
    device = mfa.pending_enrolment(user) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.confirm_enrolment(user, form.cleaned_data["code"],
                                          context=RequestContext.from_request(request))
        except ValidationError as error:
            form.add_error("code", error)
        else:
            gate.second_factor_given(request)
            return render(request, "org/recovery_codes.html", {"codes": codes, "next": _next(request),
                                                               "first": True})
    if device is None:
        device = mfa.start_enrolment(user)
    return render(request, "org/mfa_enrol.html", {
        "form": form, "qr": mfa.qr_code_svg(device), "secret": mfa.secret_text(device), "next": _next(request),
        "required": mfa.required_for(user)})


@route(SIGNED_IN, methods=("GET",))
def account_security(request: SignedInRequest) -> HttpResponse:
    user = request.user
    return render(request, "org/account_security.html", {
        "second_factor": mfa.authenticator(user) is not None, "recovery_left": mfa.recovery_codes_left(user),
        "required": mfa.required_for(user)})


@route(SIGNED_IN, methods=("POST",))
def recovery_codes(request: SignedInRequest) -> HttpResponse:
    try:
        codes = mfa.new_recovery_codes(request.user, context=RequestContext.from_request(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("account_security")
    return render(request, "org/recovery_codes.html", {"codes": codes, "next": "/"})


@route(SIGNED_IN, methods=("POST",))
def sign_out_everywhere(request: SignedInRequest) -> HttpResponse:
    accounts.sign_out_everywhere(request.user, actor=request.user, context=RequestContext.from_request(request))
    logout(request)
    messages.success(request, _("Every session of your account has ended, this one too; log in again."))
    return redirect("login")
