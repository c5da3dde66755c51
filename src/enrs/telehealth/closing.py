"""During and after a video session: documents shared in the room, and closing a teleconsultation
(the report from a template lands in the patient's coordination record, optionally sent by
MSSanté; the act TCG/TC is recorded with the day's tariff, unconfirmed amounts flagged).

Reports are Django templates named by code (``REPORT_TEMPLATES``), rendered to PDF by WeasyPrint
as the e-RCP decisions are. The coordination document is stored through
``enrs.coordination.services.store_document`` (its own durable transaction, content checked by
``check_upload``); the report row, the act and the room's end follow in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrs.coordination import selectors as coordination_selectors
from enrs.coordination import services as coordination
from enrs.core import permissions
from enrs.telehealth import rooms, services
from enrs.telehealth.models import Act, RoomInvitation, RoomReport, SessionDocument, VideoRoom

REPORT_TEMPLATES = {
    "teleconsultation": (gettext_lazy("Compte rendu de téléconsultation"), "telehealth/reports/teleconsultation.html"),
}
REPORT_TYPE_CODE = "11488-4"  # LOINC "Compte rendu de consultation" (coordination codes)
BILLING_CODES = ("TCG", "TC")  # sector 1 / OPTAM, sector 2 (tariffs are data in telehealth.yaml)
MAX_FIELD = 5000


@dataclass
class Closed:
    report: RoomReport
    act: Act
    document_id: int
    dispatch_status: str = ""


def _fail(field: str, message: str):
    raise ValidationError({field: [message]})


def share_document(user, room: VideoRoom, *, name: str, data: bytes, channel: str = "web") -> SessionDocument:
    """A file shared during the session by any participant (PDF, PNG, JPEG proven by their bytes)."""
    rooms.entry_invitation(user, room)
    permissions.require(user, "read", room, channel=channel)
    ((name, data, checked),) = services._check_files([(name, data)], allowed=services.ATTACHMENTS, field="document")
    return SessionDocument.objects.create(room=room, **services._store(f"salle/{room.pk}", name, data, checked, user))


def _text(fields: dict, key: str, label: str, *, required: bool) -> str:
    value = str(fields.get(key) or "").replace("\x00", "").strip()
    if required and not value:
        _fail(key, _("Le champ « %(label)s » est obligatoire.") % {"label": label})
    if len(value) > MAX_FIELD:
        _fail(key, _("Le champ « %(label)s » dépasse %(n)d caractères.") % {"label": label, "n": MAX_FIELD})
    return value


def render_report(room: VideoRoom, host, *, template_code: str, fields: dict) -> tuple[str, bytes]:
    if template_code not in REPORT_TEMPLATES:
        _fail("template_code", _("Modèle de compte rendu inconnu : « %(code)s ».") % {"code": str(template_code)[:40]})
    context = {
        "reason": _text(fields, "reason", _("Motif"), required=True),
        "findings": _text(fields, "findings", _("Observations"), required=False),
        "conclusion": _text(fields, "conclusion", _("Conclusion et conduite à tenir"), required=True),
    }
    title, template = REPORT_TEMPLATES[template_code]
    html = render_to_string(template, {
        **context, "room": room, "patient": room.patient, "host": host, "host_name": rooms.display_name(host),
        "title": title, "signed_at": timezone.localtime(), "participants": room.invitations.select_related("user"),
        "agency_name": getattr(settings, "ENRS_AGENCY_NAME", "Agence régionale d'e-santé"),
    })  # fmt: skip
    from weasyprint import HTML  # late: loads pango only when a PDF is asked for

    text = "\n".join(f"{k}: {v}" for k, v in context.items())
    return text, HTML(string=html).write_pdf()


def close_teleconsultation(host, room: VideoRoom, *, template_code: str, fields: dict, billing_code: str = "TCG",
                           mssante_to: str = "", channel: str = "web") -> Closed:
    """End the session: report into the coordination record, act recorded, room ended."""
    permissions.require(host, "update", room, channel=channel)
    if not room.invitations.filter(user=host, role=RoomInvitation.Role.HOST).exists():
        raise PermissionDenied(_("Seul l'hôte de la salle clôt la téléconsultation."))
    if room.kind != VideoRoom.Kind.TELECONSULTATION or room.patient_id is None:
        _fail("room", _("Seule une téléconsultation avec un patient se clôt par un compte rendu."))
    if room.status == VideoRoom.Status.ENDED or RoomReport.objects.filter(room=room).exists():
        _fail("room", _("Cette téléconsultation est déjà close."))
    if billing_code not in BILLING_CODES:
        _fail("billing_code", _("Code d'acte inconnu : TCG (secteur 1 / OPTAM) ou TC (secteur 2)."))
    text, pdf = render_report(room, host, template_code=template_code, fields=fields)
    now = timezone.now()
    try:
        record = coordination_selectors.record_of(room.patient) or coordination.open_record(room.patient, by=host, channel=channel)
        document = _store_report(record, pdf, room, host, now, template_code, channel)
    except PermissionDenied as error:
        _fail("room", _("Le compte rendu ne peut pas être versé au dossier de coordination du patient (%(reason)s) : "
                        "rejoignez d'abord son équipe de soins. Rien n'a été enregistré.") % {"reason": str(error).rstrip(".")})
    with transaction.atomic():
        report = RoomReport.objects.create(room=room, template_code=template_code, text=text, signed_by=host, signed_at=now,
                                           coordination_document_id=document.pk)  # fmt: skip
        act = services.record_act(kind=Act.Kind.TELECONSULTATION, patient=room.patient, professional=host, party="professional",
                                  performed_at=now, source=f"salle:{room.pk}", code=billing_code)  # fmt: skip
        VideoRoom.objects.filter(pk=room.pk).update(status=VideoRoom.Status.ENDED, ended_at=now)
    closed = Closed(report=report, act=act, document_id=document.pk)
    if mssante_to:
        closed.dispatch_status = _send_by_mssante(host, room, report, pdf, mssante_to)
    return closed


def _store_report(record, pdf: bytes, room: VideoRoom, host, now, template_code: str, channel: str):
    return coordination.store_document(
        record, pdf, filename=f"compte-rendu-teleconsultation-{room.pk}.pdf", by=host, channel=channel,
        meta=coordination.DocumentInput(title=str(REPORT_TEMPLATES[template_code][0]), type_code=REPORT_TYPE_CODE,
                                        service_date=timezone.localdate(now), visible_to_patient=True),
    )  # fmt: skip


def _send_by_mssante(host, room: VideoRoom, report: RoomReport, pdf: bytes, to_address: str) -> str:
    """The report by MSSanté (messaging's service); a refusal or an SMTP failure leaves the close done."""
    from enrs.messaging import mssante

    try:
        dispatch = mssante.send(host, to_address=to_address, subject=_("Compte rendu de téléconsultation"),
                                body=_("Compte rendu de téléconsultation en pièce jointe."), data=pdf,
                                filename=f"compte-rendu-teleconsultation-{room.pk}.pdf", patient=room.patient)  # fmt: skip
    except mssante.MssanteError as error:
        return "refused: " + " ".join(error.messages)
    RoomReport.objects.filter(pk=report.pk).update(mssante_dispatch_id=dispatch.pk)
    return dispatch.status
