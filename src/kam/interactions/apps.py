from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "kam.interactions"
    label = "interactions"
