from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "enrs.identity"
    label = "identity"
