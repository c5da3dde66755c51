"""Batched imports: ``services.bulk_upserts`` stores what the one-row upserts store, in a few queries.

The importers stage each batch of lines in memory and store it with multi-row
statements; when the database refuses a batch, it is replayed line by line with
the one-row upserts. Both ways must give the same rows, counters and rejections.
"""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enrs.bench.benchmarks.directory_import import write_synthetic_file
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services
from enrs.directory.importers import base
from enrs.directory.models import ImportRun, Organisation, PracticeSituation, Professional

from .conftest import ANNUAIRE_SAMPLE

pytestmark = pytest.mark.django_db

EJ, ET, OTHER_ET = finess_complete("14099810"), finess_complete("14099820"), finess_complete("14099830")
RPPS = luhn_complete("1099800001")


def _professional(**changes):
    return {"rpps": RPPS, "last_name": "DURAND-ESSAI", "first_name": "Alix", "profession_code": "10",
            "title": "DR", "source": "annuaire", **changes}


def _outcome(run: ImportRun) -> dict:
    """Everything an import leaves behind, in a comparable form."""
    return {
        "counters": (run.status, run.processed_lines, run.created_count, run.updated_count, run.unchanged_count,
                     run.rejected_count),
        "rejections": list(run.rejections.order_by("line_number").values_list("line_number", "field", "reason")),
        "professionals": sorted(Professional.objects.values_list(
            "idnat_ps", "rpps", "adeli", "title", "last_name", "first_name", "profession_code", "category_code")),
        "organisations": sorted(Organisation.objects.values_list(
            "finess", "finess_kind", "siret", "name", "short_name", "kind", "legal_entity__finess", "address_line",
            "postal_code", "city", "commune_insee", "departement", "latitude", "longitude", "phone", "source"), key=repr),
        "situations": sorted(PracticeSituation.objects.values_list(
            "professional__idnat_ps", "organisation__finess", "organisation__siret", "organisation__name", "mode",
            "role_code", "specialty_code", "phone", "email", "external_id"), key=repr),
    }


def _force_line_by_line(monkeypatch):
    def refuse(self):
        raise services.BulkConflict("refused for the test")

    monkeypatch.setattr(services.BulkUpserts, "flush", refuse)


@pytest.mark.parametrize("kind", ["annuaire", "finess"])
def test_batches_store_exactly_what_the_line_by_line_replay_stores(kind, import_file, monkeypatch, tmp_path):
    synthetic = write_synthetic_file(kind, 300, seed=11, directory=tmp_path)
    # Small batches: records met on several lines span batches, FINESS geolocations
    # update establishments stored by earlier batches.
    monkeypatch.setattr(base.Importer, "batch_size", 37)
    outcomes = []
    for line_by_line in (False, True):
        with transaction.atomic():
            if line_by_line:
                _force_line_by_line(monkeypatch)
            first = _outcome(import_file(kind, synthetic.path))
            again = _outcome(import_file(kind, synthetic.path))
            outcomes.append((first, again))
            transaction.set_rollback(True)

    (batched, batched_again), (replayed, replayed_again) = outcomes
    assert batched == replayed and batched_again == replayed_again
    status, processed, created, updated, unchanged, rejected = batched["counters"]
    assert (status, processed) == ("done", 300) and created > 100 and rejected >= synthetic.malformed > 0
    if kind == "annuaire":
        assert rejected == synthetic.malformed  # each malformed line, and only those
    # Re-importing changes nothing and rejects the same lines.
    ignored = processed - created - updated - unchanged - rejected
    assert batched_again["counters"] == ("done", 300, 0, 0, processed - rejected - ignored, rejected)
    assert batched_again["rejections"] == batched["rejections"]
    assert {key: batched_again[key] for key in ("professionals", "organisations", "situations")} == {
        key: batched[key] for key in ("professionals", "organisations", "situations")}


