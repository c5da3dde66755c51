"""``enrs offer load-nomenclature FILE | load-communes FILE | import FILE | export FILE``."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from enrs.offer import interchange, services


class Command(BaseCommand):
    help = _("Offre de soins (ROR) : nomenclatures, communes, import et export de Bundles FHIR.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("load-nomenclature", _("Charge une nomenclature ANS (CodeSystem FHIR JSON).")),
            ("load-communes", _("Charge des communes (CSV : insee, name, postal_code, latitude, longitude).")),
            ("import", _("Importe un Bundle FHIR (Organization, Location, HealthcareService).")),
            ("export", _("Exporte l'offre de soins en Bundle FHIR.")),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("file", help=_("Chemin du fichier."))

    def _progress(self, verbosity: int):
        def wrap(items, total, label):
            return tqdm(items, total=total, desc=label, file=self.stderr._out, disable=verbosity < 1, leave=False)

        return wrap

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        action = options["action"]
        try:
            if action == "export":
                count = interchange.write_export(path, self._progress(options["verbosity"]))
                self.stdout.write(_("%(count)d ressources exportées dans %(file)s.") % {"count": count, "file": path})
                return
            if not path.is_file():
                raise CommandError(_("Fichier introuvable : %(file)s.") % {"file": path})
            if action == "load-nomenclature":
                result = services.load_nomenclature_file(path)
                self.stdout.write(
                    _("%(key)s version %(version)s : %(created)d codes créés, %(updated)d mis à jour, %(deactivated)d désactivés.")
                    % result.__dict__
                )
            elif action == "load-communes":
                with path.open(encoding="utf-8", newline="") as handle:
                    count = services.load_communes(csv.DictReader(handle))
                self.stdout.write(_("%(count)d communes chargées.") % {"count": count})
            else:
                report = interchange.import_bundle(interchange.read_bundle(path), self._progress(options["verbosity"]))
                self.stdout.write(
                    _("Créées : %(created)d, mises à jour : %(updated)d, inchangées : %(unchanged)d, rejetées : %(rejected)d.")
                    % interchange.summary(report)
                )
                for line in interchange.as_rows(report):
                    self.stderr.write(line)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
