"""Pages of the buying centre, under ``/relationships/``."""

from django.urls import path

from . import views

app_name = "relationships"
urlpatterns = [
    path("accounts/<int:pk>/", views.buying_centre, name="buying_centre"),
    path("accounts/<int:pk>/panel/", views.account_panel, name="account_panel"),
    path(
        "accounts/<int:pk>/contacts/<int:contact_pk>/",
        views.member_edit,
        name="member_edit",
    ),
    path("accounts/<int:pk>/placeholders/", views.placeholder_add, name="placeholder_add"),
    path(
        "accounts/<int:pk>/placeholders/units/",
        views.placeholder_units,
        name="placeholder_units",
    ),
    path("placeholders/<int:pk>/delete/", views.placeholder_remove, name="placeholder_remove"),
    path("accounts/<int:pk>/stage/", views.stage_confirm, name="stage_confirm"),
    path("accounts/<int:pk>/sharing/", views.sharing_set, name="sharing_set"),
    path("contacts/<int:pk>/links/", views.contact_links, name="contact_links"),
    path("people/<int:pk>/links/", views.user_links, name="user_links"),
    path("opportunities/<int:pk>/roles/", views.opportunity_roles, name="opportunity_roles"),
]
