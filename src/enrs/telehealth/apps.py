from django.apps import AppConfig


class TelehealthConfig(AppConfig):
    """Telehealth (issue 8): telemonitoring programmes, tele-expertise, urgent tele-advice,
    télésoin, e-RCP/e-Staff and the acts recorded for statistics.

    Registers the object rules of its patient-bound models with ``enrs.core.permissions``
    and a life-line provider with ``enrs.core.lifeline``.
    """

    name = "enrs.telehealth"
    label = "telehealth"
    verbose_name = "Télésanté"

    def ready(self) -> None:
        from enrs.core import lifeline
        from enrs.telehealth import rules, selectors

        rules.register()
        lifeline.register_provider(selectors.lifeline_entries)
