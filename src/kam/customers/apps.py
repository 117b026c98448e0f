from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kam.customers"
    label = "customers"
