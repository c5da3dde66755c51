from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "enrs.demo"
    label = "demo"
