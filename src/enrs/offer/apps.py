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
        post_migrate.connect(_reload_shipped_nomenclatures, sender=self, dispatch_uid="offer_shipped_nomenclatures")


def _reload_shipped_nomenclatures(sender, using, **kwargs) -> None:
    """Put the shipped nomenclatures back after a flush (``flush`` emits post_migrate too)."""
    from enrs.offer.models import CodeSystem
    from enrs.offer.services import load_shipped_nomenclatures

    if not CodeSystem.objects.using(using).exists():
        load_shipped_nomenclatures()
