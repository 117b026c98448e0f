"""The executive dashboard, under ``/dashboard/`` (its own menu entry, so the programme's entry
is not shown as the current page there)."""

from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard_page, name="page"),
    path("status/", views.dashboard_status, name="status"),
    path("accounts/<str:key>/", views.dashboard_accounts, name="accounts"),
]
