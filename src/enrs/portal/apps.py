from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "enrs.portal"
    label = "portal"
