from django.urls import path

from . import views

app_name = "health"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/<int:pk>/draft/", views.version_draft, name="version_draft"),
    path("profiles/<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("versions/<int:pk>/", views.version, name="version"),
    path("versions/<int:pk>/activate/", views.version_activate, name="version_activate"),
]
