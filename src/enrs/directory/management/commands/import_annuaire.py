"""``enrs import-annuaire FILE``: import an Annuaire Santé PS_LibreAcces_Personne_activite extraction."""

from enrs.directory.importers.command import ImportCommand
from enrs.directory.models import ImportRun


class Command(ImportCommand):
    help = "Importe l'extraction PS_LibreAcces_Personne_activite de l'Annuaire Santé (fichier .txt ou .zip)."
    kind = ImportRun.Kind.ANNUAIRE
