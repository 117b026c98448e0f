"""Pages of an account's white space matrix, under ``/planning/accounts/<pk>/white-space/``."""

from django.urls import path

from . import whitespace_views as views

app_name = "whitespace"
urlpatterns = [
    path("accounts/<int:pk>/white-space/", views.matrix, name="matrix"),
    path("accounts/<int:pk>/white-space/prefill/", views.prefill, name="prefill"),
    path("accounts/<int:pk>/white-space/<int:unit_pk>/<int:line_pk>/", views.cell, name="cell"),
    path(
        "accounts/<int:pk>/white-space/<int:unit_pk>/<int:line_pk>/view/",
        views.cell_view,
        name="cell_view",
    ),
]
