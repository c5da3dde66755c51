"""Annuaire Santé importer on the sample extraction (see conftest.py).

Sample lines: 2 GP liberal (cabinet by SIRET), 3 same GP salaried at FINESS
site 140999087, 4 ADELI nurse (cabinet without SIRET), 5 bad RPPS key, 6 wrong
column count, 7 unknown profession code, 8 bad FINESS site, 9 pharmacist at a
Corsican FINESS site, 10 unknown identifier type, 11 professional without any
structure.
"""

from __future__ import annotations

import pytest

from enrs.directory.models import ImportRun, Organisation, PracticeSituation, Professional

from .conftest import ANNUAIRE_SAMPLE

pytestmark = pytest.mark.django_db

EXPECTED_REJECTIONS = [
    (5, "Identifiant PP", "La clé de contrôle du numéro RPPS est incorrecte."),
    (6, "", "La ligne compte 54 colonnes au lieu des 57 annoncées par l'en-tête."),
    (7, "Code profession", "Code profession inconnu dans TRE_G15 : « 99 »."),
    (8, "Numéro FINESS site", "La clé de contrôle du numéro FINESS est incorrecte."),
    (10, "Type d'identifiant PP", "Type d'identifiant PP inconnu : « 3 » (attendu : 8 pour un RPPS, 0 pour un ADELI)."),
]


def _rejections(run):
    return [(r.line_number, r.field, r.reason) for r in run.rejections.order_by("line_number")]


def _state():
    return (
        sorted(Professional.objects.values_list("idnat_ps", "last_name", "title", "profession_code")),
        list(Organisation.objects.order_by("name").values_list("finess", "siret", "name", "commune_insee", "departement")),
        sorted(PracticeSituation.objects.values_list("professional__idnat_ps", "organisation__name", "mode",
                                                     "specialty_code", "role_code", "email", "phone")),
    )


def test_valid_lines_are_stored_and_bad_lines_reported(import_file, annuaire_lines):
    run = import_file("annuaire", ANNUAIRE_SAMPLE)

    assert run.status == ImportRun.Status.DONE and run.error == ""
    assert (run.total_lines, run.processed_lines) == (10, 10)
    assert (run.created_count, run.updated_count, run.unchanged_count, run.rejected_count) == (5, 0, 0, 5)
    assert _rejections(run) == EXPECTED_REJECTIONS
    # The rejected line is kept verbatim.
    assert run.rejections.get(line_number=7).raw_line == annuaire_lines[6]

    professionals, organisations, situations = _state()
    assert professionals == [
        ("0149990001", "BERTIN-ESSAI", "M", "60"),
        ("810999000010", "LEGRAND-ESSAI", "DR", "10"),
        ("810999000044", "CASANOVA-ESSAI", "MME", "21"),
        ("810999000069", "SANSSITE-ESSAI", "M", "70"),
    ]
    assert organisations == [
        (None, "99990000400014", "CABINET DU DR LEGRAND-ESSAI", "14118", "14"),
        (None, "", "CABINET INFIRMIER BERTIN-ESSAI", "14366", "14"),
        ("140999087", "", "EHPAD LES TILLEULS D'ESSAI", "14118", "14"),
        ("2A0999043", "", "PHARMACIE DU COURS D'ESSAI", "2A004", "2A"),
    ]
    assert situations == [
        ("0149990001", "CABINET INFIRMIER BERTIN-ESSAI", "L", "", "", "", ""),
        ("810999000010", "CABINET DU DR LEGRAND-ESSAI", "L", "SM54", "", "cabinet.legrand@example.org", "0231000001"),
        ("810999000010", "EHPAD LES TILLEULS D'ESSAI", "S", "SM54", "FON-05", "", ""),
        ("810999000044", "PHARMACIE DU COURS D'ESSAI", "L", "", "", "", ""),
    ]
    gp = Professional.objects.get(rpps="10999000010")
    assert gp.adeli is None and gp.first_name == "Ondine" and gp.profession_label == "Médecin"
    assert Professional.objects.get(adeli="149990001").rpps is None
    ehpad = Organisation.objects.get(finess="140999087")
    assert (ehpad.finess_kind, ehpad.source, ehpad.address_line) == ("ET", "annuaire", "3 Avenue DU BOCAGE")


def test_a_rejected_line_leaves_nothing_behind(import_file):
    # Line 8: the professional is valid but the FINESS site is not; the professional
    # written before the structure was checked must be rolled back with the line.
    import_file("annuaire", ANNUAIRE_SAMPLE)
    assert not Professional.objects.filter(rpps="10999000036").exists()
    assert not Organisation.objects.filter(name__in=["CLINIQUE FAUSSE", "CABINET FAUXCLE-ESSAI"]).exists()


