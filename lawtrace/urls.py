from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import path

from cases import views as cases
from devices import views as devices
from lawtrace.dashboard import dashboard
from ledger import views as ledger
from policy import views as policy

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password_change"),
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_edit, name="case_create"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", cases.case_edit, name="case_edit"),
    path("activities/", cases.activity_list, name="activity_list"),
    path("activities/new/", cases.activity_edit, name="activity_create"),
    path("activities/<int:pk>/", cases.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", cases.activity_edit, name="activity_edit"),
    path("devices/", devices.device_list, name="device_list"),
    path("rules/", policy.agency_rules, name="agency_rules"),
    path("ledger/", ledger.ledger_overview, name="ledger_overview"),
    path("ledger/verify/", ledger.start_verification, name="ledger_verify"),
    path("ledger/verify/<int:pk>/", ledger.verification_run, name="ledger_run"),
]
