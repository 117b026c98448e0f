from django.apps import AppConfig


class DataioConfig(AppConfig):
    name = "kam.dataio"
    label = "dataio"
