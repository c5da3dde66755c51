"""Base of the ``enrs import-annuaire`` and ``enrs import-finess`` commands."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from enrs.directory import services
from enrs.directory.importers.progress import snapshot
from enrs.directory.importers.storage import file_chunks
from enrs.directory.models import ImportRun


class _ProgressStream:
    """Lets tqdm draw on the command's stderr without the newline Django appends."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda s: s, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("Fichier à importer (texte ou archive zip)."))
        parser.add_argument(
            "--sans-progression", action="store_true", dest="quiet", help=_("Ne pas afficher la barre de progression.")
        )

    def handle(self, *args, file: str, quiet: bool = False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Fichier introuvable : %(path)s") % {"path": path})
        run = services.start_import(kind=self.kind, file_name=path.name, chunks=file_chunks(path))
        self.stdout.write(_("Copie conservée : %(path)s (SHA-256 %(sha)s)") % {"path": run.stored_path, "sha": run.file_sha256})
        bar: tqdm | None = None

        def progress(counters: dict[str, int]) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=counters["total"], unit=_(" lignes"), file=_ProgressStream(self.stderr),
                           disable=quiet, dynamic_ncols=True)
            bar.update(counters["processed"] - bar.n)

        try:
            run = services.run_import(run.pk, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        self._summary(run)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(_("Échec de l'import de %(file)s : %(error)s") % {"file": path.name, "error": run.error})

    def _summary(self, run: ImportRun) -> None:
        counts = snapshot(run)
        self.stdout.write(
            _("%(kind)s — %(file)s : %(status)s (import n° %(id)s)")
            % {"kind": run.get_kind_display(), "file": run.file_name, "status": run.get_status_display(), "id": run.pk}
        )
        self.stdout.write(
            _(
                "Lignes : %(processed)d traitées sur %(total)d — %(created)d créées, %(updated)d mises à jour, "
                "%(unchanged)d inchangées, %(rejected)d rejetées, %(ignored)d ignorées."
            )
            % counts
        )
        rejections = run.rejections.order_by("line_number")
        if run.rejected_count:
            self.stdout.write(_("Lignes rejetées :"))
        for rejection in rejections.iterator():
            field = f" [{rejection.field}]" if rejection.field else ""
            self.stdout.write(
                _("  ligne %(line)d%(field)s : %(reason)s")
                % {"line": rejection.line_number, "field": field, "reason": rejection.reason}
            )
