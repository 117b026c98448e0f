from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", views.portfolio, name="portfolio"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("settings/language/", views.set_language, name="set_language"),
]
