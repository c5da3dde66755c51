"""``enrs import-finess FILE``: import the FINESS open-data extraction (establishments and geolocation)."""

from enrs.directory.importers.command import ImportCommand
from enrs.directory.models import ImportRun


class Command(ImportCommand):
    help = "Importe l'extraction FINESS etalab-cs1100507-stock (établissements et géolocalisation, .csv ou .zip)."
    kind = ImportRun.Kind.FINESS
