"""Import screens: staff upload runs the task (inline in tests), progress, rejected lines, refusals."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrs.directory.importers.progress import write_progress
from enrs.directory.models import ImportRun, Professional

from .conftest import ANNUAIRE_SAMPLE, FINESS_SAMPLE

pytestmark = pytest.mark.django_db
UPLOAD = reverse("directory:import_upload")


def _upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def test_staff_upload_runs_the_import_and_shows_counters_and_rejections(client, staff_user):
    client.force_login(staff_user)
    response = client.post(UPLOAD, {"kind": "annuaire", "file": _upload(ANNUAIRE_SAMPLE)})

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("directory:import_detail", args=[run.pk])
    assert run.status == ImportRun.Status.DONE and run.started_by == staff_user
    assert (run.created_count, run.rejected_count) == (5, 5)
    assert Professional.objects.count() == 4

    page = client.get(response["Location"]).content.decode()
    assert "Terminé" in page
    assert '<label for="import-progress-bar">' in page and '<progress id="import-progress-bar" max="10" value="10">' in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no more polling
    assert '<dd data-counter="created">5</dd>' in page and '<dd data-counter="rejected">5</dd>' in page
    assert "La clé de contrôle du numéro RPPS est incorrecte." in page
    assert "<th scope=\"row\">5</th>" in page and "Identifiant PP" in page
    assert "10999000052" in page  # the raw line is shown

    listing = client.get(reverse("directory:imports")).content.decode()
    assert ANNUAIRE_SAMPLE.name in listing and "Terminé" in listing


def test_finess_upload(client, staff_user):
    client.force_login(staff_user)
    response = client.post(UPLOAD, {"kind": "finess", "file": _upload(FINESS_SAMPLE)})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.created_count, run.updated_count, run.rejected_count) == ("finess", "done", 4, 3, 5)


def test_progress_fragment_polls_while_running(client, staff_user, settings):
    client.force_login(staff_user)
    run = ImportRun.objects.create(kind="finess", file_name="f.csv", status=ImportRun.Status.RUNNING,
                                   stored_path=str(settings.ENRS_IMPORT_DIR / "f.csv"), total_lines=200)
    settings.ENRS_IMPORT_DIR.mkdir(parents=True, exist_ok=True)
    write_progress(run, {"processed": 50, "created": 40, "updated": 0, "unchanged": 0, "rejected": 10, "ignored": 0})

    fragment = client.get(reverse("directory:import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "HX-Refresh" not in fragment
    assert 'hx-trigger="every 2s"' in html and 'value="50"' in html and 'max="200"' in html
    assert "Lignes traitées : 50 sur 200" in html

    run.status, run.processed_lines, run.finished_at = ImportRun.Status.DONE, 200, run.created_at
    run.save()
    done = client.get(reverse("directory:import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and 'hx-trigger="every 2s"' not in done.content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "annuaire"}, "Fichier : choisissez le fichier à importer."),
        ({"file": "x"}, "Type de fichier : choisissez Annuaire Santé ou FINESS."),
        ({"kind": "zzz"}, "n'est pas un choix possible"),
    ],
)
def test_bad_form_is_refused_in_french(client, staff_user, data, message):
    client.force_login(staff_user)
    response = client.post(UPLOAD, data)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert 'class="errorlist' in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_wrong_file_for_the_kind_is_refused_before_anything_is_stored(client, staff_user, _import_dir):
    client.force_login(staff_user)
    wrong_extension = client.post(UPLOAD, {"kind": "annuaire", "file": _upload(FINESS_SAMPLE)})
    assert wrong_extension.status_code == 400
    assert "Fichier : pour Annuaire Santé (PS_LibreAcces), envoyez un fichier .txt ou .zip." in wrong_extension.content.decode()

    wrong_content = client.post(UPLOAD, {"kind": "annuaire", "file": _upload(FINESS_SAMPLE, "annuaire.txt")})
    assert wrong_content.status_code == 400 and "Colonnes obligatoires absentes" in wrong_content.content.decode()

    garbage = client.post(UPLOAD, {"kind": "annuaire", "file": SimpleUploadedFile("x.txt", b"\xff\xfe\x00garbage")})
    assert garbage.status_code == 400 and "UTF-8" in garbage.content.decode()

    empty = client.post(UPLOAD, {"kind": "finess", "file": SimpleUploadedFile("vide.csv", b"")})
    assert empty.status_code == 400 and "Fichier : le fichier envoyé est vide." in empty.content.decode()

    assert ImportRun.objects.count() == 0 and not _import_dir.exists()


@pytest.mark.parametrize("name", ["directory:imports", "directory:import_upload"])
def test_non_staff_users_are_refused(client, pro_user, name):
    assert client.get(reverse(name)).status_code == 302  # anonymous: to the login page
    client.force_login(pro_user)
    assert client.get(reverse(name)).status_code == 403
    response = client.post(UPLOAD, {"kind": "annuaire", "file": _upload(ANNUAIRE_SAMPLE)})
    assert response.status_code == 403 and ImportRun.objects.count() == 0


def test_non_staff_cannot_see_a_run(client, pro_user):
    run = ImportRun.objects.create(kind="finess", file_name="f.csv")
    client.force_login(pro_user)
    for name in ("directory:import_detail", "directory:import_progress"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 403
