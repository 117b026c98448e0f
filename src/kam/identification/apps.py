from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    name = "kam.identification"
    label = "identification"
