from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("assignments/", views.assignments, name="assignments"),
    path("mine/", views.mine, name="mine"),
    path("visits/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("log/", views.log, name="log"),
    path("search/contacts/", views.contacts_search, name="contacts_search"),
    path("search/people/", views.people_search, name="people_search"),
    path("actions/<int:pk>/status/", views.action_status, name="action_status"),
    path("reps/<int:pk>/week/", views.rep_week, name="rep_week"),
    path("cadence/", views.cadence, name="cadence"),
    path("accounts/<int:pk>/", views.account_field, name="account"),
    path("accounts/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("indicators/", views.indicators, name="indicators"),
    path("feed-token/", views.feed_token, name="feed_token"),
    path("calendar/<str:token>.ics", views.ics, name="ics"),
]
