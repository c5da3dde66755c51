"""``enrs oru validate|ingest|generate|watch``: the emergency observatory (ORU) from the shell."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from enrs.core.validators import validate_finess
from enrs.observatory import services
from enrs.observatory.generator import generate
from enrs.observatory.models import RpuFile
from enrs.observatory.store import StoreBusy


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Date « %(value)s » invalide : format AAAA-MM-JJ attendu.") % {"value": value}) from exc


class Command(BaseCommand):
    help = _("Observatoire régional des urgences : valider, intégrer, générer des fichiers RPU, surveiller un dépôt.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help=_("Contrôle un fichier RPU sans rien enregistrer."))
        validate.add_argument("file")
        validate.add_argument("--json", action="store_true", help=_("Rapport en JSON."))
        ingest = sub.add_parser("ingest", help=_("Intègre des fichiers RPU (remplace les jours couverts)."))
        ingest.add_argument("files", nargs="+")
        generate_ = sub.add_parser("generate", help=_("Écrit des fichiers RPU synthétiques."))
        generate_.add_argument("--finess", required=True)
        generate_.add_argument("--days", type=int, required=True)
        generate_.add_argument("--out", required=True)
        generate_.add_argument("--start", default=None, help=_("Premier jour (AAAA-MM-JJ) ; par défaut il y a N jours."))
        generate_.add_argument("--per-day", type=int, default=110)
        generate_.add_argument("--seed", type=int, default=0)
        generate_.add_argument("--error-rate", type=float, default=0.0)
        generate_.add_argument("--days-per-file", type=int, default=1)
        watch = sub.add_parser("watch", help=_("Traite une fois les nouveaux fichiers d'un dossier de dépôt."))
        watch.add_argument("directory")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except StoreBusy as exc:
            raise CommandError(_("La base analytique est occupée par un autre traitement ; réessayez.")) from exc

    def _validate(self, options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        result = services.validate_path(path)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self._summary(result)

    def _summary(self, result: dict) -> None:
        self.stdout.write(
            _("FINESS %(finess)s : %(records)s passages, %(accepted)s acceptés, %(quarantined)s en quarantaine.")
            % {k: result[k] if result[k] is not None else "?" for k in ("finess", "records", "accepted", "quarantined")}
        )
        for error in result["errors"][:50]:
            where = _("passage %(n)s") % {"n": error["record"]} if error["record"] else _("fichier")
            self.stdout.write(f"  {where} — {error['field'] or ''} [{error['code']}] {error['message']}")

    def _ingest(self, options) -> None:
        for name in tqdm(options["files"], desc=_("Fichiers RPU"), unit=_("fichier"), disable=len(options["files"]) < 2):
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
            rpu_file = services.ingest_path(path, channel=RpuFile.Channel.CLI)
            self._print_file(rpu_file)

    def _print_file(self, rpu_file: RpuFile) -> None:
        if rpu_file.status == RpuFile.Status.REJECTED:
            self.stdout.write(_("%(name)s : refusé — %(reason)s") % {"name": rpu_file.filename, "reason": rpu_file.error_message})
        else:
            self.stdout.write(
                _("%(name)s : %(records)s passages, %(accepted)s intégrés, %(quarantined)s en quarantaine (jours %(first)s – %(last)s).")
                % {"name": rpu_file.filename, "records": rpu_file.records, "accepted": rpu_file.accepted,
                   "quarantined": rpu_file.quarantined, "first": rpu_file.first_day, "last": rpu_file.last_day}
            )

    def _generate(self, options) -> None:
        try:
            finess = validate_finess(options["finess"])
        except Exception as exc:
            raise CommandError(_("FINESS invalide : %(value)s") % {"value": options["finess"]}) from exc
        if options["days"] < 1 or not 0 <= options["error_rate"] <= 1 or options["per_day"] < 0:
            raise CommandError(_("--days doit être ≥ 1, --per-day ≥ 0 et --error-rate entre 0 et 1."))
        start = _date(options["start"]) if options["start"] else dt.date.today() - dt.timedelta(days=options["days"])
        written = generate(
            finess, start, options["days"], options["out"], per_day=options["per_day"], seed=options["seed"],
            error_rate=options["error_rate"], days_per_file=max(1, options["days_per_file"]),
        )
        records = sum(n for _p, n, _c in written)
        corrupted = sum(c for _p, _n, c in written)
        self.stdout.write(_("%(files)s fichiers, %(records)s passages (%(corrupted)s volontairement invalides) dans %(out)s.") % {
            "files": len(written), "records": records, "corrupted": corrupted, "out": options["out"]})

    def _watch(self, options) -> None:
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(_("Dossier introuvable : %(path)s") % {"path": directory})
        for rpu_file in services.process_drop_folder(directory):
            self._print_file(rpu_file)
