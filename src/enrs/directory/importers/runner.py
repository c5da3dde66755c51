"""Running one ``ImportRun`` from start to finish."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from enrs.directory.importers.base import Counters, FileRejected, Importer, RejectionSpool, finish, inspect_source
from enrs.directory.importers.progress import clear_progress, write_progress
from enrs.directory.models import ImportRun

logger = logging.getLogger(__name__)


def _nothing_stored() -> str:
    return _("Aucune donnée du fichier n'a été enregistrée.")


def importer_class(kind: str) -> type[Importer]:
    from enrs.directory.importers.annuaire import AnnuaireImporter
    from enrs.directory.importers.finess import FinessImporter

    return {cls.kind: cls for cls in (AnnuaireImporter, FinessImporter)}[kind]


def _start(run: ImportRun) -> None:
    run.rejections.all().delete()
    run.status = ImportRun.Status.RUNNING
    run.error = ""
    run.finished_at = None
    run.total_lines = run.processed_lines = 0
    run.created_count = run.updated_count = run.unchanged_count = run.rejected_count = 0
    run.save()


def execute(run: ImportRun, progress=None) -> ImportRun:
    """Import the stored file of ``run``; record the outcome on the run (never raises for bad input).

    ``progress`` is called with the counters (and the total) after each batch.
    """

    def report(counters: Counters) -> None:
        data = counters.as_dict()
        write_progress(run, data)
        if progress is not None:
            progress({"total": run.total_lines, **data})

    _start(run)
    importer = importer_class(run.kind)(run, report)
    rejections = RejectionSpool()
    error = ""
    try:
        path = Path(run.stored_path)
        info = inspect_source(path, importer.zip_member, importer.encodings)
        run.total_lines = info.data_lines
        run.save(update_fields=["total_lines"])
        report(importer.counters)
        with transaction.atomic():
            importer.process(path, info, rejections)
    except FileRejected as exc:
        error = f"{exc} {_nothing_stored()}"
    except Exception as exc:
        logger.exception("import run %s failed", run.pk)
        error = _("Erreur inattendue pendant l'import (%(error)s).") % {"error": f"{type(exc).__name__}: {exc}"}
        error = f"{error} {_nothing_stored()}"
    except BaseException:
        # Interrupted (Ctrl-C, worker stop): the transaction is rolled back; say so, then stop.
        _close(run, importer.counters, rejections, _("Import interrompu avant la fin.") + " " + _nothing_stored())
        raise
    _close(run, importer.counters, rejections, error)
    return run


def _close(run: ImportRun, counters: Counters, rejections: RejectionSpool, error: str) -> None:
    rejections.save(run)
    finish(run, counters, error=error)
    clear_progress(run)
