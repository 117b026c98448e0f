from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kam.web"
    label = "web"
