from django.urls import path

from . import views

app_name = "teams"
urlpatterns = [
    path("accounts/<int:pk>/team/", views.account_team, name="account_team"),
    path(
        "accounts/<int:pk>/team/suggestions/accept/",
        views.suggestion_accept,
        name="suggestion_accept",
    ),
    path("team-members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("team-members/<int:pk>/end/", views.member_end, name="member_end"),
    path("workload/", views.workload, name="workload"),
    path("accounts/<int:pk>/requests/new/", views.request_new, name="request_new"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/<str:step>/", views.request_step, name="request_step"),
    path("accounts/<int:pk>/feed/", views.account_feed, name="feed"),
    path("feed/", views.my_feed, name="my_feed"),
]