def test_a_batch_costs_a_few_queries_not_a_few_per_line(import_file, tmp_path):
    synthetic = write_synthetic_file("annuaire", 300, seed=5, directory=tmp_path)
    started = services.start_import(kind="annuaire", file_name="f.txt", chunks=[synthetic.path.read_bytes()])
    with CaptureQueriesContext(connection) as first:
        run = services.run_import(started.pk)
    assert run.created_count > 250
    again = services.start_import(kind="annuaire", file_name="f.txt", chunks=[synthetic.path.read_bytes()])
    with CaptureQueriesContext(connection) as second:
        run = services.run_import(again.pk)
    assert run.unchanged_count > 250
    # The one-row path needed about a dozen queries per line (3,600 here).
    assert len(first.captured_queries) < 60 and len(second.captured_queries) < 30


def test_a_batch_the_database_refuses_is_replayed_and_only_the_bad_line_rejected(import_file, monkeypatch, caplog):
    # A row the batch cannot foresee: the RPPS of the pharmacist of line 9 is already
    # held by a record with another national identifier, so the INSERT breaks the
    # unique RPPS and the whole batch (lines 8-10) is rolled back and replayed.
    Professional.objects.create(idnat_ps="800000000000", rpps="10999000044", last_name="AUTRE", first_name="Eve",
                                profession_code="21", profession_label="Pharmacien")
    monkeypatch.setattr(base.Importer, "batch_size", 3)
    with caplog.at_level(logging.INFO, logger="enrs.directory.importers.base"):
        run = import_file("annuaire", ANNUAIRE_SAMPLE)

    assert run.status == ImportRun.Status.DONE
    assert (run.created_count, run.updated_count, run.unchanged_count, run.rejected_count) == (4, 0, 0, 6)
    rejections = list(run.rejections.order_by("line_number").values_list("line_number", "field", "reason"))
    assert [number for number, _field, _reason in rejections] == [5, 6, 7, 8, 9, 10]
    assert rejections[4] == (9, "", "Cette ligne contredit une donnée déjà enregistrée "
                                    "(identifiant déjà attribué à un autre enregistrement).")
    assert [r.getMessage() for r in caplog.records if "replayed" in r.getMessage()] == [
        f"import {run.pk}: batch from line 8 replayed line by line"]
    # The other lines of every batch, the replayed one included, are stored.
    assert sorted(Professional.objects.values_list("idnat_ps", flat=True)) == [
        "0149990001", "800000000000", "810999000010", "810999000069"]
    assert not Organisation.objects.filter(finess="2A0999043").exists()
    assert PracticeSituation.objects.count() == 3


# --- services.bulk_upserts on its own ---------------------------------------------------------
def test_staged_rows_answer_like_the_one_row_upserts_and_are_stored_at_the_end():
    with services.bulk_upserts():
        ej = services.upsert_organisation({"finess": EJ, "finess_kind": "EJ", "name": "EJ D'ESSAI"})
        et = services.upsert_organisation({"finess": ET, "finess_kind": "ET", "name": "ET D'ESSAI",
                                           "legal_entity": ej.obj, "commune_insee": "14118"})
        professional = services.upsert_professional(_professional())
        again = services.upsert_professional(_professional())
        renamed = services.upsert_professional(_professional(first_name="Alexis"))
        situation = services.upsert_situation(professional.obj, et.obj, {"mode": "S", "source": "annuaire"})

        assert [r.status for r in (ej, et, professional, again, renamed, situation)] == [
            "created", "created", "created", "unchanged", "updated", "created"]
        assert services.find_organisation(finess=ET) is et.obj and services.find_organisation(finess=OTHER_ET) is None
        assert et.obj.pk is None and not Organisation.objects.exists()  # nothing written yet

    stored = Organisation.objects.get(finess=ET)
    assert stored.pk == et.obj.pk and stored.legal_entity.finess == EJ and stored.departement == "14"
    assert Professional.objects.get().first_name == "Alexis"
    assert PracticeSituation.objects.get().organisation == stored
    assert stored.created_at is not None and stored.updated_at is not None


