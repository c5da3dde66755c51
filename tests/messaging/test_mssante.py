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
