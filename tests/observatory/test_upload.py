"""Sending RPU files: the web form (habilitations) and the connector API (organisation-scoped tokens)."""

from __future__ import annotations

import html

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connectors.tokens import connector_token as token
from enrs.access import services as access
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.connectors.scopes import DIRECTORY_READ, OBSERVATORY_RPU
from enrs.core.models import AccessEvent
from enrs.observatory.models import QuarantinedRecord, RpuFile

from .conftest import record, rpu_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def analyst(organisation=None, username="analyste"):
    user = User.objects.create_user(username=username, email=f"{username}@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(user, Role.OBSERVATORY_ANALYST, organisation=organisation)
    return user


def upload(client, data: bytes, name="rpu.xml"):
    return client.post(reverse("observatory:home"), {"file": SimpleUploadedFile(name, data, content_type="application/xml")})


def test_establishment_staff_sends_its_own_file_and_sees_the_report(client, hospitals, store):
    client.force_login(analyst(hospitals["caen"]))
    response = upload(client, rpu_bytes(hospitals["caen"].finess, [record(), record(ENTREE="06/01/2025 11:00", GRAVITE="9")]))
    rpu_file = RpuFile.objects.get()
    assert response.status_code == 302 and response.url == reverse("observatory:file_report", args=[rpu_file.pk])
    before = AccessEvent.objects.count()
    page = client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 reçus = 1 intégrés + 1 en quarantaine" in text and "CCMU 1, P, 2, 3, 4, 5 ou D attendue" in text
    # Displaying the quarantined passage (personal health data) left a line in the access trail.
    assert AccessEvent.objects.count() == before + 1
    assert AccessEvent.objects.latest("sequence").object_type == "observatory.QuarantinedRecord"


def test_establishment_staff_cannot_send_for_another_establishment(client, hospitals, store):
    client.force_login(analyst(hospitals["caen"]))
    response = upload(client, rpu_bytes(hospitals["rouen"].finess, [record()]))
    assert response.status_code == 400
    assert "n'appartient pas à votre organisation" in html.unescape(response.content.decode())
    assert store.count() == 0 and RpuFile.objects.get().status == "rejected"


def test_establishment_staff_cannot_read_another_establishments_report(client, hospitals, store):
    regional = analyst(username="region")
    client.force_login(regional)
    upload(client, rpu_bytes(hospitals["rouen"].finess, [record(GRAVITE="9")]))
    rouen_file = RpuFile.objects.get()
    client.force_login(analyst(hospitals["caen"], username="caen"))
    assert client.get(reverse("observatory:file_report", args=[rouen_file.pk])).status_code == 403
    assert rouen_file.filename not in client.get(reverse("observatory:home")).content.decode()


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00garbage", b"<OSCOUR><ETABLISSEMENT><FINESS>1"])
def test_bad_uploads_answer_400_in_french_never_500(client, hospitals, store, data):
    client.force_login(analyst())
    response = upload(client, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert store.count() == 0 and not QuarantinedRecord.objects.exists()


def test_a_plain_professional_is_refused(client, users):
    client.force_login(users["pro"])
    assert client.get(reverse("observatory:home")).status_code == 403


# --- Connector API ------------------------------------------------------------------------


def send(client, data: bytes, bearer: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    return client.post(reverse("api:send_rpu"), data, content_type="application/xml", HTTP_X_FILENAME="jour.xml", **headers)


def test_connector_sends_its_establishments_file(client, hospitals, store):
    bearer = token(client, hospitals["caen"], [OBSERVATORY_RPU])
    response = send(client, rpu_bytes(hospitals["caen"].finess, [record(), record(ENTREE="06/01/2025 11:00", SEXE="M", DP="O800")]), bearer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["records"], body["accepted"], body["quarantined"]) == (2, 1, 1)
    assert RpuFile.objects.get().channel == "api" and store.count() == 1


def test_a_token_of_organisation_a_cannot_send_for_organisation_b(client, hospitals, store):
    bearer = token(client, hospitals["caen"], [OBSERVATORY_RPU])
    response = send(client, rpu_bytes(hospitals["rouen"].finess, [record()]), bearer)
    assert response.status_code == 403
    assert "n'appartient pas à votre organisation" in response.json()["detail"]
    assert store.count() == 0 and not RpuFile.objects.exists()


def test_api_needs_the_observatory_scope_and_a_token(client, hospitals, store):
    bearer = token(client, hospitals["caen"], [DIRECTORY_READ])
    assert send(client, rpu_bytes(hospitals["caen"].finess, [record()]), bearer).status_code == 403
    assert send(client, rpu_bytes(hospitals["caen"].finess, [record()]), None).status_code == 401


def test_api_refused_file_is_422_with_its_reason(client, hospitals, store):
    bearer = token(client, hospitals["caen"], [OBSERVATORY_RPU])
    response = send(client, b"<OSCOUR><ETABLISSEMENT>", bearer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] in {"fichier_tronque", "finess_absent"}