def test_stored_rows_are_updated_only_where_they_changed():
    stored = services.upsert_organisation({"finess": ET, "finess_kind": "ET", "name": "ET", "city": "CAEN"}).obj
    other = services.upsert_organisation({"finess": OTHER_ET, "finess_kind": "ET", "name": "AUTRE"}).obj
    with services.bulk_upserts() as batch:
        batch.prefetch(finess=[ET, OTHER_ET])
        moved = services.upsert_organisation({"finess": ET, "finess_kind": "ET", "name": "ET", "city": "BAYEUX"})
        same = services.upsert_organisation({"finess": OTHER_ET, "finess_kind": "ET", "name": "AUTRE"})
    assert (moved.status, same.status) == ("updated", "unchanged")
    stored_after, other_after = Organisation.objects.get(pk=stored.pk), Organisation.objects.get(pk=other.pk)
    assert stored_after.city == "BAYEUX" and stored_after.updated_at > stored.updated_at
    assert other_after.updated_at == other.updated_at


def test_a_failed_savepoint_leaves_nothing_staged():
    original = services.upsert_professional(_professional()).obj
    with services.bulk_upserts() as batch:
        with pytest.raises(RuntimeError), batch.savepoint():
            assert services.upsert_professional(_professional(last_name="CHANGÉ")).status == "updated"
            assert services.upsert_organisation({"finess": ET, "name": "NOUVEAU"}).status == "created"
            raise RuntimeError("line rejected")
        assert services.find_organisation(finess=ET) is None
        assert services.upsert_professional(_professional()).status == "unchanged"
    assert Professional.objects.get().last_name == original.last_name and not Organisation.objects.exists()


def test_validation_errors_are_the_one_row_upserts_errors():
    too_long = _professional(last_name="X" * 121)
    with pytest.raises(ValidationError) as one_row:
        services.upsert_professional(too_long)
    with services.bulk_upserts(), pytest.raises(ValidationError) as batched:
        services.upsert_professional(too_long)
    assert batched.value.message_dict == one_row.value.message_dict
    assert list(batched.value.message_dict) == ["last_name"]


def test_a_reference_the_one_row_upsert_refuses_makes_the_flush_fail_and_store_nothing():
    not_a_legal_entity = services.upsert_organisation({"finess": OTHER_ET, "finess_kind": "ET", "name": "ET"}).obj
    data = {"finess": ET, "finess_kind": "ET", "name": "ET D'ESSAI", "legal_entity": not_a_legal_entity}
    with pytest.raises(ValidationError) as one_row:
        services.upsert_organisation(data)
    assert "legal_entity" in one_row.value.message_dict

    with pytest.raises(services.BulkConflict), transaction.atomic(), services.bulk_upserts():
        services.upsert_organisation(data)
    assert not Organisation.objects.filter(finess=ET).exists()


def test_bulk_blocks_do_not_nest():
    with services.bulk_upserts(), pytest.raises(RuntimeError), services.bulk_upserts():
        pass  # pragma: no cover


# SQLite does not enforce varchar lengths: the test runs in the PostgreSQL pass only
# (the "postgres" marker is deselected from the SQLite pass by `make test`).
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce varchar lengths")
def test_a_value_the_database_refuses_in_an_update_rejects_only_its_line(import_file, annuaire_lines, write_file):
    # Updates are not full_clean'ed (as in the one-row upsert): PostgreSQL refuses the
    # 130-character name at flush time, and the replay names line 2.
    services.upsert_professional({"rpps": "10999000010", "last_name": "LEGRAND-ESSAI", "first_name": "Ondine",
                                  "profession_code": "10", "title": "DR", "source": "annuaire", "category_code": "C"})
    columns = annuaire_lines[1].split("|")
    columns[7] = "L" * 130
    run = import_file("annuaire", write_file("long.txt", "\n".join([annuaire_lines[0], "|".join(columns),
                                                                     *annuaire_lines[2:]]) + "\n"))

    assert run.status == ImportRun.Status.DONE
    assert run.rejections.get(line_number=2).reason == (
        "Une valeur de cette ligne dépasse la longueur autorisée ou n'a pas le format attendu.")
    assert run.rejected_count == 6 and Professional.objects.get(rpps="10999000010").last_name == "LEGRAND-ESSAI"
    assert PracticeSituation.objects.filter(professional__rpps="10999000010").count() == 1  # line 3's
