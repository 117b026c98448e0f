"""Pages of the relationship map, under ``/relationships/``."""

from django.urls import path

from . import map_views

app_name = "relationships_map"
urlpatterns = [
    path("accounts/<int:pk>/map/", map_views.map_page, name="map"),
    path("accounts/<int:pk>/map/data/", map_views.map_data, name="map_data"),
    path("accounts/<int:pk>/map/people/<int:contact_pk>/", map_views.person, name="person"),
    path(
        "accounts/<int:pk>/map/people/<int:contact_pk>/roles/",
        map_views.person_roles,
        name="person_roles",
    ),
    path(
        "accounts/<int:pk>/map/people/<int:contact_pk>/warm-paths/",
        map_views.warm_paths,
        name="warm_paths",
    ),
    path("accounts/<int:pk>/coverage/", map_views.coverage, name="coverage"),
]
