from django.urls import path

from devices import import_views as device_imports
from ledger import search_views as event_search
from org import account_views as account
from org import agency_views as agencies
from org import import_views as imports
from org import staff_views as staff

urlpatterns = [
    path("accounts/password/", account.password_change, name="password_change"),
    path("accounts/security/", account.account_security, name="account_security"),
    path("accounts/mfa/verify/", account.mfa_verify, name="mfa_verify"),
    path("accounts/mfa/enrol/", account.mfa_enrol, name="mfa_enrol"),
    path("accounts/mfa/recovery-codes/", account.recovery_codes, name="mfa_recovery_codes"),
    path("accounts/sign-out-everywhere/", account.sign_out_everywhere, name="sign_out_everywhere"),
    path("org/agencies/", agencies.agency_list, name="agency_list"),
    path("org/agencies/<int:pk>/", agencies.agency_detail, name="agency_detail"),
    path("org/agencies/<int:pk>/units/", agencies.unit_create, name="unit_create"),
    path("org/units/<int:pk>/", agencies.unit_edit, name="unit_edit"),
    path("org/staff/", staff.staff_list, name="staff_list"),
    path("org/staff/new/", staff.staff_create, name="staff_create"),
    path("org/staff/import/", imports.staff_import_upload, name="staff_import"),
    path("org/staff/import/confirm/", imports.staff_import_confirm, name="staff_import_confirm"),
    path("org/staff/<int:pk>/", staff.staff_detail, name="staff_detail"),
    path("org/staff/<int:pk>/edit/", staff.staff_edit, name="staff_edit"),
    path("org/staff/<int:pk>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("org/staff/<int:pk>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("org/staff/<int:pk>/password/", staff.staff_password_reset, name="staff_password_reset"),
    path("org/staff/<int:pk>/unlock/", staff.staff_unlock, name="staff_unlock"),
    path("org/staff/<int:pk>/sign-out/", staff.staff_sign_out, name="staff_sign_out"),
    path("org/staff/<int:pk>/certificates/new/", staff.qualification_create, name="qualification_create"),
    path("org/certificates/<int:pk>/", staff.qualification_edit, name="qualification_edit"),
    path("org/staff/<int:pk>/roles/request/", staff.role_request, name="role_request"),
    path("org/staff/<int:pk>/roles/withdraw/", staff.role_withdraw, name="role_withdraw"),
    path("org/staff/<int:pk>/second-factor/reset/", staff.mfa_reset, name="mfa_reset"),
    path("org/roles/", staff.role_requests, name="role_requests"),
    path("org/roles/decide/", staff.role_decide, name="role_decide"),
    path("devices/import/", device_imports.device_import_upload, name="device_import"),
    path("devices/import/confirm/", device_imports.device_import_confirm, name="device_import_confirm"),
    path("ledger/events/", event_search.event_search, name="event_search"),
    path("ledger/events/export/", event_search.event_export, name="event_export"),
]
