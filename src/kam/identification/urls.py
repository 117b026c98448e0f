"""Pages of key-account identification, under ``/identification/``."""

from django.urls import path

from . import views

app_name = "identification"
urlpatterns = [
    path("", views.scores, name="scores"),
    path("scores.<str:fmt>", views.scores_export, name="scores_export"),
    path("runs/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_status, name="run_status"),
    path("runs/<int:pk>/rerun/", views.run_rerun, name="run_rerun"),
    path("accounts/<int:pk>/", views.account_score, name="account_score"),
    path("accounts/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("accounts/<int:pk>/assessment/", views.assessment, name="assessment"),
    path("matrix/", views.matrix, name="matrix"),
    path("backtest/", views.backtest_page, name="backtest"),
    path("model/", views.model, name="model"),
    path("models/<int:version>/", views.model_version, name="model_version"),
    path("models/<int:version>/draft/", views.model_draft, name="model_draft"),
    path("models/<int:version>/activate/", views.model_activate_view, name="model_activate"),
    path("models/<int:version>/what-if/", views.model_what_if, name="model_what_if"),
    path("nominations/", views.nominations, name="nominations"),
    path("nominations/<int:pk>/", views.nomination, name="nomination"),
    path("nominations/<int:pk>/<slug:step>/", views.nomination_step, name="nomination_step"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
