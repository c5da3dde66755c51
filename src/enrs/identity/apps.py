from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """Regional identity server and identity vigilance (INS, RNIV)."""

    name = "enrs.identity"
    label = "identity"
    verbose_name = "Identités patients"

    def ready(self) -> None:
        from enrs.identity import rules

        rules.register()
