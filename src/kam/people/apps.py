from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "kam.people"
    label = "people"
