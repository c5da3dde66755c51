"""What the patient and the booker are told: e-mail with the ``.ics``, SMS, in-app notification.

E-mails go through Django's mail backend (SMTP in production) after the
transaction commits; the SMS goes through the kernel's provider interface
(``enrs.core.sms``) via ``enrs.core.notifications.notify``. The SMS carries
the time and place only, never the motif (health detail on a lock screen).
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.agenda import ical
from enrs.agenda.models import Appointment

logger = logging.getLogger("enrs.agenda")

SUBJECTS = {
    "booked": _("Rendez-vous confirmé"),
    "confirmed": _("Rendez-vous confirmé"),
    "rescheduled": _("Rendez-vous déplacé"),
    "cancelled": _("Rendez-vous annulé"),
    "reminder": _("Rappel de rendez-vous"),
}


def _when(appointment: Appointment) -> str:
    local = timezone.localtime(appointment.start)
    return _("le %(day)s à %(time)s") % {"day": f"{local:%d/%m/%Y}", "time": f"{local:%H:%M}"}


def _body(appointment: Appointment, event: str) -> str:
    agenda = appointment.agenda
    lines = [
        _("Bonjour,"),
        "",
        _("%(subject)s : %(motif)s avec %(agenda)s, %(when)s.") % {
            "subject": SUBJECTS[event], "motif": appointment.motif.label, "agenda": agenda.name, "when": _when(appointment)},
    ]
    if agenda.address or agenda.city:
        lines.append(_("Lieu : %(place)s") % {"place": ", ".join(filter(None, [agenda.address, agenda.city]))})
    if appointment.motif.mode == appointment.motif.Mode.TELECONSULTATION:
        lines.append(_("Il s'agit d'une téléconsultation : le lien vous sera envoyé par le praticien."))
    if event == "cancelled" and appointment.cancel_reason:
        lines.append(_("Motif de l'annulation : %(reason)s") % {"reason": appointment.cancel_reason})
    if event != "cancelled":
        lines += ["", _("Vous pouvez consulter ou annuler ce rendez-vous dans « Mes rendez-vous » : %(url)s") % {"url": _absolute(reverse("agenda:my_appointments"))}]
    lines += ["", _("Le fichier joint (.ics) ajoute ce rendez-vous à votre agenda.")]
    return "\n".join(lines)


def _absolute(path: str) -> str:
    from django.conf import settings

    return settings.ENRS_PUBLIC_URL.rstrip("/") + path


def _recipient_email(appointment: Appointment) -> str:
    if appointment.contact_email:
        return appointment.contact_email
    if appointment.patient_id and appointment.patient.user_id:
        return appointment.patient.user.email
    if appointment.patient_id and appointment.patient.email:
        return appointment.patient.email
    return ""


def appointment_event(appointment_id: int, event: str) -> None:
    """Send the e-mail (with the .ics) and the SMS of ``event``; a transport failure is logged, never raised."""
    appointment = Appointment.objects.select_related("agenda", "motif", "patient", "patient__user", "booked_by").get(pk=appointment_id)
    address = _recipient_email(appointment)
    if address:
        message = EmailMessage(f"{SUBJECTS[event]} — {_when(appointment)}", _body(appointment, event), None, [address])
        message.attach("rendez-vous.ics", ical.appointment_ics(appointment), "text/calendar")
        try:
            message.send()
        except Exception as error:  # noqa: BLE001 - the SMTP server may be down; the booking stands
            logger.warning("appointment %s: e-mail failed: %s", appointment_id, error)
    _notify_patient(appointment, event)


def _notify_patient(appointment: Appointment, event: str) -> None:
    user = appointment.patient.user if appointment.patient_id else None
    if user is None:
        return
    from enrs.core.notifications import notify

    phone = appointment.contact_phone or appointment.patient.phone
    sms_text = _("%(subject)s %(when)s, %(place)s.") % {
        "subject": SUBJECTS[event], "when": _when(appointment), "place": appointment.agenda.city or appointment.agenda.name}
    notify(user, kind="agenda", title=f"{SUBJECTS[event]} — {_when(appointment)}", body=_body(appointment, event),
           link=reverse("agenda:my_appointments"), email=False, sms=bool(phone), phone=phone, sms_text=sms_text)


def tell_slot_freed(entry, freed_start) -> None:
    user = entry.patient.user
    if user is None:
        return
    from enrs.core.notifications import notify

    local = timezone.localtime(freed_start)
    notify(user, kind="agenda", title=_("Un créneau s'est libéré"),
           body=_("Un créneau « %(motif)s » s'est libéré le %(day)s à %(time)s. Il n'est pas réservé pour vous : réservez-le vite.")
           % {"motif": entry.motif.label, "day": f"{local:%d/%m/%Y}", "time": f"{local:%H:%M}"},
           link=reverse("agenda:agenda_detail", args=[entry.motif.agenda_id]))
