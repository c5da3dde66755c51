"""MSSanté sending against a real SMTP server on loopback (STARTTLS + AUTH)."""

from __future__ import annotations

import email
from email import policy

import pytest

from enrs.messaging import mssante
from enrs.messaging.models import Attachment, MssanteDispatch
from enrs.messaging.mssante import MssanteError

from .smtp_peer import SmtpPeer

CDA = (b'<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3">'
       b'<code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/><title>CR</title></ClinicalDocument>')  # fmt: skip


@pytest.fixture
def peer(tmp_path, settings):
    with SmtpPeer(tmp_path) as server:
        settings.ENRS_MSSANTE_HOST = "127.0.0.1"
        settings.ENRS_MSSANTE_PORT = server.port
        settings.ENRS_MSSANTE_USERNAME = server.username
        settings.ENRS_MSSANTE_PASSWORD = server.password
        settings.ENRS_MSSANTE_CA_FILE = str(server.cert)
        settings.ENRS_MSSANTE_SENDER = "plateforme@enrs.mssante.fr"
        settings.ENRS_MSSANTE_TIMEOUT = 10
        yield server


def _parsed(peer):
    return email.message_from_bytes(peer.received.envelopes[-1].original_content, policy=policy.default)


def test_a_document_is_submitted_over_starttls_with_authentication(peer, doctor, patient_account, settings):
    settings.ENRS_MSSANTE_READ_RECEIPT = True
    dispatch = mssante.send(doctor, to_address="dr.martin@ch-exemple.mssante.fr", subject="Compte rendu",
                            body="Veuillez trouver le compte rendu.", data=CDA, filename="cr.xml",
                            patient=patient_account[1])  # fmt: skip
    assert dispatch.status == MssanteDispatch.Status.SENT, dispatch.error
    assert peer.received.logins == [("LOGIN", True, True)] or peer.received.logins == [("PLAIN", True, True)]
    envelope = peer.received.envelopes[-1]
    assert envelope.mail_from == "plateforme@enrs.mssante.fr" and envelope.rcpt_tos == ["dr.martin@ch-exemple.mssante.fr"]
    message = _parsed(peer)
    assert message["X-MSS-CODECDA"] == "11490-0"
    assert message["Disposition-Notification-To"] == "plateforme@enrs.mssante.fr"
    assert message["Message-ID"] == dispatch.message_id
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "cr.xml" and attachment.get_content() in (CDA, CDA.decode())


def test_the_professionals_own_mssante_address_is_the_sender(peer, doctor):
    from enrs.directory.models import Professional

    Professional.objects.filter(user=doctor).update(mssante_address="h.lefevre@cabinet.mssante.fr")
    dispatch = mssante.send(doctor, to_address="secretariat@ch.mssante.fr", subject="Courrier", body="Texte")
    assert dispatch.status == "sent" and peer.received.envelopes[-1].mail_from == "h.lefevre@cabinet.mssante.fr"
    assert _parsed(peer)["X-MSS-CODECDA"] is None and _parsed(peer)["Disposition-Notification-To"] is None


def test_wrong_credentials_fail_and_the_dispatch_is_kept(peer, doctor, settings):
    settings.ENRS_MSSANTE_PASSWORD = "mauvais"
    dispatch = mssante.send(doctor, to_address="a@b.mssante.fr", subject="Objet", body="Corps conservé")
    assert dispatch.status == "failed" and "SMTPAuthenticationError" in dispatch.error
    assert MssanteDispatch.objects.get().body == "Corps conservé" and peer.received.envelopes == []


def test_an_untrusted_certificate_stops_before_anything_is_sent(peer, doctor, settings):
    settings.ENRS_MSSANTE_CA_FILE = ""  # the system store does not know the throwaway certificate
    dispatch = mssante.send(doctor, to_address="a@b.mssante.fr", subject="Objet")
    assert dispatch.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in dispatch.error
    assert peer.received.logins == [] and peer.received.envelopes == []


def test_a_server_without_starttls_is_never_used_in_clear(tmp_path, settings, doctor):
    with SmtpPeer(tmp_path, starttls=False) as plain:
        settings.ENRS_MSSANTE_HOST, settings.ENRS_MSSANTE_PORT = "127.0.0.1", plain.port
        settings.ENRS_MSSANTE_SENDER = "plateforme@enrs.mssante.fr"
        dispatch = mssante.send(doctor, to_address="a@b.mssante.fr", subject="Objet")
    assert dispatch.status == "failed" and "STARTTLS" in dispatch.error and plain.received.envelopes == []