def test_reimporting_the_same_file_changes_nothing(import_file):
    import_file("annuaire", ANNUAIRE_SAMPLE)
    before = _state()

    again = import_file("annuaire", ANNUAIRE_SAMPLE)

    assert (again.created_count, again.updated_count, again.unchanged_count, again.rejected_count) == (0, 0, 5, 5)
    assert _state() == before
    assert Professional.objects.count() == 4 and PracticeSituation.objects.count() == 4


def test_columns_are_found_by_name(import_file, annuaire_lines, write_file):
    # Reordered columns, an unknown extra column and the older "Code fonction" spelling.
    rows = [line.split("|") for line in annuaire_lines]
    header = rows[0]
    header[header.index("Code rôle")] = "Code fonction"
    header[header.index("Libellé rôle")] = "Libellé fonction"
    reordered = ["|".join(["Colonne inattendue", *reversed(rows[0])])]
    reordered += ["|".join(["x", *reversed(row)]) for row in rows[1:]]
    path = write_file("PS_LibreAcces_Personne_activite_reordonne.txt", "\n".join(reordered) + "\n")

    run = import_file("annuaire", path)

    assert run.status == ImportRun.Status.DONE
    assert (run.created_count, run.rejected_count) == (5, 5)
    assert PracticeSituation.objects.get(organisation__finess="140999087").role_code == "FON-05"


def test_a_missing_required_column_fails_the_file_and_stores_nothing(import_file, annuaire_lines, write_file):
    rows = [line.split("|") for line in annuaire_lines]
    index = rows[0].index("Code profession")
    path = write_file("sans-profession.txt", "\n".join("|".join(r[:index] + r[index + 1:]) for r in rows) + "\n")

    run = import_file("annuaire", path)

    assert run.status == ImportRun.Status.FAILED
    assert "Colonnes obligatoires absentes" in run.error and "« Code profession »" in run.error
    assert "Aucune donnée du fichier n'a été enregistrée" in run.error
    assert Professional.objects.count() == 0 and Organisation.objects.count() == 0


def test_a_broken_encoding_fails_the_file_and_stores_nothing(import_file, annuaire_lines, write_file):
    # Line 4 (the nurse "Loïc") saved in latin-1 inside a UTF-8 file.
    content = b"".join(
        (line.encode("latin-1") if number == 4 else line.encode("utf-8")) + b"\n"
        for number, line in enumerate(annuaire_lines, start=1)
    )
    run = import_file("annuaire", write_file("PS_LibreAcces_Personne_activite_latin1.txt", content))

    assert run.status == ImportRun.Status.FAILED
    assert "UTF-8" in run.error and "ligne 4" in run.error
    assert (run.processed_lines, run.created_count) == (0, 0)
    assert Professional.objects.count() == 0 and Organisation.objects.count() == 0


def test_a_truncated_file_fails_and_stores_nothing(import_file, write_file):
    content = ANNUAIRE_SAMPLE.read_bytes()
    cut = content.rstrip(b"\n").rsplit(b"|", 20)[0]  # the last line loses its last columns and its newline
    run = import_file("annuaire", write_file("PS_LibreAcces_Personne_activite_coupe.txt", cut))

    assert run.status == ImportRun.Status.FAILED
    assert "tronqué" in run.error and "ligne (11)" in run.error
    assert Professional.objects.count() == 0 and PracticeSituation.objects.count() == 0


def test_an_unexpected_error_rolls_back_the_whole_file(import_file, monkeypatch):
    from enrs.directory import services

    real = services.upsert_situation

    def failing(professional, organisation, data):
        if organisation.finess == "2A0999043":  # line 9
            raise RuntimeError("disque plein")
        return real(professional, organisation, data)

    monkeypatch.setattr(services, "upsert_situation", failing)
    run = import_file("annuaire", ANNUAIRE_SAMPLE)

    assert run.status == ImportRun.Status.FAILED
    assert "Erreur inattendue" in run.error and "disque plein" in run.error
    # Lines 2-8 were processed before the failure; their rejections are kept, their data is not.
    assert (run.processed_lines, run.rejected_count, run.created_count) == (7, 4, 0)
    assert [r[0] for r in _rejections(run)] == [5, 6, 7, 8]
    assert Professional.objects.count() == 0 and Organisation.objects.count() == 0


def test_a_structure_known_from_finess_is_linked_not_overwritten(import_file):
    from .conftest import FINESS_SAMPLE

    import_file("finess", FINESS_SAMPLE)
    ehpad_before = Organisation.objects.get(finess="140999087")

    import_file("annuaire", ANNUAIRE_SAMPLE)

    ehpad = Organisation.objects.get(finess="140999087")
    assert (ehpad.source, ehpad.address_line, ehpad.updated_at) == ("finess", "3 AV DU BOCAGE", ehpad_before.updated_at)
    assert ehpad.situations.get().professional.rpps == "10999000010"
