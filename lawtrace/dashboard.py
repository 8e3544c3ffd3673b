"""The start page: one panel per role the user holds, each built from the apps' public queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from axes.models import AccessAttempt
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.queries import awaiting_decision, handled_open
from authz.roles import Role, staff_agency
from authz.routes import SIGNED_IN, route
from cases.models import Case
from cases.queries import (
    case_number_for,
    concealed_case_ids,
    decisions_awaiting_review,
    visible_activities,
    visible_cases,
)
from compliance import labels as finding_labels
from compliance import queries as compliance
from compliance.models import InterruptionNote
from devices.models import Device
from devices.services import visible_devices
from evidence.queries import fixity_failures, worklist_counts
from evidence.uploads import stuck as stuck_uploads
from lawtrace import account_panels
from lawtrace.leases import stuck as stuck_tasks
from ledger.display import verb_label
from ledger.models import Event
from org.models import RoleGrant, User
from policy.vocabulary import Category
from retention import queries as retention
from supervision import queries as supervision
from supervision.queries import visible_misconduct


@dataclass
class Row:
    text: str
    url: str = ""
    note: str = ""


@dataclass
class Panel:
    title: str
    rows: list[Row] = field(default_factory=list)
    more_url: str = ""
    empty: str = ""


def _activity_rows(activities, concealed: set[int]) -> list[Row]:
    def case_note(case) -> str:
        if case is None:
            return ""
        return case_number_for(case, concealed)

    return [
        Row(f"{timezone.localtime(a.planned_start):%Y-%m-%d %H:%M} {a.get_category_display()} · {a.place}",
            reverse("activity_detail", args=[a.pk]), case_note(a.case))
        for a in activities
    ]


def _case_rows(cases) -> list[Row]:
    return [Row(f"{c.number} {c.title}", reverse("case_detail", args=[c.pk]), c.get_state_display()) for c in cases]


WORKLIST_LABELS = {
    "unlinked": gettext_lazy("not linked to an activity"),
    "missing": gettext_lazy("classification incomplete"),
    "late": gettext_lazy("stored late"),
    "unplayable": gettext_lazy("unreadable files (kept, not counted as recordings)"),
    "clock": gettext_lazy("recording times that disagree"),
}


def _worklist_panel(user: User, title: str, *, mine: bool) -> Panel:
    counts = worklist_counts(user, mine=mine)
    suffix = "&mine=1" if mine else ""
    rows = [Row(f"{WORKLIST_LABELS[name]}: {count}", reverse("record_list") + f"?worklist={name}{suffix}")
            for name, count in counts.items() if count]
    return Panel(title, rows, reverse("record_list") + ("?mine=1" if mine else ""), _("Nothing to do."))


def _fixity_panel(user: User) -> Panel:
    broken = fixity_failures(user)[:10]
    rows = [Row(f"{r.shown_name} · {r.blob.sha256[:16]}…", reverse("record_detail", args=[r.pk]),
                f"{timezone.localtime(r.blob.fixity_checked_at):%Y-%m-%d %H:%M}" if r.blob.fixity_checked_at else "")
            for r in broken]
    return Panel(_("Fixity alerts: stored originals that changed or are missing"), rows, "",
                 _("Every original checked so far is intact."))


def _age(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)d days") % {"d": minutes // (24 * 60)}


def _stuck_work_panel(user: User) -> Panel:
    """Work that should have finished and has not, with its age (evidence.uploads, lawtrace.leases)."""
    now = timezone.now()
    rows = [Row(_("Upload %(file)s by %(who)s not filed yet") % {"file": s.shown_filename, "who": s.user}, "",
                _("for %(age)s, %(n)d tries; %(message)s") % {"age": _age(now - s.updated_at), "n": s.attempts,
                                                             "message": s.message or "—"})
            for s in stuck_uploads(staff_agency(user), now)[:10]]
    tasks = stuck_tasks(now)
    if tasks.stale_running:
        rows.append(Row(_("Background tasks whose worker stopped: %(n)d, waiting to be taken over") % {
            "n": tasks.stale_running}, "", _("for %(age)s") % {"age": _age(tasks.oldest_stale)}))
    if tasks.waiting:
        rows.append(Row(_("Background tasks waiting for a worker: %(n)d; is the task worker running?") % {
            "n": tasks.waiting}, "", _("oldest %(age)s") % {"age": _age(tasks.oldest_waiting)}))
    if tasks.given_up:
        rows.append(Row(_("Background tasks given up today after their workers kept stopping: %(n)d") % {
            "n": tasks.given_up}))
    return Panel(_("Stuck work"), rows, "", _("Nothing is stuck: every upload is filed and the task worker keeps up."))


def _my_findings_panel(user: User) -> Panel:
    counts = compliance.my_open_findings(user).values("rule").annotate(n=Count("pk")).order_by("-n")
    rows = [Row(f"{finding_labels.RULES.get(c['rule'], c['rule'])}: {c['n']}",
                reverse("finding_list") + f"?rule={c['rule']}&officer={user.pk}") for c in counts]
    returned = compliance.visible_notes(user).filter(author=user, state=InterruptionNote.State.RETURNED)
    rows += [Row(_("Returned note: %(note)s") % {"note": n}, reverse("note_detail", args=[n.pk]), n.review_comment)
             for n in returned[:5]]
    return Panel(_("My open compliance findings"), rows, reverse("finding_list") + f"?officer={user.pk}",
                 _("None: your recordings meet the rules as far as the system can judge."))


def _notes_to_review_panel(user: User) -> Panel:
    waiting = compliance.notes_waiting(user).exclude(author=user).select_related("activity", "author")
    rows = [Row(f"{n.author} · {n.reason_label}", reverse("note_detail", args=[n.pk]),
                f"{timezone.localtime(n.submitted_at):%m-%d %H:%M}") for n in waiting[:8]]
    return Panel(_("Interruption notes to review"), rows, reverse("note_list") + "?state=submitted",
                 _("No note is waiting."))


def _rates_panel(user: User) -> Panel:
    month_start = timezone.localdate().replace(day=1)
    rows = [Row(f"{r['unit__name'] or _('no unit')}: {r['rate']}%（{r['compliant']}/{r['total']}）",
                reverse("finding_list") + (f"?unit={r['unit']}" if r["unit"] else ""))
            for r in compliance.rates(user, "unit", month_start)]
    return Panel(_("Compliance this month by unit"), rows, reverse("compliance_overview"),
                 _("No activity this month had to be recorded."))


def _access_to_decide_panel(user: User) -> Panel:
    rows = [Row(f"{r.requester_name} · {r.get_requester_type_display()} · {r.action_labels()}",
                reverse("access_request_detail", args=[r.pk]), f"{timezone.localtime(r.submitted_at):%m-%d %H:%M}")
            for r in awaiting_decision(user)]
    return Panel(_("Access requests awaiting your decision"), rows, reverse("access_request_list") + "?status=pending",
                 _("No request is waiting for you."))


def _access_handled_panel(user: User) -> Panel:
    rows = [Row(f"{r.requester_name} · {r.get_status_display()}", reverse("access_request_detail", args=[r.pk]),
                f"{timezone.localtime(r.valid_until):%m-%d %H:%M}") for r in handled_open(user)]
    return Panel(_("Access requests I am handling"), rows, reverse("access_request_list"),
                 _("No open request."))


def _retention_panel(user: User) -> Panel:
    """In-application notice of what falls due (000/2/15): due for review, expiring within 30 days, purges to decide."""
    url = reverse("retention_overview")
    rows = [Row(_("Due for review: %(n)d") % {"n": retention.due_for_review(user).count()}, url),
            Row(_("Expiring within 30 days: %(n)d") % {"n": retention.expiring_within(user).count()}, url),
            Row(_("Purges awaiting approval: %(n)d") % {"n": retention.proposals_waiting(user).count()}, url)]
    return Panel(_("Retention"), rows, url)


def _reviews_panel(user: User) -> Panel:
    rows = [Row(_("%(round)s: draw the committed sample") % {"round": r}, reverse("review_round", args=[r.pk]))
            for r in supervision.rounds_to_draw(user)[:5]]
    rows += [Row(_("%(round)s: %(n)d records to review") % {"round": r, "n": n}, reverse("review_round", args=[r.pk]))
             for r, n in supervision.reviews_waiting(user)[:8]]
    agency = staff_agency(user)
    if agency is not None and (missing := supervision.annual_reviews_missing(user, agency)):
        need, held, cite = missing
        rows.insert(0, Row(_("Annual reviews this year: %(held)d of at least %(need)d (%(cite)s)") % {
            "held": held, "need": need, "cite": cite}, reverse("review_list"), _("due")))
    return Panel(_("Sampling checks and reviews"), rows, reverse("review_list"), _("Nothing to review."))


def _misconduct_panel(user: User, title: str, empty: str) -> Panel:
    cases = visible_misconduct(user).filter(state="open").select_related("officer")[:8]
    return Panel(title, [Row(f"{c.officer} · {c.misconduct_label}", reverse("misconduct_detail", args=[c.pk]),
                             f"{timezone.localtime(c.opened_at):%Y-%m-%d}") for c in cases],
                 reverse("misconduct_list") + "?state=open", empty)


def _decisions_to_review_panel(user: User) -> Panel:
    rows = [Row(f"{d.case.number} · {d.get_decision_type_display()}", reverse("decision_detail", args=[d.pk]),
                f"{timezone.localtime(d.drafted_at):%Y-%m-%d}") for d in decisions_awaiting_review(user)[:10]]
    return Panel(_("Decisions awaiting legal review"), rows, "", _("No decision awaits review."))


def _officer(user: User) -> list[Panel]:
    now = timezone.now()
    mine = visible_activities(user).filter(participants__user=user).select_related("case")
    upcoming = mine.filter(planned_start__gte=now - dt.timedelta(hours=12)).order_by("planned_start")[:8]
    unfinished = mine.filter(planned_start__lt=now, actual_end__isnull=True).order_by("-planned_start")[:8]
    my_cases = visible_cases(user).filter(handlers=user, state=Case.State.OPEN)[:8]
    concealed = concealed_case_ids(user)
    mine_url = reverse("activity_list") + "?mine=1"
    return [
        Panel(_("My upcoming activities"), _activity_rows(upcoming, concealed), mine_url, _("No activities planned.")),
        Panel(_("My activities without actual times"), _activity_rows(unfinished, concealed), mine_url,
              _("Every past activity has its actual times.")),
        Panel(_("My open cases"), _case_rows(my_cases), reverse("case_list") + "?state=open",
              _("No open cases.")),
        _worklist_panel(user, _("My recordings needing attention"), mine=True),
        _my_findings_panel(user),
        _misconduct_panel(user, _("Misconduct cases concerning me"), _("None.")),
        account_panels.certificates(user, mine=True),
    ]


def _archivist(user: User) -> list[Panel]:
    to_archive = visible_cases(user).filter(state=Case.State.CLOSED).order_by("opened_on")[:10]
    devices = visible_devices(user).values("status").annotate(n=Count("id")).order_by("status")
    labels = dict(Device.Status.choices)
    return [
        _stuck_work_panel(user),
        _fixity_panel(user),
        _retention_panel(user),
        _access_handled_panel(user),
        _worklist_panel(user, _("Evidence records needing attention"), mine=False),
        Panel(_("Closed cases waiting to be archived"), _case_rows(to_archive), reverse("case_list") + "?state=closed",
              _("Nothing waiting.")),
        Panel(_("Recording devices by status"),
              [Row(f"{labels.get(d['status'], d['status'])}: {d['n']}",
                   reverse("device_list") + f"?status={d['status']}") for d in devices],
              reverse("device_list"), _("No devices registered.")),
    ]


def _head(user: User) -> list[Panel]:
    cases = visible_cases(user)
    counts = cases.aggregate(
        open=Count("id", filter=Q(state=Case.State.OPEN)),
        closed=Count("id", filter=Q(state=Case.State.CLOSED)),
        archived=Count("id", filter=Q(state=Case.State.ARCHIVED)),
    )
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = visible_activities(user).filter(planned_start__gte=month_start).count()
    overview = Panel(_("Agency overview"), [
        Row(_("Open cases: %(n)d") % {"n": counts["open"]}, reverse("case_list") + "?state=open"),
        Row(_("Closed, not archived: %(n)d") % {"n": counts["closed"]}, reverse("case_list") + "?state=closed"),
        Row(_("Archived cases: %(n)d") % {"n": counts["archived"]}, reverse("case_list") + "?state=archived"),
        Row(_("Activities this month: %(n)d") % {"n": this_month},
            reverse("activity_list") + f"?from={month_start:%Y-%m-%d}"),
    ])
    return [_access_to_decide_panel(user), _notes_to_review_panel(user), _pack_versions_panel(user),
            _misconduct_panel(user, _("Misconduct cases awaiting decision"), _("No case awaits a decision.")),
            _retention_panel(user), _rates_panel(user), overview, account_panels.certificates(user)]


def _pack_versions_panel(user: User) -> Panel:
    """Pack versions put forward and waiting for the head: nothing governs until it is approved."""
    from policy.activation import pending

    rows = [Row(_("Version %(v)s, in force from %(d)s") % {"v": a.pack.version, "d": f"{a.effective_from:%Y-%m-%d}"},
                reverse("pack_activation", args=[a.pk]), str(a.proposed_by or ""))
            for a in (pending(user.agency) if user.agency else [])]
    return Panel(_("Policy pack versions awaiting your approval"), rows, reverse("pack_versions"),
                 _("No version is waiting."))


def _device_keeper(user: User) -> list[Panel]:
    devices = visible_devices(user).filter(unit_id=user.unit_id) if user.unit_id else Device.objects.none()
    return [Panel(_("Devices of your unit"),
                  [Row(str(d), reverse("device_detail", args=[d.pk]), d.get_status_display()) for d in devices[:15]],
                  reverse("device_list"), _("Your unit has no devices registered."))]


def _legal_reviewer(user: User) -> list[Panel]:
    weighty = visible_cases(user).filter(
        Q(major_penalty=True) | Q(compulsory_execution=True) | Q(hearing=True), state=Case.State.OPEN
    )[:10]
    return [_decisions_to_review_panel(user), _access_to_decide_panel(user), _reviews_panel(user),
            Panel(_("Open cases with major-decision flags"), _case_rows(weighty), reverse("case_list"),
                  _("No open case carries a major-decision flag."))]


def _supervisor(user: User) -> list[Panel]:
    year_start = timezone.localtime().replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    by_category = (visible_activities(user).filter(planned_start__gte=year_start)
                   .values("category").annotate(n=Count("id")).order_by("-n"))
    labels = dict(Category.choices)
    return [_reviews_panel(user), _rates_panel(user), Panel(_("Activities this year by category"),
                  [Row(f"{labels.get(r['category'], r['category'])}: {r['n']}",
                       reverse("activity_list") + f"?category={r['category']}&from={year_start:%Y-%m-%d}")
                   for r in by_category], reverse("activity_list"), _("No activities this year."))]


def _system_admin(user: User) -> list[Panel]:
    staff = User.objects.restrict(user).prefetch_related("role_grants").order_by("username")[:15]
    return [account_panels.accounts_needing_care(user), account_panels.certificates(user),
            Panel(_("Accounts of the agency"),
                  [Row(f"{u.username} · {u}", reverse("staff_detail", args=[u.pk]),
                       "、".join(g.get_role_display() for g in u.role_grants.all())) for u in staff],
                  reverse("staff_list"), empty=_("No accounts."))]


def _security_admin(user: User) -> list[Panel]:
    grants = RoleGrant.objects.restrict(user).select_related("user").order_by("-granted_at")[:15]
    locked = AccessAttempt.objects.filter(failures_since_start__gt=0).order_by("-attempt_time")[:10]
    return [
        account_panels.role_requests(user),
        Panel(_("Recent role grants"), [Row(str(g), "", f"{timezone.localtime(g.granted_at):%Y-%m-%d %H:%M}")
                                         for g in grants], empty=_("No role grants.")),
        Panel(_("Accounts with failed logins"), [Row(a.username, "", str(a.failures_since_start)) for a in locked],
              empty=_("No failed logins on record.")),
    ]


def _ledger_panel() -> Panel:
    """The ledger's own state for the audit administrator: a forged row that stops all changes, the last
    verification's verdict, witness pushes that failed."""
    from ledger.guard import intrusion
    from ledger.models import VerificationRun, WitnessDelivery

    rows = []
    if blocked := intrusion():
        rows.append(Row(_("The ledger refuses all changes:") + " " + blocked, reverse("ledger_overview")))
    run = VerificationRun.objects.order_by("-id").first()
    if run is not None:
        rows.append(Row(_("Last verification: %(state)s") % {"state": run.get_state_display()},
                        reverse("ledger_run", args=[run.pk]), f"{timezone.localtime(run.requested_at):%Y-%m-%d %H:%M}"))
    for delivery in WitnessDelivery.objects.filter(ok=False).order_by("-id")[:3]:
        rows.append(Row(_("Witness text not delivered to %(target)s") % {"target": delivery.target},
                        reverse("ledger_overview"), f"{timezone.localtime(delivery.sent_at):%Y-%m-%d %H:%M}"))
    return Panel(_("Event ledger"), rows, reverse("ledger_overview"), _("No verification has been run yet."))


