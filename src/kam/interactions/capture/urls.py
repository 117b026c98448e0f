from django.urls import path

from . import views

app_name = "interactions"
urlpatterns = [
    path("capture/", views.capture, name="capture"),
    path("capture/<int:pk>/", views.capture_preview, name="capture_preview"),
    path("capture/<int:pk>/import/", views.capture_confirm, name="capture_confirm"),
    path("capture/<int:pk>/contact/", views.capture_contact, name="capture_contact"),
]
