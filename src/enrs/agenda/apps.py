from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "enrs.agenda"
    label = "agenda"
    verbose_name = _("Agendas partagés et prise de rendez-vous")

    def ready(self) -> None:
        from enrs.agenda import lifeline, rules

        rules.register()
        lifeline.register()
