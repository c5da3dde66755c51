"""``enrs identity find-duplicates --input people.csv --output pairs.csv``: batch duplicate detection on a file.

The file format, the policy for bad lines and the output are described in
``enrs.identity.matching.csvfile``; the detection itself is
``enrs.identity.matching.find_duplicates``. The same detection runs over the
database for the worklist (identity services).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from enrs.identity.matching import BatchStats, find_duplicates
from enrs.identity.matching.csvfile import (
    HeaderError,
    ReadReport,
    open_input,
    read_people,
    write_pairs,
)

STAGES = {"prepare": _("Préparation"), "score": _("Comparaison")}


class _ProgressStream:
    """Lets tqdm draw on the command's stderr without the newline Django appends."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = _("Vigilance des identités : détection des doublons par lot.")

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title=_("actions"))
        find = actions.add_parser(
            "find-duplicates",
            help=_("Détecte les doublons potentiels d'un fichier CSV d'identités."),
            description=_(
                "Lit un CSV (id,birth_name,first_names,birth_date,sex,birth_place,used_name,used_first_name,ins) "
                "et écrit les paires signalées (id_a,id_b,score,decision)."
            ),
        )
        find.add_argument("--input", required=True, help=_("Fichier CSV des identités (UTF-8)."))
        find.add_argument("--output", required=True, help=_("Fichier CSV des paires à écrire."))
        find.add_argument("--workers", type=int, default=None, help=_("Nombre de processus de comparaison."))
        find.add_argument(
            "--sans-progression", action="store_true", dest="quiet", help=_("Ne pas afficher la barre de progression.")
        )

        rebuild = actions.add_parser(
            "rebuild-keys",
            help=_("Recalcule les clés de rapprochement de toutes les identités (après une évolution des clés)."),
            description=_("Par lots, dans l'ordre des identifiants ; une reprise se fait avec --depuis DERNIER_ID."),
        )
        rebuild.add_argument("--depuis", type=int, default=0, dest="from_id", help=_("Reprendre après cet identifiant."))
        rebuild.add_argument("--lot", type=int, default=2000, dest="batch_size", help=_("Identités par lot (transaction)."))
        rebuild.add_argument(
            "--sans-progression", action="store_true", dest="quiet", help=_("Ne pas afficher la barre de progression.")
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "find-duplicates":
            self.find_duplicates(Path(options["input"]), Path(options["output"]), options["workers"], options["quiet"])
        elif action == "rebuild-keys":
            self.rebuild_keys(options["from_id"], options["batch_size"], options["quiet"])

    def rebuild_keys(self, from_id: int, batch_size: int, quiet: bool) -> None:
        from enrs.identity import services

        if from_id < 0 or not 1 <= batch_size <= 100_000:
            raise CommandError(_("--depuis doit être positif ou nul et --lot compris entre 1 et 100 000."))
        bar = tqdm(desc=_("Clés de rapprochement"), unit=_(" identités"), file=_ProgressStream(self.stderr), disable=quiet,
                   dynamic_ncols=True)

        def progress(done: int, total: int, last_id: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
            bar.set_postfix_str(_("dernier id %(id)d") % {"id": last_id})

        try:
            result = services.rebuild_match_keys(from_id=from_id, batch_size=batch_size, progress=progress)
        finally:
            bar.close()
        self.stdout.write(_("%(identities)d identités traitées, %(keys)d clés écrites ; dernier identifiant : %(last_id)d.") % result)

    def find_duplicates(self, source: Path, target: Path, workers: int | None, quiet: bool) -> None:
        if not source.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": source})
        if not target.parent.is_dir():
            raise CommandError(_("Dossier de sortie introuvable : %(path)s") % {"path": target.parent})
        report = ReadReport()
        stats = BatchStats()
        bars: dict[str, tqdm] = {}
        stream = _ProgressStream(self.stderr)

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = tqdm(
                    total=total or None, desc=STAGES.get(stage, stage), unit=_(" paires") if stage == "score" else _(" lignes"),
                    file=stream, disable=quiet, dynamic_ncols=True,
                )
            bars[stage].update(done - bars[stage].n)

        try:
            with open_input(source) as handle:
                pairs = find_duplicates(read_people(handle, report), progress=progress, workers=workers, stats=stats)
                written = write_pairs(target, pairs)
        except HeaderError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("Lecture ou écriture impossible : %(error)s") % {"error": exc}) from exc
        finally:
            for bar in bars.values():
                bar.close()
        self._report(report, stats, written, target)

    def _report(self, report: ReadReport, stats: BatchStats, written: int, target: Path) -> None:
        for line, message in report.rejected:
            self.stderr.write(_("ligne %(line)d rejetée : %(message)s") % {"line": line, "message": message})
        for line, message in report.warnings:
            self.stderr.write(_("ligne %(line)d : %(message)s") % {"line": line, "message": message})
        self.stdout.write(
            _(
                "%(lines)d lignes lues : %(accepted)d identités comparées, %(rejected)d lignes rejetées, "
                "%(warnings)d avertissements. %(pairs)d paires signalées écrites dans %(target)s "
                "(%(candidates)d paires candidates examinées)."
            )
            % {
                "lines": report.lines,
                "accepted": report.accepted,
                "rejected": len(report.rejected),
                "warnings": len(report.warnings),
                "pairs": written,
                "target": target,
                "candidates": stats.candidate_pairs,
            }
        )
