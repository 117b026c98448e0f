from django.urls import path

from . import views

app_name = "dataio"
urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("import/", views.upload, name="upload"),
    path("import/<int:pk>/", views.job, name="job"),
    path("import/<int:pk>/columns/", views.mapping, name="mapping"),
    path("import/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("import/<int:pk>/rerun/", views.job_rerun, name="job_rerun"),
    path("import/<int:pk>/errors.csv", views.job_errors, name="job_errors"),
    path("export/", views.export, name="export"),
    path("export/download/", views.export_download, name="export_download"),
    path("export/log/", views.export_log, name="export_log"),
    path("export/<int:pk>/", views.export_job, name="export_job"),
    path("export/<int:pk>/file/", views.export_job_file, name="export_job_file"),
]
