from django.apps import AppConfig


class MessagingConfig(AppConfig):
    """Secure chat (WebSockets), e-Demande requests and MSSanté sending (issue 7)."""

    name = "enrs.messaging"
    label = "messaging"
    verbose_name = "Messagerie sécurisée et e-Demande"

    def ready(self) -> None:
        from enrs.messaging import rules

        rules.register()
