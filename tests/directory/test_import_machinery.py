"""What both importers share: stored copy, zip archives, progress, reruns, empty files."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from enrs.directory import services
from enrs.directory.importers import base
from enrs.directory.importers.progress import progress_path, snapshot, write_progress
from enrs.directory.models import ImportRun, Professional

from .conftest import ANNUAIRE_SAMPLE, FINESS_SAMPLE

pytestmark = pytest.mark.django_db


def test_the_received_file_is_kept_with_its_sha256(import_file, _import_dir):
    run = import_file("annuaire", ANNUAIRE_SAMPLE)
    stored = Path(run.stored_path)
    assert stored.is_file() and stored.parent.parent == Path(_import_dir)
    assert stored.read_bytes() == ANNUAIRE_SAMPLE.read_bytes()
    assert run.file_sha256 == hashlib.sha256(ANNUAIRE_SAMPLE.read_bytes()).hexdigest()
    assert run.file_name == ANNUAIRE_SAMPLE.name and run.finished_at is not None


def test_a_zip_archive_is_read_through_its_matching_member(import_file, write_file):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PS_LibreAcces_Dipl_AutExerc_202601010000.txt", "autre|fichier\n")
        archive.write(ANNUAIRE_SAMPLE, ANNUAIRE_SAMPLE.name)
    run = import_file("annuaire", write_file("PS_LibreAcces_202601010000.zip", buffer.getvalue()))
    assert run.status == ImportRun.Status.DONE
    assert (run.created_count, run.rejected_count) == (5, 5)


def test_a_truncated_zip_archive_fails(import_file, write_file):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(FINESS_SAMPLE, FINESS_SAMPLE.name)
    run = import_file("finess", write_file("finess.zip", buffer.getvalue()[:-60]))
    assert run.status == ImportRun.Status.FAILED and run.error


def test_an_empty_file_fails_with_a_french_message(import_file, write_file):
    run = import_file("finess", write_file("vide.csv", b""))
    assert run.status == ImportRun.Status.FAILED and "vide" in run.error


def test_progress_is_reported_while_the_transaction_is_open(import_file, monkeypatch):
    monkeypatch.setattr(base.Importer, "batch_size", 2)
    seen = []

    def progress(counters):
        # Another process would read the row (still "running") and the progress file.
        run = ImportRun.objects.get(file_name=ANNUAIRE_SAMPLE.name)
        seen.append((counters["processed"], snapshot(run)["processed"], run.status))

    run = import_file("annuaire", ANNUAIRE_SAMPLE, progress=progress)

    assert [processed for processed, _live, _status in seen] == [0, 2, 4, 6, 8, 10, 10]
    assert all(live == processed and status == "running" for processed, live, status in seen)
    assert not progress_path(run).exists()  # removed once the row holds the final counters
    assert snapshot(run) == {"total": 10, "processed": 10, "created": 5, "updated": 0, "unchanged": 0,
                             "rejected": 5, "ignored": 0, "percent": 100}


def test_snapshot_reads_the_progress_file_only_while_running(tmp_path):
    run = ImportRun(kind="finess", file_name="f.csv", stored_path=str(tmp_path / "f.csv"), total_lines=40,
                    status=ImportRun.Status.RUNNING)
    write_progress(run, {"processed": 10, "created": 3, "updated": 2, "unchanged": 1, "rejected": 4, "ignored": 0})
    assert snapshot(run)["processed"] == 10 and snapshot(run)["percent"] == 25
    run.status = ImportRun.Status.DONE
    assert snapshot(run)["processed"] == 0


def test_a_done_run_is_not_run_again_but_a_failed_one_is(import_file, write_file):
    run = import_file("annuaire", ANNUAIRE_SAMPLE)
    assert services.run_import(run.pk).finished_at == run.finished_at

    failed = ImportRun.objects.create(kind="annuaire", file_name="x.txt", stored_path=run.stored_path,
                                      status=ImportRun.Status.FAILED, error="ancienne erreur")
    rerun = services.run_import(failed.pk)
    assert rerun.status == ImportRun.Status.DONE and rerun.error == ""
    assert (rerun.unchanged_count, rerun.rejected_count) == (5, 5)
    assert rerun.rejections.count() == 5 and Professional.objects.count() == 4


def test_unknown_kind_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.start_import(kind="inconnu", file_name="x.txt", chunks=[b"x"])
    assert "kind" in caught.value.message_dict
