from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    """System-to-system access: OAuth2 client credentials for connectors.

    A connector (a hospital system, an observatory feed) acts for one
    organisation of the directory and only within its named scopes.
    """

    name = "enrs.connectors"
    label = "connectors"
    verbose_name = "Connecteurs"
