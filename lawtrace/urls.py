from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from access import views as access
from authz.routes import MONITOR, PUBLIC, SIGNED_IN, route
from cases import decision_views as decisions
from cases import views as cases
from compliance import views as compliance
from devices import views as devices
from evidence import admin_views as evidence_admin
from evidence import api as evidence_api
from evidence import tus_views
from evidence import views as evidence
from lawtrace.dashboard import dashboard
from lawtrace.health import healthz
from lawtrace.metrics import metrics
from ledger import views as ledger
from policy import activation_views as pack_versions
from policy import views as policy
from printing import views as printing
from retention import disc_views as discs
from retention import views as retention
from supervision import accountability_views, report_views, review_views
from supervision import views as supervision

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/login/", route(PUBLIC)(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", route(SIGNED_IN, methods=("POST",))(auth_views.LogoutView.as_view()), name="logout"),
    # One's own password, second factor and sessions; accounts, agencies, units, imports and the event search
    # (issue 20): org/urls.py.
    path("", include("org.urls")),
    path("healthz", route(PUBLIC, methods=("GET", "HEAD"))(healthz), name="healthz"),
    path("metrics", route(MONITOR, methods=("GET", "HEAD"))(metrics), name="metrics"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_create, name="case_create"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<int:pk>/handlers/", cases.case_handlers, name="case_handlers"),
    path("cases/<int:case_pk>/decisions/new/", decisions.decision_create, name="decision_create"),
    path("decisions/<int:pk>/", decisions.decision_detail, name="decision_detail"),
    path("decisions/<int:pk>/submit/", decisions.decision_submit, name="decision_submit"),
    path("decisions/<int:pk>/review/", decisions.decision_review, name="decision_review"),
    path("decisions/<int:pk>/finalise/", decisions.decision_finalise, name="decision_finalise"),
    path("activities/", cases.activity_list, name="activity_list"),
    path("activities/new/", cases.activity_create, name="activity_create"),
    path("activities/<int:pk>/", cases.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", cases.activity_edit, name="activity_edit"),
    path("devices/", devices.device_list, name="device_list"),
    path("devices/usage-ledger/", devices.usage_ledger_view, name="device_usage_ledger"),
    path("devices/usage-ledger/printed/<int:pk>/", printing.ledger_job, name="ledger_print_job"),
    path("devices/usage-ledger/printed/<int:pk>/download", printing.ledger_download, name="ledger_print_download"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("compliance/", compliance.overview, name="compliance_overview"),
    path("compliance/findings/", compliance.finding_list, name="finding_list"),
    path("compliance/notes/", compliance.note_list, name="note_list"),
    path("compliance/notes/<int:pk>/", compliance.note_detail, name="note_detail"),
    path("compliance/notes/<int:pk>/pdf/", compliance.note_pdf, name="note_pdf"),
    path("activities/<int:activity_pk>/notes/new/", compliance.note_create, name="note_create"),
    path("evidence/", evidence.record_list, name="record_list"),
    path("settings/intake/", evidence_admin.intake_settings, name="intake_settings"),
    path("evidence/report/four-properties/", evidence.four_properties_report, name="four_properties_report"),
    path("evidence/upload/", evidence.upload, name="record_upload"),
    path("evidence/upload/status/", evidence.upload_status, name="upload_status"),
    path("evidence/tus/", tus_views.collection, name="tus_collection"),
    path("evidence/tus/<uuid:upload_id>", tus_views.resource, name="tus_upload"),
    path("evidence/<int:pk>/", evidence.record_detail, name="record_detail"),
    path("evidence/<int:pk>/classify/", evidence.record_classify, name="record_classify"),
    path("evidence/<int:pk>/link/", evidence.record_link, name="record_link"),
    path("activities/<int:pk>/records/link/", evidence.activity_link_records, name="activity_link_records"),
    path("evidence/<int:pk>/unlink/", evidence.record_unlink, name="record_unlink"),
    path("evidence/<int:pk>/play/", evidence.record_play, name="record_play"),
    path("evidence/<int:pk>/stream/<str:token>/", evidence.record_stream, name="record_stream"),
    path("evidence/<int:pk>/stream/<str:token>/<str:part>/", evidence.record_stream, name="record_stream_part"),
    path("api/v1/station/dumps/", evidence_api.StationDumpView.as_view(), name="api_station_dump"),
    path("api/v1/station/docking/", evidence_api.StationDockingView.as_view(), name="api_station_docking"),
    path("api/schema/", route(SIGNED_IN)(SpectacularAPIView.as_view()), name="api_schema"),
    path("api/schema/ui/", route(SIGNED_IN)(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
         name="api_docs"),
    path("", include("integration.urls")),
    path("access/", access.request_list, name="access_request_list"),
    path("access/new/", access.request_create, name="access_request_create"),
    path("access/<int:pk>/", access.request_detail, name="access_request_detail"),
    path("access/<int:pk>/decide/", access.request_decide, name="access_request_decide"),
    path("access/<int:pk>/revoke/", access.request_revoke, name="access_request_revoke"),
    path("access/<int:pk>/package/", access.request_package, name="access_request_package"),
    path("access/packages/<int:pk>/", access.package_export_detail, name="package_export_detail"),
    path("access/packages/<int:pk>/download/", access.package_export_download, name="package_export_download"),
    path("access/register/", access.register_view, name="access_register"),
    path("access/register/printed/<int:pk>/", printing.register_job, name="register_print_job"),
    path("access/register/printed/<int:pk>/download", printing.register_download, name="register_print_download"),
    path("access/verify/", access.verify_page, name="package_verify"),
    path("access/clearances/", access.clearances, name="access_clearances"),
    path("access/marks/", access.marks, name="access_marks"),
    path("retention/", retention.overview, name="retention_overview"),
    path("retention/propose/", retention.propose, name="retention_propose"),
    path("retention/decide/", retention.decide, name="retention_decide"),
    path("retention/holds/<int:pk>/release/", retention.release_hold, name="retention_release"),
    path("evidence/<int:pk>/hold/", retention.place_hold, name="retention_hold"),
    path("evidence/<int:pk>/shorten/", retention.shorten, name="retention_shorten"),
    path("retention/discs/", discs.disc_list, name="disc_list"),
    path("retention/discs/<int:pk>/", discs.disc_detail, name="disc_detail"),
    path("retention/discs/<int:pk>/carriers/", discs.disc_carriers, name="disc_carriers"),
    path("retention/discs/<int:pk>/image/", discs.disc_image, name="disc_image"),
    path("retention/discs/<int:pk>/label/", discs.disc_label, name="disc_label"),
    path("retention/discs/<int:pk>/form/", discs.disc_form, name="disc_form"),
    path("retention/carriers/<int:pk>/check/", discs.disc_read_check, name="disc_read_check"),
    path("supervision/draws/", supervision.draw_list, name="draw_list"),
    path("supervision/draws/<int:pk>/", supervision.draw_detail, name="draw_detail"),
    path("supervision/draws/<int:pk>/draw/", supervision.draw_perform, name="draw_perform"),
    path("supervision/draws/<int:pk>/record.json", supervision.draw_record, name="draw_record"),
    path("supervision/targets/", supervision.targets, name="inspection_targets"),
    path("supervision/targets/<int:pk>/", supervision.target_detail, name="inspection_target"),
    path("supervision/reviews/", review_views.round_list, name="review_list"),
    path("supervision/reviews/<int:pk>/", review_views.round_detail, name="review_round"),
    path("supervision/reviews/<int:pk>/draw/", review_views.round_draw, name="review_draw"),
    path("supervision/reviews/<int:pk>/close/", review_views.round_close, name="review_close"),
    path("supervision/reviews/<int:pk>/cancel/", review_views.round_cancel, name="review_cancel"),
    path("supervision/reviews/<int:pk>/sample.json", review_views.round_sample, name="review_sample"),
    path("supervision/reviews/<int:pk>/ledger.pdf", review_views.round_print, name="review_print"),
    path("supervision/reviews/<int:pk>/records/<int:record_pk>/", review_views.record_review, name="record_review"),
    path("supervision/misconduct/", accountability_views.misconduct_list, name="misconduct_list"),
    path("supervision/misconduct/<int:pk>/", accountability_views.misconduct_detail, name="misconduct_detail"),
    path("supervision/report/", report_views.supervision_report, name="supervision_report"),
    path("rules/", policy.agency_rules, name="agency_rules"),
    path("rules/versions/", pack_versions.version_list, name="pack_versions"),
    path("rules/versions/new/", pack_versions.upload, name="pack_upload"),
    path("rules/versions/<int:pk>/", pack_versions.proposal, name="pack_activation"),
    path("ledger/", ledger.ledger_overview, name="ledger_overview"),
    path("ledger/verify/", ledger.start_verification, name="ledger_verify"),
    path("ledger/verify/<int:pk>/", ledger.verification_run, name="ledger_run"),
]
