from django.apps import AppConfig


class InterfacesConfig(AppConfig):
    """Inbound message interfaces (HL7 v2 over MLLP): who may send, and the journal of
    every message received with the acknowledgement it got.

    Shared by the HL7 feeds of every service (identity ADT today); the MLLP
    listener itself is ``enrs.core.mllp``, the message semantics stay in each
    service (``enrs.identity.hl7``).
    """

    name = "enrs.interfaces"
    label = "interfaces"
    verbose_name = "Interfaces HL7"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from enrs.interfaces.models import Hl7Sender
        from enrs.interfaces.selectors import forget_senders

        post_save.connect(forget_senders, sender=Hl7Sender, dispatch_uid="interfaces.forget_senders.save")
        post_delete.connect(forget_senders, sender=Hl7Sender, dispatch_uid="interfaces.forget_senders.delete")
