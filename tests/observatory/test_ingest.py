"""Reading whole files: encodings, broken files, unknown FINESS, replace-by-day, idempotent re-sending."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.observatory import services
from enrs.observatory.generator import CORRUPTIONS, file_xml, generate, synthetic_record
from enrs.observatory.models import QuarantinedRecord, RpuFile

from .conftest import FIRST_DAY, record, rpu_bytes

pytestmark = pytest.mark.django_db


def finess(hospitals, key="caen"):
    return hospitals[key].finess


def test_validate_reports_counts_errors_and_quality(hospitals, store):
    data = rpu_bytes(finess(hospitals), [record(), record(ENTREE="06/01/2025 11:00", SEXE="M", DP="O800")])
    result = services.validate_bytes(data)
    assert list(result) == ["finess", "records", "accepted", "quarantined", "errors", "completeness", "conformity"]
    assert (result["records"], result["accepted"], result["quarantined"]) == (2, 1, 1)
    assert result["errors"] == [
        {"record": 2, "field": "DP", "code": "diagnostic_sexe", "message": "Diagnostic O800 incompatible avec le sexe M."}
    ]
    assert result["completeness"]["DP"] == 1.0
    assert store.count() == 0  # validate stores nothing


def test_unknown_tags_are_tolerated_and_codes_normalised(hospitals, store):
    xml = rpu_bytes(finess(hospitals), [record(DP="r07.4")]).replace(b"<CP>", b"<CIRCONSTANCE>X</CIRCONSTANCE><CP>")
    rpu_file = services.ingest_bytes(xml, filename="a.xml", channel="cli")
    assert rpu_file.accepted == 1 and rpu_file.unknown_tags == ["CIRCONSTANCE"]
    assert store.query("SELECT dp FROM passages") == [("R074",)]


def test_declared_iso_8859_1_is_accepted(hospitals, store):
    text = file_xml(finess(hospitals), FIRST_DAY, FIRST_DAY, [record(COMMUNE="Évreux")])
    data = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("iso-8859-1")
    rpu_file = services.ingest_bytes(data, filename="latin.xml", channel="cli")
    assert rpu_file.status == "accepted"
    assert store.query("SELECT commune FROM passages") == [("Évreux",)]


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda t: t.replace('encoding="UTF-8"', "").encode("iso-8859-1"), "encodage"),  # Latin-1 bytes, nothing declared
        (lambda t: t.encode("iso-8859-1"), "encodage"),  # declared UTF-8, Latin-1 bytes
        (lambda t: t.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-8"), "encodage"),
        (lambda t: t.replace("</SEXE>", "</SEX>", 1).encode("utf-8"), "xml_malforme"),
        (lambda t: t.encode("utf-8")[: len(t) // 2], "fichier_tronque"),
        (lambda t: t.replace("OSCOUR", "RPU").encode("utf-8"), "enveloppe"),
        (lambda t: re.sub("<FINESS>[^<]*</FINESS>", "", t).encode("utf-8"), "finess_absent"),
        (lambda t: re.sub("<FINESS>[^<]*</FINESS>", "<FINESS>140009999</FINESS>", t).encode("utf-8"), "finess_inconnu"),
        (lambda t: t.replace("<DATEDEBUT>06/01/2025", "<DATEDEBUT>2025-01-06").encode("utf-8"), "periode_invalide"),
        (lambda t: b"", "fichier_vide"),
    ],
)
def test_unreadable_files_are_refused_whole_with_a_french_reason(hospitals, store, mangle, code):
    text = file_xml(finess(hospitals), FIRST_DAY, FIRST_DAY, [record(COMMUNE="Évreux"), record(ENTREE="06/01/2025 18:00")])
    rpu_file = services.ingest_bytes(mangle(text), filename="bad.xml", channel="cli")
    assert (rpu_file.status, rpu_file.error_code) == ("rejected", code)
    assert rpu_file.error_message and rpu_file.accepted == 0
    assert store.count() == 0 and not QuarantinedRecord.objects.exists()


def test_each_file_replaces_the_days_it_covers_for_its_finess(hospitals, store):
    caen, rouen = finess(hospitals), finess(hospitals, "rouen")
    day2 = FIRST_DAY + dt.timedelta(days=1)
    two_days = [record(), record(ENTREE="07/01/2025 09:00", SORTIE="07/01/2025 10:00")]
    services.ingest_bytes(rpu_bytes(caen, two_days, FIRST_DAY, day2), filename="a.xml", channel="cli")
    services.ingest_bytes(rpu_bytes(rouen, [record()]), filename="r.xml", channel="cli")
    # A new file for day 2 only: day 1 of Caen and Rouen stay, day 2 of Caen is replaced.
    replacement = [record(ENTREE=f"07/01/2025 1{n}:00", SORTIE=f"07/01/2025 1{n}:30") for n in range(3)]
    services.ingest_bytes(rpu_bytes(caen, replacement, day2, day2), filename="b.xml", channel="cli")
    rows = store.query("SELECT finess, jour, count(*) FROM passages GROUP BY ALL ORDER BY ALL")
    assert rows == [(caen, FIRST_DAY, 1), (caen, day2, 3), (rouen, FIRST_DAY, 1)]
    # An empty file for day 2 empties that day.
    services.ingest_bytes(rpu_bytes(caen, [], day2, day2), filename="c.xml", channel="cli")
    assert store.count(caen) == 1


def test_resending_the_same_file_is_idempotent(hospitals, store, tmp_path):
    [(path, records, corrupted)] = generate(finess(hospitals), FIRST_DAY, 2, tmp_path / "gen", per_day=40, seed=3,
                                            error_rate=0.2, days_per_file=2)
    first = services.ingest_path(path)
    state = (store.query("SELECT * FROM passages ORDER BY ALL"), QuarantinedRecord.objects.count())
    second = services.ingest_path(path)
    assert (store.query("SELECT * FROM passages ORDER BY ALL"), QuarantinedRecord.objects.count()) == state
    assert first.records == second.records == records
    assert first.quarantined == second.quarantined == corrupted == QuarantinedRecord.objects.count()
    assert RpuFile.objects.count() == 2  # both receptions are logged


def test_a_new_file_replaces_the_quarantine_of_the_same_days(hospitals, store):
    caen = finess(hospitals)
    services.ingest_bytes(rpu_bytes(caen, [record(GRAVITE="7")]), filename="a.xml", channel="cli")
    assert QuarantinedRecord.objects.count() == 1
    services.ingest_bytes(rpu_bytes(caen, [record()]), filename="b.xml", channel="cli")
    assert QuarantinedRecord.objects.count() == 0 and store.count(caen) == 1


def test_a_refused_file_leaves_the_stored_days_untouched(hospitals, store):
    caen = finess(hospitals)
    services.ingest_bytes(rpu_bytes(caen, [record()]), filename="a.xml", channel="cli")
    truncated = rpu_bytes(caen, [record(), record(ENTREE="06/01/2025 12:00")])[:-40]
    assert services.ingest_bytes(truncated, filename="b.xml", channel="cli").status == "rejected"
    assert store.count(caen) == 1


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), error_rate=st.floats(0, 1), extra=st.lists(st.sampled_from(range(len(CORRUPTIONS))), max_size=5))
def test_records_in_equal_accepted_plus_quarantined(hospitals, seed, error_rate, extra):
    rng = random.Random(seed)
    from enrs.observatory.generator import records_for_day

    pairs = list(records_for_day(FIRST_DAY, 15, rng, error_rate))
    records = [r for r, _bad in pairs]
    for index in extra:  # further corruptions on top, possibly on an already corrupted record
        target = synthetic_record(FIRST_DAY, rng)
        CORRUPTIONS[index](target, rng)
        records.append(target)
    result = services.validate_bytes(rpu_bytes(finess(hospitals), records))
    assert result["records"] == len(records) == result["accepted"] + result["quarantined"]
    assert result["quarantined"] == sum(bad for _r, bad in pairs) + len(extra)


def test_cli_validate_json_shape(hospitals, tmp_path):
    path = tmp_path / "f.xml"
    path.write_bytes(rpu_bytes(finess(hospitals), [record(), record(ENTREE="06/01/2025 13:00", GRAVITE="9")]))
    out = StringIO()
    call_command("oru", "validate", str(path), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {"finess", "records", "accepted", "quarantined", "errors", "completeness", "conformity"}
    assert result["errors"][0] == {"record": 2, "field": "GRAVITE", "code": "format",
                                   "message": "GRAVITE « 9 » : CCMU 1, P, 2, 3, 4, 5 ou D attendue."}
    with pytest.raises(CommandError, match="introuvable"):
        call_command("oru", "validate", str(tmp_path / "absent.xml"), "--json")


def test_cli_generate_then_ingest(hospitals, store, tmp_path):
    out = StringIO()
    call_command("oru", "generate", "--finess", finess(hospitals), "--days", "3", "--out", str(tmp_path / "g"),
                 "--start", "2025-01-06", "--seed", "5", "--per-day", "20", "--error-rate", "0.1", stdout=out)
    files = sorted((tmp_path / "g").iterdir())
    assert len(files) == 3
    call_command("oru", "ingest", *map(str, files), stdout=StringIO())
    total = sum(f.records for f in RpuFile.objects.all())
    assert total == store.count() + QuarantinedRecord.objects.count() > 0


def test_generator_is_deterministic_with_a_seed(tmp_path):
    a = generate("140006011", FIRST_DAY, 2, tmp_path / "a", per_day=30, seed=9)
    b = generate("140006011", FIRST_DAY, 2, tmp_path / "b", per_day=30, seed=9)
    assert [p.read_bytes() for p, _n, _c in a] == [p.read_bytes() for p, _n, _c in b]


def test_drop_folder_moves_files_once(hospitals, store, tmp_path):
    drop = tmp_path / "depot"
    drop.mkdir()
    (drop / "ok.xml").write_bytes(rpu_bytes(finess(hospitals), [record()]))
    (drop / "ko.xml").write_bytes(b"<OSCOUR><ETABLISSEMENT>")
    call_command("oru", "watch", str(drop), stdout=StringIO())
    assert sorted(p.name for p in (drop / "done").iterdir()) == ["ok.xml"]
    assert sorted(p.name for p in (drop / "rejected").iterdir()) == ["ko.xml"]
    call_command("oru", "watch", str(drop), stdout=StringIO())  # nothing new: nothing happens
    assert RpuFile.objects.count() == 2 and store.count() == 1
