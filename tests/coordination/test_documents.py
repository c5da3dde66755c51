"""Documents: content checked by its bytes, XDS metadata, versions, visibility, one unit of work with the file."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from lxml import etree

from enrs.access.models import PatientConsent
from enrs.coordination import export, selectors, services
from enrs.coordination.models import Document, TimelineEvent
from enrs.coordination.services import DocumentInput
from enrs.core import permissions
from enrs.core.models import AccessEvent
from enrs.core.validators import nir_complete
from enrs.identity.models import OID_NIR_TEST, Patient

from .conftest import pdf_bytes

LETTRE = "11490-0"
TODAY = dt.date(2026, 3, 1)


def meta(**changes) -> DocumentInput:
    return DocumentInput(**{"title": "Lettre de liaison", "type_code": LETTRE, "service_date": TODAY, **changes})


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def cda(ins: str | None, oid: str = OID_NIR_TEST) -> bytes:
    identifier = f'<id root="{oid}" extension="{ins}"/>' if ins else '<id root="1.2.3" extension="IPP1"/>'
    return (f'<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole>'
            f"{identifier}</patientRole></recordTarget><title>Lettre</title></ClinicalDocument>").encode()


@pytest.fixture
def qualified(patient):
    ins = nir_complete("2800514118123")
    Patient.objects.filter(pk=patient.pk).update(ins_matricule=ins, ins_oid=OID_NIR_TEST, identity_status="QUAL")
    patient.refresh_from_db()
    return patient


@pytest.mark.django_db
def test_a_pdf_is_stored_with_its_xds_metadata(record, gp, documents_dir):
    data = pdf_bytes()
    document = services.store_document(record, data, filename="lettre.pdf", meta=meta(), by=gp)
    assert (document.media_type, document.format_code, document.class_code) == ("application/pdf", "urn:ihe:iti:xds-sd:pdf:2008", "10")
    assert document.size == len(data) and len(document.sha256) == 64 and len(document.sha1) == 40
    assert document.hidden_from_patient and document.visibility_codes == ["INVISIBLE_PATIENT"]
    assert document.organisation is not None and document.unique_id.startswith("2.25.")
    assert services.read_document(document, by=gp) == data
    assert len(stored_files(documents_dir)) == 1
    assert record.events.filter(kind=TimelineEvent.Kind.DOCUMENT).exists()
    assert AccessEvent.objects.filter(object_type="coordination.Document", object_id=str(document.pk), action="read").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00 not a pdf", "lettre.pdf"),  # disguised executable
        (b"%PDF-1.4\n1 0 obj broken", "lettre.pdf"),  # corrupt PDF
        (b"\x89PNG\r\n\x1a\nbroken", "photo.png"),  # corrupt PNG
    ],
)
def test_disguised_or_corrupt_files_are_refused_and_nothing_is_stored(record, gp, documents_dir, data, filename):
    with pytest.raises(ValidationError) as caught:
        services.store_document(record, data, filename=filename, meta=meta(), by=gp)
    assert caught.value.messages[0]
    assert not Document.objects.exists() and stored_files(documents_dir) == []


@pytest.mark.django_db
def test_oversize_files_are_refused(record, gp, documents_dir, settings):
    settings.ENRS_UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError):
        services.store_document(record, pdf_bytes(), filename="lettre.pdf", meta=meta(), by=gp)
    assert not Document.objects.exists() and stored_files(documents_dir) == []


@pytest.mark.django_db
def test_a_cda_must_carry_the_patients_ins(record, gp, qualified, documents_dir):
    with pytest.raises(ValidationError) as caught:
        services.store_document(record, cda(None), filename="lettre.xml", meta=meta(), by=gp)
    assert "INS" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        services.store_document(record, cda(nir_complete("1800514118123")), filename="lettre.xml", meta=meta(), by=gp)
    document = services.store_document(record, cda(qualified.ins_matricule), filename="lettre.xml", meta=meta(), by=gp)
    assert document.format_code == "urn:asip:ci-sis:ldl-ses:2017"
    assert len(stored_files(documents_dir)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type_code": "00000-0"}, "type_code"),
        ({"title": ""}, "title"),
        ({"confidentiality": "Z"}, "confidentiality"),
        ({"masked_codes": ("MASQUE_NOPE",)}, "masked_codes"),
        ({"service_date": dt.date(2999, 1, 1)}, "service_date"),
    ],
)
def test_bad_metadata_names_the_field_and_stores_no_file(record, gp, documents_dir, changes, field):
    with pytest.raises(ValidationError) as caught:
        services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(**changes), by=gp)
    assert field in caught.value.message_dict
    assert not Document.objects.exists() and stored_files(documents_dir) == []


@pytest.mark.django_db
def test_replacing_keeps_every_version(record, gp, documents_dir):
    first = services.store_document(record, pdf_bytes("v1"), filename="l.pdf", meta=meta(), by=gp)
    second = services.store_document(record, pdf_bytes("v2"), filename="l.pdf", meta=meta(title="Lettre (corrigée)"), by=gp, replaces=first)
    first.refresh_from_db()
    assert (first.status, second.status, second.version, second.replaces) == ("superseded", "current", 2, first)
    assert services.read_document(first, by=gp) == pdf_bytes("v1")
    assert [d.pk for d in selectors.versions(first)] == [second.pk, first.pk]
    assert list(selectors.documents(record, gp)) == [second]
    with pytest.raises(ValidationError):
        services.store_document(record, pdf_bytes("v3"), filename="l.pdf", meta=meta(), by=gp, replaces=first)
    assert len(stored_files(documents_dir)) == 2


@pytest.mark.django_db
def test_deprecating_keeps_the_document_flagged(record, gp, documents_dir):
    document = services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    services.deprecate_document(document, reason="Mauvais patient", by=gp)
    document.refresh_from_db()
    assert document.status == "entered-in-error" and document.status_reason == "Mauvais patient"
    assert list(selectors.documents(record, gp)) == []
    assert services.read_document(document, by=gp)


@pytest.mark.django_db
def test_visibility_to_the_patient(record, gp, nurse, patient_user, outsider, documents_dir):
    services.add_member(record, nurse, role="IDE", by=gp)
    document = services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    assert permissions.can(nurse, "read", document)
    assert not permissions.can(outsider, "read", document)
    assert not permissions.can(patient_user, "read", document)
    with pytest.raises(PermissionDenied):
        services.read_document(document, by=patient_user)
    services.set_patient_visibility(document, True, by=gp)
    document.refresh_from_db()
    assert permissions.can(patient_user, "read", document)
    assert list(selectors.patient_documents(record.patient)) == [document]
    services.set_patient_visibility(document, False, by=gp)
    assert list(selectors.patient_documents(record.patient)) == []


@pytest.mark.django_db
def test_masks_and_opposition_to_sharing(record, gp, nurse, documents_dir):
    from access.builders import make_organisation

    other_org = make_organisation()
    services.add_member(record, nurse, role="IDE", by=gp, organisation=other_org)
    masked = services.store_document(record, pdf_bytes("a"), filename="a.pdf", meta=meta(masked_codes=("MASQUE_PS",)), by=gp)
    plain = services.store_document(record, pdf_bytes("b"), filename="b.pdf", meta=meta(), by=gp)
    assert not permissions.can(nurse, "read", masked) and permissions.can(nurse, "read", plain)
    PatientConsent.objects.create(patient=record.patient, opposes_sharing=True)
    assert not permissions.can(nurse, "read", plain)  # produced by another organisation
    assert permissions.can(gp, "read", plain)
    for user in (gp, nurse):
        listed = set(permissions.filter_allowed(user, "read", Document.objects.all()))
        assert listed == {d for d in Document.objects.all() if permissions.can(user, "read", d)}


@pytest.mark.django_db
def test_tampered_content_is_not_served(record, gp, documents_dir):
    document = services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    (path,) = stored_files(documents_dir)
    path.write_bytes(b"tampered")
    with pytest.raises(PermissionDenied):
        services.read_document(document, by=gp)


# --- One unit of work: file and metadata -----------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_failed_commit_leaves_no_orphan_file(record, gp, documents_dir, monkeypatch):
    real_commit, injected = connection.commit, []

    def commit_failing_once_the_file_is_written():
        if stored_files(documents_dir) and not injected:
            injected.append(True)
            raise DatabaseError("injected commit failure")
        return real_commit()

    monkeypatch.setattr(connection, "commit", commit_failing_once_the_file_is_written)
    with pytest.raises(DatabaseError):
        services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    monkeypatch.undo()
    assert injected, "the commit failure was not reached after the file write"
    assert stored_files(documents_dir) == []
    assert not Document.objects.exists()
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DOCUMENT).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_file_write_leaves_no_metadata(record, gp, documents_dir, monkeypatch):
    storage = services.document_storage()

    def failing_save(name, content):
        raise OSError("injected: disk full")

    monkeypatch.setattr(storage, "_save", failing_save)
    with pytest.raises(OSError):
        services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    assert not Document.objects.exists()
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DOCUMENT).exists()
    assert stored_files(documents_dir) == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_replacement_keeps_the_old_version_current(record, gp, documents_dir, monkeypatch):
    first = services.store_document(record, pdf_bytes("v1"), filename="l.pdf", meta=meta(), by=gp)
    monkeypatch.setattr(services.document_storage(), "_save", lambda name, content: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        services.store_document(record, pdf_bytes("v2"), filename="l.pdf", meta=meta(), by=gp, replaces=first)
    first.refresh_from_db()
    assert first.status == "current" and Document.objects.count() == 1


# --- DMP-ready export ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_dmp_package_carries_the_ins_in_the_cda_header(record, gp, qualified, documents_dir):
    document = services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    package = zipfile.ZipFile(io.BytesIO(export.dmp_package(document, by=gp)))
    assert set(package.namelist()) == {"DOC0001.XML", "METADATA.json", "CONTENT.pdf"}
    root = etree.fromstring(package.read("DOC0001.XML"))
    ns = {"h": "urn:hl7-org:v3"}
    (identifier,) = root.findall("h:recordTarget/h:patientRole/h:id", ns)
    assert (identifier.get("root"), identifier.get("extension")) == (OID_NIR_TEST, qualified.ins_matricule)
    assert root.find("h:code", ns).get("code") == LETTRE
    assert package.read("CONTENT.pdf") == pdf_bytes()
    assert AccessEvent.objects.filter(action="export", object_type="coordination.CoordinationRecord").exists()


@pytest.mark.django_db
def test_no_dmp_export_without_a_qualified_identity(record, gp, documents_dir):
    document = services.store_document(record, pdf_bytes(), filename="l.pdf", meta=meta(), by=gp)
    with pytest.raises(ValidationError) as caught:
        export.dmp_package(document, by=gp)
    assert "qualifiée" in caught.value.messages[0]


@pytest.mark.django_db
def test_life_line_shows_each_viewer_what_he_may_see(record, gp, outsider, patient_user, documents_dir):
    from enrs.core.lifeline import entries_for

    hidden = services.store_document(record, pdf_bytes("a"), filename="a.pdf", meta=meta(title="Compte rendu interne"), by=gp)
    services.store_document(record, pdf_bytes("b"), filename="b.pdf", meta=meta(title="Ordonnance", visible_to_patient=True), by=gp)
    titles = lambda user: {e.title for e in entries_for(record.patient, user)}  # noqa: E731
    assert {"Ordonnance"} <= titles(patient_user) and hidden.title not in titles(patient_user)
    assert {"Ordonnance", "Compte rendu interne"} <= titles(gp)
    assert titles(outsider) == set()
    assert AccessEvent.objects.filter(actor_id=patient_user.pk, object_type="coordination.CoordinationRecord").exists()
