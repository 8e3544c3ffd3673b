from django.urls import path

from integration.api import feed_views, read_views, write_views

urlpatterns = [
    path("cases/", write_views.CaseList.as_view(), name="api_cases"),
    path("cases/<int:pk>/", write_views.CaseDetail.as_view(), name="api_case"),
    path("cases/<int:pk>/party/", write_views.CaseParty.as_view(), name="api_case_party"),
    path("cases/<int:pk>/handlers/", write_views.CaseHandlers.as_view(), name="api_case_handlers"),
    path("cases/<int:pk>/decisions/", write_views.CaseDecisions.as_view(), name="api_case_decisions"),
    path("activities/", write_views.ActivityList.as_view(), name="api_activities"),
    path("activities/<int:pk>/", write_views.ActivityDetail.as_view(), name="api_activity"),
    path("records/", read_views.RecordList.as_view(), name="api_records"),
    path("records/<int:pk>/link/", write_views.RecordLink.as_view(), name="api_record_link"),
    path("findings/", read_views.FindingList.as_view(), name="api_findings"),
    path("compliance/rates/", read_views.ComplianceRates.as_view(), name="api_compliance_rates"),
    path("access/register/", read_views.AccessRegister.as_view(), name="api_access_register"),
    path("retention/due/", read_views.RetentionDue.as_view(), name="api_retention_due"),
    path("supervision/results/", read_views.SupervisionResults.as_view(), name="api_supervision_results"),
    path("feed/", feed_views.Feed.as_view(), name="api_feed"),
]
