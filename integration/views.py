"""The system administrator's pages for connected systems: create a system, issue, rotate and revoke its tokens
(shown once), subscribe webhooks, and read the delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from cases.forms import apply_service_errors
from integration import accounts, operations, webhooks
from integration.forms import AccountForm, TokenForm, WebhookForm
from integration.models import ApiToken, Delivery, SystemAccount, Webhook
from integration.permissions import MANAGE
from lawtrace.pages import paginate
from ledger.events import RequestContext
from org.models import User

ACCOUNT = "integration.systemaccount"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the route declaration has sent anyone else to log in
    return request.user


@route(MANAGE, verb="integration.view")
def account_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and user.agency is not None:
        try:
            account = accounts.create_account(user.agency, **form.cleaned_data, actor=user,
                                              context=RequestContext.from_request(request))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Connected system %(name)s created; now issue it a token.") % {
                "name": account.name})
            return redirect("integration_account", pk=account.pk)
    rows = SystemAccount.objects.restrict(user).order_by("name")
    return render(request, "integration/account_list.html", {"accounts": rows, "form": form})


@route(MANAGE, on=ACCOUNT, verb="integration.view")
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, context = _user(request), RequestContext.from_request(request)
    account = get_object_or_404(SystemAccount.objects.restrict(user), pk=pk)
    token_form, webhook_form = TokenForm(prefix="token"), WebhookForm(prefix="hook")
    shown = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                token_form = TokenForm(request.POST, prefix="token")
                if token_form.is_valid():
                    _token, shown["token"] = accounts.issue_token(
                        account, operations=token_form.cleaned_data["operations"],
                        expires_at=token_form.expires_at(), actor=user, context=context)
            elif action in ("rotate", "revoke"):
                token = get_object_or_404(ApiToken.objects.restrict(user), pk=request.POST.get("token"),
                                          account=account)
                if action == "rotate":
                    _token, shown["token"] = accounts.rotate_token(token, actor=user, context=context)
                else:
                    accounts.revoke_token(token, actor=user, reason=request.POST.get("reason", ""),
                                          context=context)
                    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
            elif action == "webhook":
                webhook_form = WebhookForm(request.POST, prefix="hook")
                if webhook_form.is_valid():
                    _hook, shown["secret"] = webhooks.add_webhook(account, **webhook_form.cleaned_data, actor=user,
                                                                  context=context)
            elif action == "disable_webhook":
                hook = get_object_or_404(Webhook.objects.restrict(user), pk=request.POST.get("webhook"),
                                         account=account)
                webhooks.disable_webhook(hook, actor=user, context=context)
            elif action in ("enable", "disable"):
                accounts.set_active(account, action == "enable", actor=user, context=context)
        except ValidationError as error:
            apply_service_errors(token_form if action in ("issue", "rotate") else webhook_form, error)
        if not shown and not (token_form.errors or webhook_form.errors):
            return redirect("integration_account", pk=account.pk)
    return render(request, "integration/account_detail.html", {
        "account": account, "tokens": account.tokens.order_by("-created_at"), "token_form": token_form,
        "webhooks": account.webhooks.order_by("id"), "webhook_form": webhook_form, "shown": shown,
        "labels": dict(operations.choices()), **accounts.clearance_of(account)})


@route(MANAGE, verb="integration.view")
def delivery_log(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        delivery = get_object_or_404(Delivery.objects.restrict(user), pk=request.POST.get("delivery"),
                                     state=Delivery.State.FAILED)
        webhooks.retry_now(delivery, actor=user, context=RequestContext.from_request(request))
        messages.success(request, _("The delivery will be sent again."))
        return redirect("integration_deliveries")
    rows = Delivery.objects.restrict(user).select_related("webhook__account")
    if (state := request.GET.get("state")) in Delivery.State.values:
        rows = rows.filter(state=state)
    page, query = paginate(request, rows)
    return render(request, "integration/deliveries.html", {"page": page, "query": query,
                                                           "states": Delivery.State.choices})
