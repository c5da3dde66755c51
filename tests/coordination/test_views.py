"""The professional screens and the patient pages, through the test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrs.coordination import services
from enrs.coordination.models import CoordinationRecord, Document
from enrs.directory.models import Professional

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def rpps_of(user) -> str:
    return Professional.objects.get(user=user).rpps


def upload(client, record, data=None, **fields):
    payload = {"record": record.pk, "file": SimpleUploadedFile("lettre.pdf", data if data is not None else pdf_bytes(), content_type="application/pdf"),
               "title": "Lettre de liaison", "type_code": "11490-0", "service_date": "2026-03-01", "confidentiality": "N", **fields}
    return client.post(reverse("coordination:upload_document"), payload)


def test_gp_opens_the_record_from_his_patients(client, gp, patient, org):
    from enrs.access import services as access_services

    access_services.add_care_team_member(patient, gp, organisation=org, role="Médecin traitant")
    client.force_login(gp)
    home = client.get(reverse("coordination:home"))
    assert home.status_code == 200 and patient.display_name in home.content.decode()
    response = client.post(reverse("coordination:open_record"), {"patient": patient.pk})
    record = CoordinationRecord.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == reverse("coordination:record", args=[record.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Équipe de soins" in page.content.decode()


def test_outsider_and_patient_are_refused(client, record, outsider, patient_user):
    for user in (outsider, patient_user):
        client.force_login(user)
        assert client.get(reverse("coordination:record", args=[record.pk])).status_code == 403
        response = client.post(reverse("coordination:add_note"), {"record": record.pk, "text": "intrusion"})
        assert response.status_code == 403
    assert not record.notes.exists()
    client.force_login(outsider)
    assert client.post(reverse("coordination:open_record"), {"patient": record.patient_id}).status_code == 403


def test_team_document_and_patient_view(client, record, gp, nurse, patient_user, documents_dir):
    client.force_login(gp)
    response = client.post(reverse("coordination:add_member"), {"record": record.pk, "rpps": rpps_of(nurse), "role": "Infirmière"})
    assert response.status_code == 302
    assert upload(client, record).status_code == 302
    document = Document.objects.get()
    client.force_login(nurse)
    page = client.get(reverse("coordination:record", args=[record.pk])).content.decode()
    assert "Lettre de liaison" in page
    download = client.get(reverse("coordination:download", args=[record.pk, document.pk]))
    assert download.status_code == 200 and download.content == pdf_bytes() and download["Content-Type"] == "application/pdf"
    client.force_login(patient_user)
    assert "Lettre de liaison" not in client.get(reverse("coordination_portal:documents")).content.decode()
    assert client.get(reverse("coordination_portal:download", args=[document.pk])).status_code == 403
    client.force_login(gp)
    assert client.post(reverse("coordination:document_visibility"), {"record": record.pk, "id": document.pk, "visible": "1"}).status_code == 302
    client.force_login(patient_user)
    assert "Lettre de liaison" in client.get(reverse("coordination_portal:documents")).content.decode()
    assert client.get(reverse("coordination_portal:download", args=[document.pk])).content == pdf_bytes()


def test_bad_upload_shows_a_french_error_and_stores_nothing(client, record, gp, documents_dir):
    client.force_login(gp)
    response = upload(client, record, data=b"MZ\x90\x00 executable")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Document.objects.exists()
    response = upload(client, record, type_code="nope")
    assert response.status_code == 400 and not Document.objects.exists()


def test_unknown_rpps_is_named(client, record, gp):
    client.force_login(gp)
    response = client.post(reverse("coordination:add_member"), {"record": record.pk, "rpps": "10000000000", "role": "IDE"})
    assert response.status_code == 400 and "RPPS" in response.content.decode()


def test_document_of_another_record_is_404(client, record, gp, documents_dir):
    from access.builders import make_patient

    from enrs.access import services as access_services

    other_patient = make_patient()
    access_services.add_care_team_member(other_patient, gp, role="MT")
    other = services.open_record(other_patient, by=gp)
    document = services.store_document(other, pdf_bytes(), filename="l.pdf", meta=services.DocumentInput(
        title="Autre", type_code="11490-0", service_date=__import__("datetime").date(2026, 1, 1)), by=gp)
    client.force_login(gp)
    assert client.get(reverse("coordination:download", args=[record.pk, document.pk])).status_code == 404


def test_tasks_notes_and_pathway_from_the_page(client, record, gp):
    from enrs.coordination.models import PathwayTemplate

    client.force_login(gp)
    def post(name, data):
        return client.post(reverse(f"coordination:{name}"), {"record": record.pk, **data})

    assert post("add_note", {"text": "Appel de la fille de la patiente."}).status_code == 302
    assert post("add_task", {"title": "Rappeler", "due_date": "2026-04-01", "assignee": gp.pk}).status_code == 302
    template = PathwayTemplate.objects.get(code="dac-situation-complexe")
    assert post("start_pathway", {"template": template.pk, "start_date": "2026-03-01"}).status_code == 302
    assert record.tasks.count() == 1 + 5
    task = record.tasks.get(title="Rappeler")
    assert post("complete_task", {"id": task.pk}).status_code == 302
    assert post("complete_task", {"id": task.pk}).status_code == 400


def test_lifeline_shows_past_and_future(client, record, gp, patient_user):
    from enrs.coordination.models import PathwayTemplate

    import datetime as dt

    services.start_pathway(record, PathwayTemplate.objects.get(code="vigilans"), start_date=dt.date.today(), by=gp)
    client.force_login(patient_user)
    page = client.get(reverse("coordination_portal:lifeline"))
    assert page.status_code == 200 and "Appel de recontact à J+10" in page.content.decode()


def test_pending_movements_page_is_for_identity_vigilance(client, vigilance, gp):
    client.force_login(gp)
    assert client.get(reverse("coordination:pending_encounters")).status_code == 403
    client.force_login(vigilance)
    assert client.get(reverse("coordination:pending_encounters")).status_code == 200
    assert client.post(reverse("coordination:pending_encounters"), {"id": "x"}).status_code == 400
