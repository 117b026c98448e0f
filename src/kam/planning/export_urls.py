"""Downloads and upload of account plans, under ``/planning/``."""

from django.urls import path

from . import export_views as views

app_name = "planexport"
urlpatterns = [
    path("plans/<int:pk>/plan.pdf", views.plan_pdf_view, name="pdf"),
    path("plans/<int:pk>/plan.json", views.plan_json_view, name="json"),
    path("accounts/<int:pk>/plans/import/", views.plan_import_view, name="import"),
]