def _audit_admin(user: User) -> list[Panel]:
    events = Event.objects.filter(agency_code=user.agency.code if user.agency else "").order_by("-seq")[:20]
    alerts = Event.objects.filter(verb__in=["fixity.changed", "fixity.missing"],
                                  agency_code=user.agency.code if user.agency else "").order_by("-seq")[:10]
    return [_ledger_panel(), Panel(_("Fixity alerts: stored originals that changed or are missing"),
                  [Row(f"{timezone.localtime(e.occurred_at):%Y-%m-%d %H:%M} {e.object_label}", "",
                       (e.detail or {}).get("sha256_expected", "")[:16]) for e in alerts],
                  "", _("Every original checked so far is intact.")),
            Panel(_("Latest events"),
                  [Row(f"{timezone.localtime(e.occurred_at):%Y-%m-%d %H:%M:%S} {verb_label(e)} {e.object_label}", "",
                       f"{e.actor_label} · {e.get_result_display()}") for e in events], empty=_("No events."))]


PANELS = {
    Role.OFFICER: _officer, Role.ARCHIVIST: _archivist, Role.HEAD: _head, Role.LEGAL_REVIEWER: _legal_reviewer,
    Role.SUPERVISOR: _supervisor, Role.SYSTEM_ADMIN: _system_admin, Role.SECURITY_ADMIN: _security_admin,
    Role.AUDIT_ADMIN: _audit_admin, Role.DEVICE_KEEPER: _device_keeper,
}


@route(SIGNED_IN)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = [(Role(role).label, builder(user)) for role, builder in PANELS.items() if user.has_role(role)]
    return render(request, "dashboard.html", {"sections": sections})
