"""Every URL pattern is in the authorization matrix, and every role gets exactly what the matrix says
(000/1/4-8, 三员分立).

A new route without a row here fails the coverage test; a row that stops matching what the view does fails the matrix.
Codes: 200 shown, 302 redirected (to log in, or back after a refused POST), 403 refused, 404 not visible at all,
405 method not allowed for GET.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from access import services
from authz.roles import Role
from tests.access_world import application, build
from tests.factories import DeviceFactory, UserFactory

ROLES = ("anonymous", "officer", "handler", "archivist", "head", "legal_reviewer", "supervisor", "system_admin",
         "security_admin", "audit_admin")
_ALL = dict.fromkeys(ROLES, 200)


def row(default: int, anonymous: int = 302, **by_role: int) -> dict[str, int]:
    return {role: by_role.get(role, anonymous if role == "anonymous" else default) for role in ROLES}


STAFF = row(200)
BUSINESS = row(200, system_admin=403, security_admin=403, audit_admin=403)
EVIDENCE_DETAIL = row(200, system_admin=404, security_admin=404, audit_admin=404)
FILERS = row(200, legal_reviewer=403, supervisor=403, system_admin=403, security_admin=403, audit_admin=403)
AUDIT_ONLY = row(403, audit_admin=200)
POST_ONLY = row(405)

MATRIX: dict[str, dict[str, int]] = {
    "dashboard": STAFF,
    "login": _ALL,
    "logout": row(405),
    "password_change": STAFF,
    "healthz": _ALL,
    "case_list": BUSINESS,
    "case_create": FILERS,
    "case_detail": BUSINESS,
    # Officers edit the cases they handle and the activities they took part in or whose case they handle.
    "case_edit": row(403, handler=200, archivist=200, head=200),
    "activity_list": BUSINESS,
    "activity_create": FILERS,
    "activity_detail": BUSINESS,
    "activity_edit": row(403, handler=200, archivist=200, head=200),
    "device_list": STAFF,
    "device_usage_ledger": STAFF,
    "device_detail": EVIDENCE_DETAIL,
    "compliance_overview": row(403, archivist=200, head=200, legal_reviewer=200, supervisor=200),
    "finding_list": STAFF,
    "note_list": STAFF,
    # An interruption note is for its author and its reviewers; only the activity's officers write one.
    "note_detail": {**EVIDENCE_DETAIL, "officer": 404},
    "note_pdf": {**EVIDENCE_DETAIL, "officer": 404},
    "note_create": row(403, system_admin=404, security_admin=404, audit_admin=404),
    "record_list": STAFF,
    "intake_settings": row(403, system_admin=200),
    "four_properties_report": row(200, system_admin=302, security_admin=302, audit_admin=302),
    "record_upload": FILERS,
    "upload_status": STAFF,
    "tus_collection": row(405),  # tus speaks OPTIONS, POST, HEAD and PATCH
    "tus_upload": row(404),
    "record_detail": EVIDENCE_DETAIL,
    "record_classify": row(200, legal_reviewer=403, supervisor=403, system_admin=404, security_admin=404,
                           audit_admin=404),
    "record_link": POST_ONLY,
    "record_unlink": POST_ONLY,
    # Content: the archivist keeps it, the case's handler views directly (000/1/4), the supervisor reviews it in an
    # open sampling round (000/2/17); everyone else needs a grant.
    "record_play": row(403, handler=200, archivist=200, supervisor=200, system_admin=404, security_admin=404,
                       audit_admin=404),
    "record_stream": row(403),
    "record_stream_part": row(403),
    "api_station_dump": row(401, anonymous=401),  # stations authenticate with their token, never a session
    "api_station_docking": row(401, anonymous=401),
    "api_schema": STAFF,
    "access_request_list": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "access_request_create": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "access_request_detail": row(404, handler=200, archivist=200, head=200, legal_reviewer=200, supervisor=200),
    "access_request_decide": POST_ONLY,
    "access_request_revoke": POST_ONLY,
    "access_request_package": POST_ONLY,
    # Seen by whoever sees its request; fetched only by the one who asked, while ready and still granted.
    "package_export_detail": row(404, handler=200, archivist=200, head=200, legal_reviewer=200, supervisor=200),
    "package_export_download": row(404, handler=302, archivist=302, head=302, legal_reviewer=302, supervisor=302),
    "access_register": row(403, archivist=200, head=200, supervisor=200),
    "package_verify": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "access_clearances": row(403, security_admin=200),
    "retention_overview": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "retention_propose": POST_ONLY,
    "retention_decide": POST_ONLY,
    "retention_release": POST_ONLY,
    "retention_hold": POST_ONLY,
    "retention_shorten": POST_ONLY,
    "disc_list": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "disc_detail": row(404),
    "disc_carriers": POST_ONLY,
    "disc_image": row(404),
    "disc_label": row(404),
    "disc_form": row(404),
    "disc_read_check": POST_ONLY,
    "decision_create": row(403, handler=200, head=200),
    "decision_detail": row(404, system_admin=403, security_admin=403, audit_admin=403),
    "decision_submit": POST_ONLY,
    "decision_review": POST_ONLY,
    "decision_finalise": POST_ONLY,
    "draw_list": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "draw_detail": row(404, system_admin=403, security_admin=403, audit_admin=403),
    "draw_perform": POST_ONLY,
    "draw_record": row(404, system_admin=403, security_admin=403, audit_admin=403),
    "inspection_targets": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "inspection_target": row(200, system_admin=403, security_admin=403, audit_admin=403),
    "review_list": row(200, system_admin=403, security_admin=403, audit_admin=403),
    # A round is for the supervisor and the head, and for its reviewers (here the supervisor).
    "review_round": row(404, head=200, supervisor=200, system_admin=403, security_admin=403, audit_admin=403),
    "review_sample": row(404, head=200, supervisor=200, system_admin=403, security_admin=403, audit_admin=403),
    "review_print": row(404, head=200, supervisor=200, system_admin=403, security_admin=403, audit_admin=403),
    "record_review": row(404, head=403, supervisor=200, system_admin=403, security_admin=403, audit_admin=403),
    "review_draw": POST_ONLY,
    "review_close": POST_ONLY,
    "review_cancel": POST_ONLY,
    "misconduct_list": row(200, system_admin=403, security_admin=403, audit_admin=403),
    # The case concerns the "officer"; the handler, archivist and legal reviewer do not see it.
    "misconduct_detail": row(404, officer=200, head=200, supervisor=200, system_admin=403, security_admin=403,
                             audit_admin=403),
    "supervision_report": row(403, head=200, legal_reviewer=200, supervisor=200),
    "agency_rules": STAFF,
    "ledger_overview": AUDIT_ONLY,
    "ledger_verify": row(405, anonymous=302),
    "ledger_run": AUDIT_ONLY,
    # Accounts and agencies (三员分立): the system administrator keeps them, the security administrator decides roles
    # and reads the accounts, the audit administrator searches the log; one's own login security is everyone's.
    "account_security": STAFF,
    "mfa_verify": STAFF,
    "mfa_enrol": STAFF,
    "mfa_recovery_codes": POST_ONLY,
    "sign_out_everywhere": POST_ONLY,
    "agency_list": row(403, system_admin=200),
    "agency_detail": row(403, system_admin=200),
    "unit_create": POST_ONLY,
    "unit_edit": row(403, system_admin=200),
    "staff_list": row(403, system_admin=200, security_admin=200),
    "staff_create": row(403, system_admin=200),
    "staff_import": row(403, system_admin=200),
    "staff_import_confirm": POST_ONLY,
    "staff_detail": row(403, system_admin=200, security_admin=200),
    "staff_edit": row(403, system_admin=200),
    "staff_deactivate": POST_ONLY,
    "staff_reactivate": POST_ONLY,
    "staff_password_reset": POST_ONLY,
    "staff_unlock": POST_ONLY,
    "staff_sign_out": POST_ONLY,
    "qualification_create": row(403, system_admin=200),
    "qualification_edit": row(403, system_admin=200),
    "role_request": POST_ONLY,
    "role_withdraw": POST_ONLY,
    "mfa_reset": POST_ONLY,
    "role_requests": row(403, security_admin=200),
    "role_decide": POST_ONLY,
    "device_import": row(403, system_admin=200, archivist=200),
    "device_import_confirm": POST_ONLY,
    "event_search": AUDIT_ONLY,
    "event_export": POST_ONLY,
}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry


def test_every_url_pattern_is_in_the_authorization_matrix():
    names = {p.name for p in _patterns(get_resolver())}
    assert None not in names, "every route needs a name to be in the matrix"
    assert names - set(MATRIX) == set(), "add these routes to the authorization matrix"
    assert set(MATRIX) - names == set(), "these matrix rows name no route"


@pytest.fixture
def world(db, tmp_path):
    from django.utils import timezone

    from access.models import PackageExport
    from compliance.models import InterruptionNote
    from ledger.models import VerificationRun

    w = build("lushan_finance", tmp_path)
    people = {"handler": w.handler, "officer": w.colleague, "archivist": w.archivist, "head": w.head,
              "legal_reviewer": w.legal, "supervisor": w.supervisor}
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        people[str(role)] = UserFactory(agency=w.agency, roles=(role,))
    now = timezone.now()
    activity = w.case.activities.create(agency=w.agency, category="penalty", stage="on_site_enforcement",
                                        place="现场", planned_start=now, planned_end=now, pack_version=1)
    note = InterruptionNote.objects.create(
        agency=w.agency, activity=activity, author=w.handler, reason="device_failure", reason_label="设备故障",
        reason_cites="000/2/12", explanation="电池耗尽", basis="设备故障", gap_start=now,
        gap_end=now + dt.timedelta(minutes=3), submitted_at=now, pack_version=1)
    access = services.submit_request(application(w, "case_officer", ["duplicate"], person=w.handler),
                                     actor=w.handler)
    run = VerificationRun.objects.create()
    export = PackageExport.objects.create(request=access, requested_by=w.handler, record_ids=[w.clip.pk], maker="甲",
                                          extractor="乙", proves="现场检查经过")
    review_round, misconduct, target = _supervision(w)
    kwargs = {
        "case_detail": {"pk": w.case.pk}, "case_edit": {"pk": w.case.pk},
        "activity_detail": {"pk": activity.pk}, "activity_edit": {"pk": activity.pk},
        "device_detail": {"pk": DeviceFactory(agency=w.agency).pk},
        "note_detail": {"pk": note.pk}, "note_pdf": {"pk": note.pk}, "note_create": {"activity_pk": activity.pk},
        "record_detail": {"pk": w.clip.pk}, "record_classify": {"pk": w.clip.pk}, "record_link": {"pk": w.clip.pk},
        "record_unlink": {"pk": w.clip.pk}, "record_play": {"pk": w.clip.pk},
        "record_stream": {"pk": w.clip.pk, "token": "forged"},
        "record_stream_part": {"pk": w.clip.pk, "token": "forged", "part": "strip"},
        "tus_upload": {"upload_id": "00000000-0000-0000-0000-000000000000"},
        "access_request_detail": {"pk": access.pk}, "access_request_decide": {"pk": access.pk},
        "access_request_revoke": {"pk": access.pk}, "access_request_package": {"pk": access.pk},
        "package_export_detail": {"pk": export.pk}, "package_export_download": {"pk": export.pk},
        "ledger_run": {"pk": run.pk}, "retention_release": {"pk": 1}, "retention_hold": {"pk": w.clip.pk},
        "retention_shorten": {"pk": w.clip.pk}, "decision_create": {"case_pk": w.case.pk},
        "decision_detail": {"pk": 1}, "decision_submit": {"pk": 1}, "decision_review": {"pk": 1},
        "decision_finalise": {"pk": 1}, "draw_detail": {"pk": 1}, "draw_perform": {"pk": 1}, "draw_record": {"pk": 1},
        "disc_detail": {"pk": 1}, "disc_carriers": {"pk": 1},
        "inspection_target": {"pk": target.pk}, "review_round": {"pk": review_round.pk},
        "review_sample": {"pk": review_round.pk}, "review_print": {"pk": review_round.pk},
        "review_draw": {"pk": review_round.pk}, "review_close": {"pk": review_round.pk},
        "review_cancel": {"pk": review_round.pk},
        "record_review": {"pk": review_round.pk, "record_pk": int(review_round.sample[0])},
        "misconduct_detail": {"pk": misconduct.pk},
        "disc_image": {"pk": 1}, "disc_label": {"pk": 1}, "disc_form": {"pk": 1}, "disc_read_check": {"pk": 1},
        **_org_kwargs(w),
    }
    return people, kwargs


def _org_kwargs(w) -> dict:
    from org.services import create_unit
    from tests.factories import QualificationFactory

    unit = create_unit(w.agency, name="矩阵测试股")
    person = {"pk": w.handler.pk}
    certificate = QualificationFactory(user=w.colleague)
    return {"agency_detail": {"pk": w.agency.pk}, "unit_create": {"pk": w.agency.pk}, "unit_edit": {"pk": unit.pk},
            **{name: person for name in ("staff_detail", "staff_edit", "staff_deactivate", "staff_reactivate",
                                         "staff_password_reset", "staff_unlock", "staff_sign_out",
                                         "qualification_create", "role_request", "role_withdraw", "mfa_reset")},
            "qualification_edit": {"pk": certificate.pk}}


def _supervision(w):
    from supervision import accountability, reviews
    from supervision.models import InspectionTarget

    day = w.clip.recorded_start or w.clip.stored_at
    wanted = reviews.RoundRequest(kind="sampling", title="抽查", period_start=day.date() - dt.timedelta(days=1),
                                  period_end=day.date() + dt.timedelta(days=1), reviewers=[w.supervisor], share=1.0)
    made = reviews.draw_sample(reviews.open_round(w.agency, wanted, actor=w.supervisor), actor=w.supervisor)
    case = accountability.open_case(w.agency, officer=w.colleague, misconduct="not_recording", facts="未记录",
                                    actor=w.supervisor)
    target = InspectionTarget.objects.create(agency=w.agency, name="某企业", credit_code="91410482MA0000001X")
    return made, case, target


def test_each_role_gets_what_the_matrix_says(world, client):
    from django.urls import reverse

    people, kwargs = world
    mismatches = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        for name, expected in MATRIX.items():
            status = client.get(reverse(name, kwargs=kwargs.get(name))).status_code
            if status != expected[role]:
                mismatches.append(f"{name} as {role}: {status}, matrix says {expected[role]}")
    assert mismatches == [], "\n".join(mismatches)
