"""Load the reference tariffs (idempotent) and list the tariffs in force."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from enrs.membership import selectors, services


class Command(BaseCommand):
    help = "Charge les tarifs de référence (idempotent) et affiche les tarifs en vigueur."

    def handle(self, *args, **options):
        created = services.load_reference_tariffs()
        self.stdout.write(f"{created} tarif(s) de référence ajouté(s).")
        for tariff in selectors.tariffs_in_force(timezone.localdate()):
            self.stdout.write(f"{tariff.kind:14} {tariff.category:18} {tariff.unit:12} {tariff.amount:>10} €  {tariff.label}")
