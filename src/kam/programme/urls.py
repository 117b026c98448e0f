from django.urls import path

from . import views

app_name = "programme"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("refresh/", views.refresh, name="refresh"),
    path("indicators/<str:key>/", views.indicator_accounts, name="indicator"),
    path("risks/<str:key>/", views.risk_accounts, name="risk"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/remind/", views.campaign_remind, name="campaign_remind"),
    path("campaigns/<int:pk>/answer/", views.respond, name="respond"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement_edit, name="statement_edit"),
    path("statements/<int:pk>/active/", views.statement_active, name="statement_active"),
]
