from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Habilitations: roles, care relationships, grants, break-glass, consent.

    Registers the rules that ``enrs.core.permissions`` applies to patient data.
    """

    name = "enrs.access"
    label = "access"
    verbose_name = "Habilitations"

    def ready(self) -> None:
        from enrs.access import rules

        rules.register()
