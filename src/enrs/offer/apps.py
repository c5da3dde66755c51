from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfferConfig(AppConfig):
    name = "enrs.offer"
    label = "offer"
    verbose_name = _("Offre de soins (ROR) et TODS")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from enrs.offer.services import clear_code_cache

        # A flush (test isolation) or a migration may replace the codes: forget the cached ones.
        post_migrate.connect(lambda **kwargs: clear_code_cache(), weak=False, dispatch_uid="offer_clear_code_cache")
