from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/<str:step>/", views.alert_step, name="step"),
    path("digest/", views.digest_set, name="digest"),
    path("accounts/<int:pk>/", views.account_alerts, name="account"),
]
