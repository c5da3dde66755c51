from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservatoryConfig(AppConfig):
    name = "enrs.observatory"
    label = "observatory"
    verbose_name = _("Observatoires (ORU, Pilot-e, NormAntiBio)")

    def ready(self) -> None:
        from enrs.observatory import pilote, rules

        rules.register()
        pilote.register_builtin_sources()
