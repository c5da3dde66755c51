"""Fixtures of the directory import tests: sample extractions and their broken variants.

The sample files in ``data/`` are synthetic (invented names, identifiers built
with ``luhn_complete`` / ``finess_complete``) and follow the real layouts of
the Annuaire Santé ``PS_LibreAcces_Personne_activite`` extraction and of the
FINESS ``etalab-cs1100507-stock`` extraction (the latter in latin-1, as older
extractions are). Each contains deliberately malformed lines; the comments in
the tests say which.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enrs.directory import services
from enrs.directory.importers.storage import file_chunks

DATA = Path(__file__).parent / "data"
ANNUAIRE_SAMPLE = DATA / "PS_LibreAcces_Personne_activite_202601010000.txt"
FINESS_SAMPLE = DATA / "etalab-cs1100507-stock-20260101-0000.csv"


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    """Received files are kept under a temporary ENRS_IMPORT_DIR, never in the repository's var/."""
    settings.ENRS_IMPORT_DIR = tmp_path / "imports"
    return settings.ENRS_IMPORT_DIR


@pytest.fixture
def annuaire_lines() -> list[str]:
    return ANNUAIRE_SAMPLE.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def write_file(tmp_path):
    """Write ``content`` (str in UTF-8, or bytes) to a file named ``name``; return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture
def import_file():
    """Store ``path`` and run it as an import of ``kind``; return the finished ImportRun."""

    def run(kind: str, path: Path, **kwargs):
        started = services.start_import(kind=kind, file_name=path.name, chunks=file_chunks(path))
        return services.run_import(started.pk, **kwargs)

    return run


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="agent", email="agent@agence.example", password="motdepasse-solide-42", is_staff=True, kind="agency"
    )


@pytest.fixture
def pro_user(django_user_model):
    return django_user_model.objects.create_user(
        username="pro", email="pro@cabinet.example", password="motdepasse-solide-42"
    )
