"""MSSanté sending: a document or a message submitted to the operator's SMTP server.

Conventions applied (docs/services/messaging.md lists their sources):
- submission over SMTP with STARTTLS (port 587 by default) and authentication; the
  session is refused if the server does not offer STARTTLS or the certificate does
  not verify: nothing is ever sent in clear;
- recipients must be MSSanté addresses (domain ending with ``ENRS_MSSANTE_DOMAIN_SUFFIX``,
  "mssante.fr" by default);
- a CDA R2 attachment gets the ``X-MSS-CODECDA`` header with the document's
  ``code/@code`` (Référentiel socle MSSanté #2, ECO.2.4.1);
- a CDA document also travels in an IHE XDM archive ``IHE_XDM.ZIP`` (``xdm.py``);
- unconfirmed conventions are settings: read receipt request
  (``Disposition-Notification-To``), extra headers, client certificate.

Every attempt is kept as an ``MssanteDispatch`` (sent or failed, with the error).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from enrs.core import permissions
from enrs.messaging import attachments as attachment_store
from enrs.messaging import xdm
from enrs.messaging.models import MssanteDispatch

CDA_NS = "urn:hl7-org:v3"
MAX_SUBJECT = 250


class MssanteError(ValidationError):
    """Refused before sending (bad address, missing configuration), in French."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    sender: str
    domain_suffix: str
    ca_file: str
    client_cert: str
    client_key: str
    timeout: float
    read_receipt: bool
    extra_headers: dict


def config() -> SmtpConfig:
    get = lambda name, default="": getattr(settings, f"ENRS_MSSANTE_{name}", default)  # noqa: E731
    return SmtpConfig(
        host=get("HOST"), port=int(get("PORT", 587)), username=get("USERNAME"), password=get("PASSWORD"),
        sender=get("SENDER"), domain_suffix=get("DOMAIN_SUFFIX", "mssante.fr"), ca_file=get("CA_FILE"),
        client_cert=get("CLIENT_CERT"), client_key=get("CLIENT_KEY"), timeout=float(get("TIMEOUT", 20)),
        read_receipt=bool(get("READ_RECEIPT", False)), extra_headers=dict(get("EXTRA_HEADERS", {}) or {}),
    )  # fmt: skip


def is_mssante_address(address: str, suffix: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    domain = address.rsplit("@", 1)[1].lower()
    suffix = suffix.lower().lstrip(".")
    return domain == suffix or domain.endswith("." + suffix)


def sender_address(user, cfg: SmtpConfig) -> str:
    """The professional's own MSSanté address from the directory, else the platform's mailbox."""
    from enrs.directory import selectors as directory_selectors

    professional = directory_selectors.professional_of_user(user)
    return (professional.mssante_address if professional and professional.mssante_address else "") or cfg.sender


def cda_code(data: bytes) -> str:
    """``ClinicalDocument/code/@code`` of a CDA R2 document ("" when absent)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    code = root.find(f"{{{CDA_NS}}}code")
    return code.get("code", "") if code is not None else ""


def build_message(cfg: SmtpConfig, *, from_address: str, to_address: str, subject: str, body: str,
                  attachment=None, data: bytes | None = None, patient=None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=from_address.rsplit("@", 1)[1])
    if cfg.read_receipt:
        message["Disposition-Notification-To"] = from_address
    for name, value in cfg.extra_headers.items():
        message[name] = value
    message.set_content(body or "")
    if attachment is not None:
        maintype, _sep, subtype = attachment.media_type.partition("/")
        code = cda_code(data) if attachment.media_type.endswith("xml") else ""
        if code:
            message["X-MSS-CODECDA"] = code
        packaging = xdm.config()
        packaged = xdm.wanted(packaging, is_cda=bool(code))
        if not packaged or packaging.keep_original:
            message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename)
        if packaged:
            archive = xdm.package(
                packaging, document=data, media_type=attachment.media_type, filename=attachment.filename,
                title=subject, patient=patient, author=from_address, recipient=to_address, type_code=code,
            )
            message.add_attachment(archive, maintype="application", subtype="zip", filename=packaging.filename)
    return message


def _tls_context(cfg: SmtpConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cfg.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cfg.client_cert:
        context.load_cert_chain(cfg.client_cert, cfg.client_key or None)
    return context


def submit(cfg: SmtpConfig, message: EmailMessage) -> None:
    """One SMTP session: EHLO, STARTTLS (mandatory), EHLO, AUTH, MAIL/RCPT/DATA, QUIT."""
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError(_("Le serveur MSSanté ne propose pas STARTTLS : envoi refusé."))
        smtp.starttls(context=_tls_context(cfg))
        smtp.ehlo()
        if cfg.username:
            smtp.login(cfg.username, cfg.password)
        smtp.send_message(message)


def _check_request(cfg: SmtpConfig, from_address: str, to_address: str, subject: str) -> dict:
    errors = {}
    if not cfg.host:
        errors["__all__"] = [_("L'envoi MSSanté n'est pas configuré sur cette plateforme (ENRS_MSSANTE_HOST).")]
    if not is_mssante_address(to_address, cfg.domain_suffix):
        errors["to_address"] = [
            _("« %(a)s » n'est pas une adresse MSSanté (domaine en %(s)s attendu).") % {"a": to_address, "s": cfg.domain_suffix}
        ]
    if not from_address:
        errors["__all__"] = [_("Aucune adresse MSSanté d'expédition : renseignez la vôtre dans l'annuaire.")]
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("L'objet est obligatoire (%(max)d caractères au plus).") % {"max": MAX_SUBJECT}]
    return errors


def send(user, *, to_address: str, subject: str, body: str = "", data: bytes | None = None, filename: str = "",
         patient=None) -> MssanteDispatch:
    """Check, store the attachment, submit; the dispatch is kept whatever the SMTP outcome."""
    cfg = config()
    to_address = (to_address or "").strip()
    from_address = sender_address(user, cfg)
    errors = _check_request(cfg, from_address, to_address, subject or "")
    if patient is not None and not permissions.can(user, "read", patient):
        errors["patient"] = [_("Vous n'avez pas accès au dossier de ce patient.")]
    if errors:
        raise MssanteError(errors)
    attachment = attachment_store.store(user, data, filename) if data else None
    message = build_message(cfg, from_address=from_address, to_address=to_address, subject=subject.strip(),
                            body=body, attachment=attachment, data=data, patient=patient)  # fmt: skip
    dispatch = MssanteDispatch(
        sender=user, from_address=from_address, to_address=to_address, subject=subject.strip(), body=body,
        attachment=attachment, patient=patient, message_id=message["Message-ID"],
    )
    try:
        submit(cfg, message)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
        dispatch.status, dispatch.error = MssanteDispatch.Status.FAILED, f"{type(error).__name__}: {error}"[:2000]
    else:
        dispatch.status = MssanteDispatch.Status.SENT
    dispatch.save()
    return dispatch
