"""``enrs identity find-duplicates``: the real command on small CSV files."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

HEADER = "id,birth_name,first_names,birth_date,sex,birth_place,used_name,used_first_name,ins\n"


def _run(tmp_path: Path, body: str, header: str = HEADER) -> tuple[str, str, list[dict[str, str]]]:
    source, target = tmp_path / "people.csv", tmp_path / "pairs.csv"
    source.write_text(header + body, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("identity", "find-duplicates", "--input", str(source), "--output", str(target), stdout=out, stderr=err)
    with target.open(encoding="utf-8", newline="") as handle:
        return out.getvalue(), err.getvalue(), list(csv.DictReader(handle))


def test_flags_desk_variants_and_ignores_strangers(tmp_path):
    out, _err, pairs = _run(
        tmp_path,
        "b2,Lefèvre,Anne-Laure Marie,1984-03-11,F,76540,,,\n"
        "a1,LEFEVRE,ANNE-LAURE MARIE,1984-03-11,F,76540,,,\n"
        "c3,Moreau,Paul,1951-07-30,M,14118,,,\n"
        "d4,Moreau,Pierre,1988-02-14,M,14118,,,\n"
        "e5,Dupont,Marie,1970-05-06,F,27229,Martin,,\n"
        "f6,Martin,Marie,1970-05-06,F,27229,,,\n",
    )
    assert [(p["id_a"], p["id_b"], p["decision"]) for p in pairs] == [("a1", "b2", "link"), ("e5", "f6", "link")]
    assert all(0.0 <= float(p["score"]) <= 1.0 for p in pairs)
    assert "6 lignes lues" in out and "2 paires signalées" in out and "0 lignes rejetées" in out


def test_same_valid_ins_is_always_a_link(tmp_path):
    _out, _err, pairs = _run(
        tmp_path,
        "x1,Durand,Jean,1960-01-01,M,14118,,,160011411800191\n"
        "x2,Dupuis,Jacques,1960-01-01,M,,,,160011411800191\n",
    )
    assert [(p["id_a"], p["id_b"], p["decision"]) for p in pairs] == [("x1", "x2", "link")]


def test_bad_lines_are_reported_in_french_with_their_number_and_counted(tmp_path):
    out, err, pairs = _run(
        tmp_path,
        "ok1,Durand,Jean,1960-01-01,M,,,,\n"
        ",Durand,Jean,1960-01-01,M,,,,\n"
        "ok3,Durand,Jean,1960-02-31,M,,,,\n"
        "ok4,Durand,Jean,1960-01-01,X,,,,\n"
        "ok1,Durand,Jean,1960-01-01,M,,,,\n"
        "ok6,Durand,Jean,01/01/1960,M,,,,\n"
        "ok7,Durand\n"
        "ok8,Durand,Jean,1960-01-01,M,ZZ,,,123\n"
        "ok9,Durand,Jean,2999-01-01,M,,,,\n",
    )
    assert "ligne 3 rejetée : identifiant (id) manquant." in err
    assert "ligne 4 rejetée : date de naissance « 1960-02-31 » invalide" in err
    assert "ligne 5 rejetée : sexe « X » invalide" in err
    assert "ligne 6 rejetée : identifiant « ok1 » déjà vu plus haut." in err
    assert "ligne 7 rejetée : date de naissance « 01/01/1960 » invalide" in err
    assert "ligne 8 rejetée : 2 colonnes au lieu de 9." in err
    assert "ligne 9 : INS « 123 » invalide (format ou clé) : ignoré." in err
    assert "ligne 9 : lieu de naissance « ZZ » n'est pas un code INSEE : ignoré." in err
    assert "ligne 10 rejetée : date de naissance « 2999-01-01 » dans le futur." in err
    assert "9 lignes lues : 2 identités comparées, 7 lignes rejetées, 2 avertissements" in out
    # The two valid lines are the same person and are still compared.
    assert [(p["id_a"], p["id_b"]) for p in pairs] == [("ok1", "ok8")]


def test_wrong_header_stops_before_writing(tmp_path):
    with pytest.raises(CommandError, match="ligne 1 : en-tête inattendu « foo,bar »"):
        _run(tmp_path, "1,2\n", header="foo,bar\n")
    assert not (tmp_path / "pairs.csv").exists()


def test_missing_input_file_is_a_french_error(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("identity", "find-duplicates", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv"))


def test_undecodable_bytes_reject_only_their_line(tmp_path):
    source, target = tmp_path / "people.csv", tmp_path / "pairs.csv"
    source.write_bytes(HEADER.encode() + b"u1,Durand,Jean,1960-01-01,M,,,,\nu2,Dur\xe9nd,Jean,1960-01-01,M,,,,\n")
    err = StringIO()
    call_command("identity", "find-duplicates", "--input", str(source), "--output", str(target), stdout=StringIO(), stderr=err)
    assert "ligne 3 rejetée : caractères illisibles" in err.getvalue()
    assert target.read_text(encoding="utf-8") == "id_a,id_b,score,decision\n"
