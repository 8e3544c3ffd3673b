"""The audit administrator's ledger pages: tree head, checkpoints, witness text, verification runs."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from authz.routes import route
from lawtrace.pages import paginate
from ledger import checkpoints, guard, keys, runs, signing, tree
from ledger.events import RequestContext, record_event
from ledger.models import Checkpoint, VerificationRun
from ledger.tasks import run_verification


@route("ledger.audit", verb="ledger.view")
def ledger_overview(request: HttpRequest) -> HttpResponse:
    runs.settle_stale()
    page, query = paginate(request, Checkpoint.objects.order_by("-id"))
    key = keys.current()
    algorithm = key.algorithm if key else signing.configured_algorithm()
    return render(request, "ledger/overview.html", {
        "size": tree.current_size(), "key": key, "public": bytes(key.public).hex() if key else "",
        "algorithm": signing.NAMES[algorithm], "chain": keys.chain(), "page": page, "query": query,
        "runs": VerificationRun.objects.select_related("requested_by")[:10],
        "witness": checkpoints.witness_text(), "blocked": guard.intrusion(),
    })


@route("ledger.audit", methods=("POST",), verb="ledger.view")
def start_verification(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        run = VerificationRun.objects.create(requested_by=request.user)
        record_event("ledger.verify", actor=request.user, obj=run, context=RequestContext.from_request(request))
        transaction.on_commit(lambda: run_verification.enqueue(run.pk))
    messages.success(request, _("Verification started; this page shows the result when it is done."))
    return redirect("ledger_run", run.pk)


@route("ledger.audit", verb="ledger.view")
def verification_run(request: HttpRequest, pk: int) -> HttpResponse:
    runs.settle_stale()
    run = get_object_or_404(VerificationRun, pk=pk)
    return render(request, "ledger/run.html", {"run": run, "size": tree.current_size(), "blocked": guard.intrusion()})
