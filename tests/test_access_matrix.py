"""The route × role matrix, generated from the authorization registry (000/1/4-10, 三员分立).

Every URL pattern must carry a declaration (``authz.routes.route``): the capability it needs, the object it acts on
and with which action, the methods it answers. A route without one fails here, before anyone reviews it. What each
role should get is then derived from the declarations and the registry alone and checked against real responses:

- not signed in: sent to log in (public routes aside; the station API answers 401 to anything but a station);
- a method the route does not answer: 405;
- a role without the capability: 403, and the refusal is on record;
- an object the user may not see: 404; one they see but may not act on this way: 403, on record, naming it;
- anything else goes through (no 401/403/404/405, no log-in page).

POST-only routes, and routes whose POST needs another capability, are also POSTed (empty, in a savepoint rolled
back after each request), so a form's refusals are checked as well as its page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from access import services
from authz import capabilities, scopes
from authz.roles import Role
from authz.routes import MONITOR, PSEUDO, PUBLIC, STATION, SYSTEM, declaration
from ledger.models import Event
from org.services import create_unit
from tests.access_world import application, build
from tests.factories import ActivityFactory, DeviceFactory, QualificationFactory, UserFactory

ROLES = ("anonymous", "officer", "handler", "archivist", "head", "legal_reviewer", "supervisor", "system_admin",
         "security_admin", "audit_admin")
# Routes whose URL names an object but which act on nothing an agency owns.
NOT_AGENCY_OBJECTS = {"ledger_run": "a verification run is the audit administrator's, not an agency's"}


def _patterns(resolver: URLResolver = None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def test_every_route_declares_what_it_needs():
    problems = []
    for pattern in _patterns():
        spec = declaration(pattern.callback)
        if pattern.name is None or spec is None:
            problems.append(f"{pattern.pattern}: no name or no authz.routes.route declaration")
            continue
        for needed in {spec.capability, spec.post} - {None} - PSEUDO:
            if capabilities.get(needed) is None:
                problems.append(f"{pattern.name}: capability {needed} is not declared by any app")
        converters = pattern.pattern.converters
        if spec.on is None and converters and pattern.name not in NOT_AGENCY_OBJECTS and spec.capability != PUBLIC:
            problems.append(f"{pattern.name}: names an object ({', '.join(converters)}) but declares none (on=)")
        if spec.on is not None:
            if spec.action not in scopes.declared().get(spec.on, []):
                problems.append(f"{pattern.name}: {spec.on} has no scope rule for {spec.action}")
            if spec.key not in converters:
                problems.append(f"{pattern.name}: the URL has no argument {spec.key}")
    assert problems == []


def test_every_capability_has_a_name_and_the_administrators_stay_apart():
    """三员分立: no administrator holds a business capability, and no two administrators share one."""
    agency = None
    for name, capability in capabilities.declared().items():
        assert str(capability.label).strip(), name
        held = capability.holders(agency)
        admins = held & {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
        if name in ("rules.read", "pack.read"):  # everyone reads the rules; the versions put forward are read by
            continue  # the administrators, the head who approves them and the auditor alike
        # Reading the accounts is no power to divide: the system administrator keeps them, the security administrator
        # decides their roles from them; each change stays one administrator's (staff.manage, role.assign).
        assert len(admins) <= 1 or (name == "staff.view" and admins == {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}), name
        assert not admins or held == admins, f"{name} is held by an administrator and a business role"


@pytest.fixture
def world(db, tmp_path, settings):
    from access.exports import archive_dir
    from access.models import PackageExport
    from cases import decisions
    from compliance.models import InterruptionNote
    from evidence import derivatives
    from evidence.models import UploadSession
    from evidence.streaming import stream_token
    from ledger.models import VerificationRun
    from retention import services as retention
    from retention.discs import image_dir
    from retention.models import Carrier, Disc, Schedule
    from supervision import accountability, reviews
    from supervision.models import Draw, InspectionTarget

    settings.DATA_DIR = tmp_path / "data"
    w = build("lushan_finance", tmp_path)
    derivatives.make_all(w.clip)
    people = {"handler": w.handler, "officer": w.colleague, "archivist": w.archivist, "head": w.head,
              "legal_reviewer": w.legal, "supervisor": w.supervisor}
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        people[str(role)] = UserFactory(agency=w.agency, roles=(role,))
    now = timezone.now()
    activity = ActivityFactory(agency=w.agency, case=w.case, category="penalty", stage="on_site_enforcement",
                               officers=[w.handler])
    note = InterruptionNote.objects.create(
        agency=w.agency, activity=activity, author=w.handler, reason="device_failure", reason_label="设备故障",
        reason_cites="000/2/12", explanation="电池耗尽", basis="设备故障", gap_start=now,
        gap_end=now + dt.timedelta(minutes=3), submitted_at=now, pack_version=1)
    access = services.submit_request(application(w, "case_officer", ["duplicate"], person=w.handler),
                                     actor=w.handler)
    access = services.decide(access, actor=w.head, approve=True)
    archive = archive_dir() / "evidence-package-matrix.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    export = PackageExport.objects.create(
        request=access, requested_by=w.handler, record_ids=[w.clip.pk], maker="甲", extractor="乙", proves="现场检查",
        state=PackageExport.State.READY, archive_name=archive.name, size=22, finished_at=now)
    decision = decisions.draft(w.case, decision_type="fine", amount_yuan=5000, measures="罚款",
                               law_requires_review=False, actor=w.head)
    draw = Draw.objects.create(agency=w.agency, plan_id="plan", plan_name="抽查", cites="002 附件3", period="2026Q4",
                               share=0.2, per_target=2, inspect_on=now, seed="0" * 64, seed_hash="1" * 64, inputs={},
                               digests={}, result={"assignments": {}}, state=Draw.State.DRAWN,
                               committed_by=w.supervisor, committed_at=now)
    hold = retention.place_hold([w.clip], kind="long_term", trigger="objection_or_complaint", reason="当事人投诉",
                                actor=w.archivist)[0]
    (image_dir() / "matrix.iso").write_bytes(bytes(2048))
    disc = Disc.objects.create(agency=w.agency, title="现场检查", case=w.case, maker=w.archivist, requested_at=now,
                               made_at=now, state=Disc.State.READY, image_name="matrix.iso", size=2048)
    disc.records.set([w.clip])
    carrier = Carrier.objects.create(disc=disc, copy_number=1, serial="CD-1", storage_place="档案室",
                                     registered_by=w.archivist, registered_at=now, next_check_on=timezone.localdate())
    upload = UploadSession.objects.create(user=w.handler, length=10, filename="a.mp4")
    register_job, ledger_job = _printed(w, now)
    review_round, misconduct, target = _supervision(w, reviews, accountability, InspectionTarget)
    assert Schedule.objects.filter(record=w.clip).exists()
    record = {"pk": w.clip.pk}
    kwargs = {
        "case_detail": {"pk": w.case.pk}, "case_edit": {"pk": w.case.pk}, "case_handlers": {"pk": w.case.pk},
        "activity_detail": {"pk": activity.pk}, "activity_edit": {"pk": activity.pk},
        "activity_link_records": {"pk": activity.pk},
        "device_detail": {"pk": DeviceFactory(agency=w.agency).pk},
        "note_detail": {"pk": note.pk}, "note_pdf": {"pk": note.pk}, "note_create": {"activity_pk": activity.pk},
        "record_detail": record, "record_classify": record, "record_link": record, "record_unlink": record,
        "record_play": record,
        "record_stream": lambda user: {"pk": w.clip.pk, "token": stream_token(record_id=w.clip.pk,
                                                                              user_id=user.pk, view_seq=0)},
        "record_stream_part": lambda user: {"pk": w.clip.pk, "part": "strip", "token": stream_token(
            record_id=w.clip.pk, user_id=user.pk, view_seq=0)},
        "tus_upload": {"upload_id": upload.pk},
        "access_request_detail": {"pk": access.pk}, "access_request_decide": {"pk": access.pk},
        "access_request_revoke": {"pk": access.pk}, "access_request_package": {"pk": access.pk},
        "package_export_detail": {"pk": export.pk}, "package_export_download": {"pk": export.pk},
        "ledger_run": {"pk": VerificationRun.objects.create().pk}, "retention_release": {"pk": hold.pk},
        "retention_hold": record, "retention_shorten": record, "decision_create": {"case_pk": w.case.pk},
        "decision_detail": {"pk": decision.pk}, "decision_submit": {"pk": decision.pk},
        "decision_review": {"pk": decision.pk}, "decision_finalise": {"pk": decision.pk},
        "draw_detail": {"pk": draw.pk}, "draw_perform": {"pk": draw.pk}, "draw_record": {"pk": draw.pk},
        "disc_detail": {"pk": disc.pk}, "disc_carriers": {"pk": disc.pk}, "disc_image": {"pk": disc.pk},
        "disc_label": {"pk": disc.pk}, "disc_form": {"pk": disc.pk}, "disc_read_check": {"pk": carrier.pk},
        "inspection_target": {"pk": target.pk}, "review_round": {"pk": review_round.pk},
        "review_sample": {"pk": review_round.pk}, "review_print": {"pk": review_round.pk},
        "review_draw": {"pk": review_round.pk}, "review_close": {"pk": review_round.pk},
        "review_cancel": {"pk": review_round.pk},
        "record_review": {"pk": review_round.pk, "record_pk": int(review_round.sample[0])},
        "misconduct_detail": {"pk": misconduct.pk},
        "pack_activation": {"pk": w.agency.pack_activations.get().pk},
        "register_print_job": {"pk": register_job.pk}, "register_print_download": {"pk": register_job.pk},
        "ledger_print_job": {"pk": ledger_job.pk}, "ledger_print_download": {"pk": ledger_job.pk},
        **_org_kwargs(w),
        **_integration(w, activity),
    }
    return people, kwargs


def _printed(w, now):
    """A finished register printed by the archivist and a ledger printed by the handler (printing/)."""
    import hashlib

    from printing.models import PrintJob
    from printing.services import output_dir

    made = []
    for kind, asker in (("access_register", w.archivist), ("usage_ledger", w.handler)):
        content = b"%PDF-1.7 matrix " + kind.encode()
        (output_dir() / f"{kind}.pdf").write_bytes(content)
        made.append(PrintJob.objects.create(
            agency=w.agency, kind=kind, requested_by=asker, state=PrintJob.State.READY, total_rows=2000,
            done_rows=2000, file_name=f"{kind}.pdf", size=len(content), sha256=hashlib.sha256(content).hexdigest(),
            finished_at=now))
    return made


def _org_kwargs(w) -> dict:
    unit = create_unit(w.agency, name="矩阵测试股")
    person = {"pk": w.handler.pk}
    certificate = QualificationFactory(user=w.colleague)
    return {"agency_detail": {"pk": w.agency.pk}, "unit_create": {"pk": w.agency.pk}, "unit_edit": {"pk": unit.pk},
            **{name: person for name in ("staff_detail", "staff_edit", "staff_deactivate", "staff_reactivate",
                                         "staff_password_reset", "staff_unlock", "staff_sign_out",
                                         "qualification_create", "role_request", "role_withdraw", "mfa_reset")},
            "qualification_edit": {"pk": certificate.pk}}


def _supervision(w, reviews, accountability, InspectionTarget):
    day = w.clip.recorded_start or w.clip.stored_at
    wanted = reviews.RoundRequest(kind="sampling", title="抽查", period_start=day.date() - dt.timedelta(days=1),
                                  period_end=day.date() + dt.timedelta(days=1), reviewers=[w.supervisor], share=1.0)
    made = reviews.draw_sample(reviews.open_round(w.agency, wanted, actor=w.supervisor), actor=w.supervisor)
    case = accountability.open_case(w.agency, officer=w.colleague, misconduct="not_recording", facts="未记录",
                                    actor=w.supervisor)
    target = InspectionTarget.objects.create(agency=w.agency, name="某企业", credit_code="91410482MA0000001X")
    return made, case, target


def _integration(w, activity) -> dict:
    from integration import accounts

    account = accounts.create_account(w.agency, name="办案系统")
    case, record = {"pk": w.case.pk}, {"pk": w.clip.pk}
    return {"api_case": case, "api_case_party": case, "api_case_handlers": case, "api_case_decisions": case,
            "api_activity": {"pk": activity.pk}, "api_record_link": record, "integration_account": {"pk": account.pk}}


def expected(spec, user, kwargs: dict, method: str) -> str:
    """What the declarations and the registry say this request should get."""
    if spec.capability in (STATION, SYSTEM):  # token APIs: a session is not a token
        return "401"
    if spec.capability == PUBLIC:
        return "through"
    if spec.capability == MONITOR:  # by address, not by role: the test client is 127.0.0.1, a monitoring address
        return "through"
    if user is None:
        return "log in"
    if spec.methods and method not in spec.methods:
        return "405"
    needed = spec.needs(method)
    if needed not in PSEUDO and not capabilities.can(user, needed):
        return "403"
    if spec.on is not None:
        rows = apps.get_model(spec.on)._default_manager.filter(pk=kwargs[spec.key])
        if not scopes.restrict(rows, user).exists():
            return "404"
        if spec.action != scopes.VIEW and not scopes.restrict(rows, user, spec.action).exists():
            return "403 on the object"
    return "through"


def _got(response) -> str:
    status = response.status_code
    # Sent to log in, to come back afterwards (logging out also ends on the log-in page, with nowhere to return to).
    if status == 302 and response["Location"].startswith(f"{resolve_url(settings.LOGIN_URL)}?next="):
        return "log in"
    if status in (401, 404, 405):
        return str(status)
    return "403" if status == 403 else "through"


def test_each_role_gets_what_the_declarations_say(world, client):
    people, kwargs = world
    routes = [(pattern, declaration(pattern.callback)) for pattern in _patterns()]
    mismatches, checked = [], 0
    for role in ROLES:
        user = people.get(role)
        refusals = Event.objects.filter(result=Event.Result.DENIED, actor=user) if user else None
        client.logout()
        for pattern, spec in routes:
            arguments = kwargs.get(pattern.name)
            arguments = arguments(user or people["handler"]) if callable(arguments) else arguments
            url = reverse(pattern.name, kwargs=arguments)
            for method in ["GET"] + (["POST"] if spec.methods == ("POST",) or spec.post else []):
                want = expected(spec, user, arguments or {}, method)
                if user is not None and "_auth_user_id" not in client.session:  # first, or after logging out
                    client.force_login(user)
                before = refusals.count() if user else 0
                with transaction.atomic():
                    response = client.get(url) if method == "GET" else client.post(url)
                    got = _got(response)
                    recorded = list(refusals.order_by("-seq")[:1]) if user and refusals.count() > before else []
                    transaction.set_rollback(True)
                checked += 1
                if want.startswith("403"):
                    on_object = want == "403 on the object"
                    names = recorded and (not on_object or recorded[0].object_id == str(arguments[spec.key]))
                    if got != "403" or not names:
                        mismatches.append(f"{method} {pattern.name} as {role}: {got}, refusal on record: "
                                          f"{bool(recorded)}; declarations say {want}")
                elif got != want:
                    mismatches.append(f"{method} {pattern.name} as {role}: {got}; declarations say {want}")
    assert checked > 1000
    assert mismatches == [], "\n".join(mismatches)
