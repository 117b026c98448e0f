from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.api.api import api
from kam.web import views as web_views

urlpatterns = [
    path("login/", web_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("identification/", include("kam.identification.urls")),
    path("relationships/", include("kam.relationships.urls")),
    path("plans/", include("kam.planning.urls")),
    path("data/", include("kam.dataio.urls")),
    path("teams/", include("kam.teams.urls")),
    path("alerts/", include("kam.alerts.urls")),
    path("interactions/", include("kam.interactions.capture.urls")),
    path("programme/", include("kam.programme.urls")),
    path("dashboard/", include("kam.programme.dashboard_urls")),
    path("health/", include("kam.health.urls")),
    path("field/", include("kam.field.urls")),
    path("planning/", include("kam.planning.whitespace_urls")),
    path("planning/", include("kam.planning.export_urls")),
    path("relationships/", include("kam.relationships.map_urls")),
    path("settings/tokens/", include("kam.api.urls")),
    path("", include("kam.web.urls")),
]

handler400 = "kam.web.views.bad_request"
handler403 = "kam.web.views.permission_denied"
handler404 = "kam.web.views.page_not_found"
handler500 = "kam.web.views.server_error"
