from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "enrs.coordination"
    label = "coordination"
    verbose_name = _("Coordination des parcours")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from enrs.coordination import adt, lifeline, rules

        rules.register()
        adt.register()
        lifeline.register()
