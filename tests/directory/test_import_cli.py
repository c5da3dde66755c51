"""``enrs import-annuaire`` / ``enrs import-finess``: progress, summary, rejected lines, exit codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from enrs.cli import main
from enrs.directory.models import ImportRun, Organisation, Professional

from .conftest import ANNUAIRE_SAMPLE, FINESS_SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def keep_test_connection(monkeypatch):
    """``run_from_argv`` closes every connection when it ends, which would end the test's transaction."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def test_import_annuaire_prints_summary_and_rejected_lines():
    out, err = io.StringIO(), io.StringIO()
    call_command("import_annuaire", str(ANNUAIRE_SAMPLE), stdout=out, stderr=err)

    text = out.getvalue()
    assert "Terminé" in text
    assert "Lignes : 10 traitées sur 10 — 5 créées, 0 mises à jour, 0 inchangées, 5 rejetées, 0 ignorées." in text
    assert "  ligne 5 [Identifiant PP] : La clé de contrôle du numéro RPPS est incorrecte." in text
    assert "  ligne 6 : La ligne compte 54 colonnes" in text
    assert "Copie conservée" in text
    assert "10/10" in err.getvalue()  # the tqdm bar, on stderr
    assert Professional.objects.count() == 4


def test_hyphenated_command_exits_0_when_the_file_was_processed(capsys, keep_test_connection):
    main(["enrs", "import-finess", "--sans-progression", str(FINESS_SAMPLE)])  # returns: exit code 0
    assert "ligne 10 [coordxet] : coordxet n'est pas un nombre : « abc »." in capsys.readouterr().out
    assert Organisation.objects.filter(finess="140999012").exists()


def test_failed_file_exits_non_zero_with_a_french_message(capsys, write_file, keep_test_connection):
    bad = write_file("pas-finess.csv", "nom;prenom\nA;B\n")
    with pytest.raises(SystemExit) as caught:
        main(["enrs", "import-finess", "--sans-progression", str(bad)])
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "Échec de l'import de pas-finess.csv" in err and "n'est pas l'en-tête d'une extraction FINESS" in err
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED
    assert Organisation.objects.count() == 0


def test_missing_file_is_a_french_error():
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_annuaire", "/nulle/part/PS_LibreAcces.txt", stdout=io.StringIO())
    assert ImportRun.objects.count() == 0
