from django.urls import include, path

from integration import views

urlpatterns = [
    path("api/v1/", include("integration.api.urls")),
    path("settings/systems/", views.account_list, name="integration_accounts"),
    path("settings/systems/<int:pk>/", views.account_detail, name="integration_account"),
    path("settings/systems/deliveries/", views.delivery_log, name="integration_deliveries"),
]
