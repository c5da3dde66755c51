from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "enrs.bench"
    label = "bench"