@pytest.mark.parametrize(
    ("address", "subject", "field"),
    [("martin@gmail.com", "Objet", "to_address"), ("pas-une-adresse", "Objet", "to_address"),
     ("a@b.mssante.fr.evil.com", "Objet", "to_address"), ("a@b.mssante.fr", " ", "subject")],
)  # fmt: skip
def test_bad_requests_are_refused_before_any_connection(peer, doctor, address, subject, field):
    with pytest.raises(MssanteError) as error:
        mssante.send(doctor, to_address=address, subject=subject, data=b"%PDF-1.4 rien", filename="x.pdf")
    assert field in error.value.message_dict
    assert not MssanteDispatch.objects.exists() and not Attachment.objects.exists() and peer.received.logins == []


def test_without_configuration_the_user_is_told_in_french(doctor, settings):
    settings.ENRS_MSSANTE_HOST = ""
    settings.ENRS_MSSANTE_SENDER = "plateforme@enrs.mssante.fr"
    with pytest.raises(MssanteError, match="pas configuré"):
        mssante.send(doctor, to_address="a@b.mssante.fr", subject="Objet")


def _attachments(message) -> dict:
    return {part.get_filename(): part for part in message.iter_attachments()}


def test_a_cda_also_travels_in_an_ihe_xdm_archive(peer, doctor, patient_account):
    import hashlib
    import io
    import zipfile

    from lxml import etree

    _user, patient = patient_account
    dispatch = mssante.send(doctor, to_address="dr.martin@ch-exemple.mssante.fr", subject="Compte rendu",
                            body="CR joint.", data=CDA, filename="cr.xml", patient=patient)  # fmt: skip
    assert dispatch.status == "sent", dispatch.error
    parts = _attachments(_parsed(peer))
    assert set(parts) == {"cr.xml", "IHE_XDM.ZIP"} and parts["IHE_XDM.ZIP"].get_content_type() == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(parts["IHE_XDM.ZIP"].get_content()))
    assert sorted(archive.namelist()) == [
        "IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/METADATA.XML", "INDEX.HTM", "README.TXT"
    ]
    assert archive.read("IHE_XDM/SUBSET01/DOC0001.XML") == CDA
    assert b"IHE_XDM/SUBSET01/DOC0001.XML" in archive.read("INDEX.HTM")
    root = etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"))
    ns = {"rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"}
    assert root.tag == "{urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0}SubmitObjectsRequest"

    def slot(name):
        return root.xpath(f"//rim:ExtrinsicObject/rim:Slot[@name='{name}']/rim:ValueList/rim:Value/text()", namespaces=ns)

    assert slot("URI") == ["DOC0001.XML"] and slot("size") == [str(len(CDA))]
    assert slot("hash") == [hashlib.sha1(CDA).hexdigest()]  # noqa: S324
    # Not a qualified identity: the local id under the configured OID, never the INS.
    assert slot("sourcePatientId") == [f"{patient.pk}^^^&1.2.250.1.999.1.2&ISO"]
    assert root.xpath("//rim:Classification[@nodeRepresentation='11490-0']", namespaces=ns)
    association = root.xpath("//rim:Association", namespaces=ns)[0]
    assert association.get("sourceObject") == "SubmissionSet01" and association.get("targetObject") == "Document01"
    recipients = root.xpath("//rim:RegistryPackage/rim:Slot[@name='intendedRecipient']//rim:Value/text()", namespaces=ns)
    assert recipients == ["|dr.martin@ch-exemple.mssante.fr^^^^^^^^^^^^^INTERNET"]


def test_a_qualified_identity_travels_as_its_ins(doctor, patient_account):
    from enrs.identity.models import OID_NIR
    from enrs.messaging import xdm

    _user, patient = patient_account
    patient.ins_matricule, patient.ins_oid, patient.identity_status = "255069912345678", OID_NIR, "QUAL"
    assert xdm.patient_id(patient, xdm.config()) == f"255069912345678^^^&{OID_NIR}&ISO"
    patient.identity_status = "PROV"
    assert "255069912345678" not in xdm.patient_id(patient, xdm.config())


def test_xdm_packaging_is_configurable(peer, doctor, settings):
    settings.ENRS_MSSANTE_XDM = "never"
    mssante.send(doctor, to_address="a@ch.mssante.fr", subject="CR", data=CDA, filename="cr.xml")
    assert set(_attachments(_parsed(peer))) == {"cr.xml"}
    settings.ENRS_MSSANTE_XDM, settings.ENRS_MSSANTE_XDM_KEEP_ORIGINAL = "always", False
    settings.ENRS_MSSANTE_XDM_FILENAME = "XDM.ZIP"
    mssante.send(doctor, to_address="a@ch.mssante.fr", subject="Note", data="Bonjour\n".encode(), filename="note.txt")
    parts = _attachments(_parsed(peer))
    assert set(parts) == {"XDM.ZIP"}
    import io
    import zipfile

    assert "IHE_XDM/SUBSET01/DOC0001.TXT" in zipfile.ZipFile(io.BytesIO(parts["XDM.ZIP"].get_content())).namelist()
