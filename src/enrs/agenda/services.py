"""Writes of the agenda app: agendas, motifs, rules, absences, bookings.

Every booking goes through :func:`_claim`: one transaction that checks the slot
is offered (rules, holidays, absences, booking window, who may book), frees the
cells of holds that have expired, then inserts the appointment and one
``SlotClaim`` per cell. The unique ``(agenda, start)`` constraint on the claims
makes a second overlapping booking fail *in the database*; it is reported as a
French ``SlotUnavailable`` error and nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.agenda import selectors
from enrs.agenda import slots as arithmetic
from enrs.agenda.models import Absence, Agenda, Appointment, Circuit, Motif, OpeningRule, SlotClaim, WaitingListEntry
from enrs.core.text import fold
from enrs.offer import geo

logger = logging.getLogger(__name__)
HOLD_MINUTES = 5
LOCK_RETRIES = 60  # SQLite answers "database is locked" under heavy write contention: try again


class SlotUnavailable(ValidationError):
    """The slot cannot be booked (taken, closed, outside the window): a French message naming why."""


# --- Agendas -----------------------------------------------------------------------------------
def _place_agenda(agenda: Agenda) -> None:
    organisation = agenda.organisation
    if agenda.latitude is None and organisation.latitude is not None:
        agenda.latitude, agenda.longitude = float(organisation.latitude), float(organisation.longitude)
    if agenda.latitude is not None:
        agenda.ux, agenda.uy, agenda.uz = geo.unit_vector(agenda.latitude, agenda.longitude)
    agenda.city = agenda.city or organisation.city
    agenda.commune_insee = agenda.commune_insee or organisation.commune_insee
    agenda.address = agenda.address or organisation.address_line
    names = [agenda.name, agenda.organisation.name, agenda.specialty_label]
    if agenda.professional_id:
        names += [agenda.professional.last_name, agenda.professional.first_name]
    agenda.folded_name = fold(" ".join(filter(None, names)))[:400]


def save_agenda(agenda: Agenda) -> Agenda:
    """Create or update an agenda (position, search name and caches derived)."""
    if agenda.granularity_minutes not in {choice for choice, _label in Agenda._meta.get_field("granularity_minutes").choices}:
        raise ValidationError({"granularity_minutes": _("Pas d'agenda non pris en charge.")})
    _place_agenda(agenda)
    agenda.full_clean(exclude=["feed_token"])
    agenda.save()
    refresh_next_free(agenda)
    return agenda


def create_agenda(**fields) -> Agenda:
    return save_agenda(Agenda(**fields))


def add_motif(agenda: Agenda, **fields) -> Motif:
    motif = Motif(agenda=agenda, **fields)
    errors = {}
    if not motif.duration_minutes or motif.duration_minutes % agenda.granularity_minutes:
        errors["duration_minutes"] = [_("La durée doit être un multiple du pas de l'agenda (%(step)d minutes).") % {"step": agenda.granularity_minutes}]
    if motif.audience == Motif.Audience.CIRCUIT and motif.circuit_id is None:
        errors["circuit"] = [_("Un motif réservé aux confrères d'un circuit doit nommer ce circuit.")]
    if errors:
        raise ValidationError(errors)
    motif.full_clean()
    motif.save()
    _refresh_modes(agenda)
    refresh_next_free(agenda)
    return motif


def _refresh_modes(agenda: Agenda) -> None:
    agenda.offers_teleconsultation = agenda.motifs.filter(
        active=True, mode=Motif.Mode.TELECONSULTATION, audience=Motif.Audience.PATIENTS).exists()
    Agenda.objects.filter(pk=agenda.pk).update(offers_teleconsultation=agenda.offers_teleconsultation)


def add_rule(agenda: Agenda, *, rrule: str, start_date: dt.date, start_time: dt.time, end_time: dt.time,
             end_date: dt.date | None = None, motifs=(), label: str = "") -> OpeningRule:
    """Add an opening rule; refuses a rule that overlaps another one or opens no slot."""
    spec = arithmetic.RuleSpec(arithmetic.normalise_rrule(rrule), start_date, end_date, start_time, end_time)
    check_rule(agenda, spec, motifs)
    with transaction.atomic():
        rule = OpeningRule.objects.create(agenda=agenda, label=label, rrule=spec.rrule, start_date=start_date,
                                          end_date=end_date, start_time=start_time, end_time=end_time)
        if motifs:
            rule.motifs.set(motifs)
    refresh_next_free(agenda)
    return rule


def check_rule(agenda: Agenda, spec: arithmetic.RuleSpec, motifs=(), *, ignore: OpeningRule | None = None) -> None:
    if spec.end_date is not None and spec.end_date < spec.start_date:
        raise ValidationError({"end_date": _("La date de fin précède la date de début.")})
    arithmetic.check_times(spec.start_time, spec.end_time, agenda.granularity_minutes)
    horizon = spec.end_date or spec.start_date + dt.timedelta(days=arithmetic.MAX_RULE_SPAN_DAYS)
    days = [d for d in arithmetic.occurrence_dates(spec, spec.start_date, horizon)
            if not (agenda.closed_on_public_holidays and arithmetic.is_public_holiday(d))]
    if not days:
        raise ValidationError({"rrule": _("Cette règle n'ouvre aucun jour entre le %(start)s et le %(end)s : elle ne produirait aucun créneau.")
                               % {"start": f"{spec.start_date:%d/%m/%Y}", "end": f"{horizon:%d/%m/%Y}"}})
    offered = list(motifs) or list(agenda.motifs.filter(active=True))
    minutes = (dt.datetime.combine(dt.date.min, spec.end_time) - dt.datetime.combine(dt.date.min, spec.start_time)).seconds // 60
    if offered and all(m.duration_minutes > minutes for m in offered):
        raise ValidationError({"end_time": _("La plage (%(minutes)d min) est plus courte que chaque motif proposé : aucun créneau.")
                               % {"minutes": minutes}})
    for other in agenda.rules.exclude(pk=getattr(ignore, "pk", None)):
        other_spec = selectors.rule_spec(other)
        if not arithmetic.hours_overlap(spec, other_spec):
            continue
        shared = arithmetic.common_dates(spec, other_spec)
        if shared:
            raise ValidationError({"rrule": _("Cette règle chevauche la plage « %(other)s » (par exemple le %(day)s) : une heure ne peut être ouverte deux fois.")
                                   % {"other": other.label or str(other), "day": f"{shared[0]:%d/%m/%Y}"}})


def add_absence(agenda: Agenda, *, start: dt.datetime, end: dt.datetime, reason: str = "") -> Absence:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"start": _("Date et heure avec fuseau horaire attendues.")})
    if end <= start:
        raise ValidationError({"end": _("La fin de l'absence doit suivre son début.")})
    absence = Absence.objects.create(agenda=agenda, start=start, end=end, reason=reason[:200])
    refresh_next_free(agenda)
    return absence


def set_published(agenda: Agenda, published: bool) -> Agenda:
    """Open or close the agenda to the public e-RDV search (booked appointments stay)."""
    Agenda.objects.filter(pk=agenda.pk).update(published=published, updated_at=timezone.now())
    agenda.published = published
    return agenda


def deactivate_motif(motif: Motif) -> Motif:
    """Stop offering a motif: its future appointments stay booked; a deactivated motif is never deleted
    because appointments point to it."""
    Motif.objects.filter(pk=motif.pk).update(active=False)
    motif.active = False
    _refresh_modes(motif.agenda)
    refresh_next_free(motif.agenda)
    return motif


def remove_rule(rule: OpeningRule) -> None:
    """Close the hours of a rule from now on: appointments already booked in them stay (their cells are claimed)."""
    agenda = rule.agenda
    rule.delete()
    refresh_next_free(agenda)


def remove_absence(absence: Absence) -> None:
    agenda = absence.agenda
    absence.delete()
    refresh_next_free(agenda)


def create_circuit(name: str, organisations, description: str = "") -> Circuit:
    circuit = Circuit.objects.create(name=name, description=description)
    circuit.organisations.set(organisations)
    return circuit


def refresh_next_free(agenda: Agenda, *, now: dt.datetime | None = None) -> None:
    """Recompute the cached next slot a patient may book (the e-RDV search sorts on it)."""
    _retry_locked(lambda: _refresh_next_free(agenda, now or timezone.now()))


def _refresh_next_free(agenda: Agenda, now: dt.datetime) -> None:
    slot = selectors.next_free_for_patients(agenda, now=now) if agenda.published and agenda.active else None
    agenda.next_free_at = slot.start if slot else None
    agenda.next_free_checked_at = now
    Agenda.objects.filter(pk=agenda.pk).update(next_free_at=agenda.next_free_at, next_free_checked_at=now)


# --- Booking -----------------------------------------------------------------------------------
def _offered(motif: Motif, start: dt.datetime, now: dt.datetime) -> selectors.Slot:
    """The slot of ``motif`` starting at ``start`` if the rules offer it now; else a precise French error."""
    if timezone.is_naive(start):
        raise SlotUnavailable(_("Heure de rendez-vous sans fuseau horaire."))
    earliest, latest = selectors.booking_window(motif, now)
    local = start.astimezone(arithmetic.PARIS)
    if start < earliest:
        raise SlotUnavailable(_("Ce créneau est trop proche : ce motif se réserve au moins %(minutes)d minutes à l'avance.")
                              % {"minutes": motif.min_notice_minutes})
    if start >= latest:
        raise SlotUnavailable(_("Ce créneau est au-delà de l'horizon de réservation (%(days)d jours).") % {"days": motif.horizon_days})
    day_start = arithmetic.local_instant(local.date(), dt.time())
    day_end = arithmetic.local_instant(local.date() + dt.timedelta(days=1), dt.time())
    for slot in selectors.slots(motif, day_start, day_end, now=now, include_busy=True, within_window=False):
        if slot.start == start:
            return slot
    if motif.agenda.closed_on_public_holidays and arithmetic.is_public_holiday(local.date()):
        raise SlotUnavailable(_("Le %(day)s est un jour férié : l'agenda est fermé.") % {"day": f"{local:%d/%m/%Y}"})
    if selectors.closed_intervals(motif.agenda, start, start + dt.timedelta(minutes=motif.duration_minutes)):
        raise SlotUnavailable(_("Le praticien est absent à cette heure-là."))
    raise SlotUnavailable(_("Aucun créneau « %(motif)s » ne commence le %(when)s : jour fermé ou hors des plages d'ouverture.")
                          % {"motif": motif.label, "when": f"{local:%d/%m/%Y à %H:%M}"})


def _release_expired(agenda: Agenda, cells: list[dt.datetime], now: dt.datetime) -> None:
    expired = Appointment.objects.filter(
        agenda=agenda, status=Appointment.Status.PENDING, hold_expires_at__lt=now, claims__start__in=cells)
    ids = list(expired.values_list("pk", flat=True).distinct())
    if ids:
        SlotClaim.objects.filter(appointment_id__in=ids).delete()
        Appointment.objects.filter(pk__in=ids).update(
            status=Appointment.Status.CANCELLED, cancel_reason=_("Réservation non confirmée à temps."), cancelled_at=now)


def _retry_locked(work):
    """Run ``work()``; when SQLite answers "database is locked" (writers queue on one lock), try again."""
    for attempt in range(LOCK_RETRIES):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def _claim(appointment: Appointment, now: dt.datetime) -> Appointment:
    """Store ``appointment`` and its cells in one transaction, or raise SlotUnavailable (nothing stored)."""
    agenda = appointment.agenda
    duration = appointment.end - appointment.start
    cells = arithmetic.cells(appointment.start, duration, dt.timedelta(minutes=agenda.granularity_minutes))

    def insert() -> Appointment:
        appointment.pk = None
        try:
            with transaction.atomic():
                _release_expired(agenda, cells, now)
                appointment.save(force_insert=True)
                SlotClaim.objects.bulk_create([SlotClaim(agenda=agenda, start=cell, appointment=appointment) for cell in cells])
        except IntegrityError as exc:
            appointment.pk = None
            raise SlotUnavailable(_("Ce créneau vient d'être réservé par quelqu'un d'autre. Choisissez-en un autre.")) from exc
        except OperationalError:
            appointment.pk = None
            raise
        return appointment

    return _retry_locked(insert)


def _check_contact(email: str, phone: str) -> None:
    from django.core.validators import validate_email

    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"contact_email": _("Adresse e-mail invalide.")}) from exc
    if phone and not phone.replace(" ", "").lstrip("+").isdigit():
        raise ValidationError({"contact_phone": _("Numéro de téléphone invalide (chiffres, espaces et + seulement).")})


def _new_appointment(motif: Motif, slot, *, patient, patient_label: str, comment: str, external_identifier: str,
                     **fields) -> Appointment:
    """The unsaved appointment of a booking or a connector's declaration (``_claim`` stores it)."""
    return Appointment(
        agenda=motif.agenda, motif=motif, start=slot.start, end=slot.end, patient=patient,
        patient_label=(patient_label or (patient.display_name if patient else ""))[:200], comment=comment[:500],
        external_identifier=external_identifier[:200], **fields,
    )


def book(motif: Motif, start: dt.datetime, *, user, patient=None, patient_label: str = "", hold: bool = False,
         contact_email: str = "", contact_phone: str = "", comment: str = "", now: dt.datetime | None = None,
         external_identifier: str = "") -> Appointment:
    """Book (or hold, for the patient flow) the slot of ``motif`` at ``start`` for ``user``."""
    now = now or timezone.now()
    if not selectors.may_book(user, motif):
        raise SlotUnavailable(_("Ce motif n'est pas ouvert à la réservation pour votre compte."))
    _check_contact(contact_email, contact_phone)
    slot = _retry_locked(lambda: _offered(motif, start, now))
    organisation_ids = selectors.organisation_ids_of(user) if selectors.is_professional(user) else set()
    organisation_id = next(iter(sorted(organisation_ids)), None)
    if motif.circuit_id:
        members = set(motif.circuit.organisations.values_list("pk", flat=True)) & organisation_ids
        organisation_id = min(members) if members else organisation_id
    appointment = _new_appointment(
        motif, slot, patient=patient, patient_label=patient_label, comment=comment, external_identifier=external_identifier,
        status=Appointment.Status.PENDING if hold else Appointment.Status.BOOKED,
        hold_expires_at=now + dt.timedelta(minutes=HOLD_MINUTES) if hold else None,
        booked_by=user, booked_by_organisation_id=organisation_id, contact_email=contact_email, contact_phone=contact_phone,
    )
    _claim(appointment, now)
    _after_change(appointment, "booked" if not hold else "held")
    return appointment


def declare(motif: Motif, start: dt.datetime, *, organisation_ids: set[int], patient=None, patient_label: str = "",
            comment: str = "", external_identifier: str = "", now: dt.datetime | None = None) -> Appointment:
    """A connector declares an appointment its own scheduling system made on one of its agendas.

    ``organisation_ids`` are the organisations the connector acts for (checked by the caller from
    its token); the motif's audience does not apply (the structure books its own agenda), the slot
    must still be open and free, exactly as for any booking.
    """
    now = now or timezone.now()
    if motif.agenda.organisation_id not in organisation_ids:
        raise SlotUnavailable(_("Cet agenda n'appartient pas à votre structure."))
    slot = _retry_locked(lambda: _offered(motif, start, now))
    appointment = _new_appointment(
        motif, slot, patient=patient, patient_label=patient_label, comment=comment, external_identifier=external_identifier,
        status=Appointment.Status.BOOKED, booked_by=None, booked_by_organisation_id=motif.agenda.organisation_id,
    )
    _claim(appointment, now)
    _after_change(appointment, "booked")
    return appointment


def confirm(appointment: Appointment, *, user, now: dt.datetime | None = None) -> Appointment:
    """Confirm a held slot; an expired hold is refused unless the slot is still free (then it is re-claimed)."""
    now = now or timezone.now()
    if appointment.status == Appointment.Status.BOOKED:
        return appointment
    if appointment.status != Appointment.Status.PENDING:
        raise SlotUnavailable(_("Ce rendez-vous a été annulé : choisissez un nouveau créneau."))
    with transaction.atomic():
        updated = Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.PENDING, hold_expires_at__gte=now).update(
            status=Appointment.Status.BOOKED, hold_expires_at=None, updated_at=now)
    if not updated:
        raise SlotUnavailable(_("Le délai de confirmation (%(minutes)d minutes) est dépassé : le créneau a été libéré.")
                              % {"minutes": HOLD_MINUTES})
    appointment.refresh_from_db()
    _after_change(appointment, "confirmed")
    return appointment


def may_cancel(appointment: Appointment, user, now: dt.datetime | None = None, *, organisation_ids: set[int] | None = None) -> bool:
    """The patient cancels online until the motif's notice; the agenda's side and the booker any time.

    ``organisation_ids`` (instead of a user): a connector of the agenda's structure, any time before the start."""
    now = now or timezone.now()
    if not appointment.is_active or appointment.start <= now:
        return False
    if organisation_ids is not None:
        return appointment.agenda.organisation_id in organisation_ids
    if appointment.patient_id and appointment.patient.user_id == user.pk and appointment.booked_by_id == user.pk:
        return appointment.start - now >= dt.timedelta(hours=appointment.motif.cancel_notice_hours)
    if appointment.booked_by_id == user.pk:
        return True
    return selectors.agendas_managed_by(user).filter(pk=appointment.agenda_id).exists()


def cancel(appointment: Appointment, *, user, reason: str, now: dt.datetime | None = None,
           organisation_ids: set[int] | None = None) -> Appointment:
    """``user=None`` with ``organisation_ids``: a connector of the agenda's structure cancels."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de l'annulation.")})
    if not may_cancel(appointment, user, now, organisation_ids=organisation_ids):
        raise ValidationError({"reason": _("Ce rendez-vous ne peut plus être annulé en ligne : contactez le secrétariat.")})
    with transaction.atomic():
        SlotClaim.objects.filter(appointment=appointment).delete()
        Appointment.objects.filter(pk=appointment.pk).update(
            status=Appointment.Status.CANCELLED, cancel_reason=reason[:300], cancelled_at=now, cancelled_by=user, updated_at=now)
    appointment.refresh_from_db()
    _after_change(appointment, "cancelled")
    _tell_waiting_list(appointment.motif, appointment.start, now)
    return appointment


def reschedule(appointment: Appointment, new_start: dt.datetime, *, user, reason: str, now: dt.datetime | None = None,
               organisation_ids: set[int] | None = None) -> Appointment:
    """Move an appointment: the new slot is claimed first, then the old one is cancelled (one transaction)."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indiquez le motif du déplacement.")})
    if not may_cancel(appointment, user, now, organisation_ids=organisation_ids):
        raise ValidationError({"reason": _("Ce rendez-vous ne peut plus être déplacé en ligne : contactez le secrétariat.")})
    slot = _offered(appointment.motif, new_start, now)
    moved = Appointment(
        agenda=appointment.agenda, motif=appointment.motif, start=slot.start, end=slot.end, status=Appointment.Status.BOOKED,
        patient=appointment.patient, patient_label=appointment.patient_label, booked_by=appointment.booked_by,
        booked_by_organisation=appointment.booked_by_organisation, contact_email=appointment.contact_email,
        contact_phone=appointment.contact_phone, comment=appointment.comment, rescheduled_from=appointment,
        external_identifier=appointment.external_identifier,
    )
    with transaction.atomic():
        SlotClaim.objects.filter(appointment=appointment).delete()
        Appointment.objects.filter(pk=appointment.pk).update(
            status=Appointment.Status.CANCELLED, cancel_reason=_("Déplacé : %(reason)s") % {"reason": reason.strip()[:280]},
            cancelled_at=now, cancelled_by=user, updated_at=now)
        _claim(moved, now)  # SlotUnavailable rolls the cancellation back too
    _after_change(moved, "rescheduled")
    return moved


def expire_holds(now: dt.datetime | None = None) -> int:
    """Free every hold past its time (also done lazily by each booking)."""
    now = now or timezone.now()
    ids = list(Appointment.objects.filter(status=Appointment.Status.PENDING, hold_expires_at__lt=now).values_list("pk", flat=True))
    with transaction.atomic():
        SlotClaim.objects.filter(appointment_id__in=ids).delete()
        Appointment.objects.filter(pk__in=ids).update(
            status=Appointment.Status.CANCELLED, cancel_reason=_("Réservation non confirmée à temps."), cancelled_at=now)
    return len(ids)


# --- Waiting list --------------------------------------------------------------------------------
def join_waiting_list(motif: Motif, patient, before: dt.datetime) -> WaitingListEntry:
    entry, _created = WaitingListEntry.objects.update_or_create(motif=motif, patient=patient, defaults={"before": before, "notified_at": None})
    return entry


def _tell_waiting_list(motif: Motif, freed_start: dt.datetime, now: dt.datetime) -> None:
    from enrs.agenda import messages

    waiting = WaitingListEntry.objects.filter(motif=motif, notified_at__isnull=True, before__gt=freed_start).select_related("patient", "patient__user")
    for entry in waiting[:5]:
        messages.tell_slot_freed(entry, freed_start)
        WaitingListEntry.objects.filter(pk=entry.pk).update(notified_at=now)


# --- After a change: caches and messages -------------------------------------------------------------
def _after_change(appointment: Appointment, event: str) -> None:
    from enrs.agenda import messages

    if event in {"cancelled", "rescheduled"} or (event in {"booked", "held"} and _takes_cached_slot(appointment)):
        refresh_next_free(appointment.agenda)
    if event in {"confirmed", "booked", "rescheduled", "cancelled"}:
        transaction.on_commit(lambda: messages.appointment_event(appointment.pk, event))


def _takes_cached_slot(appointment: Appointment) -> bool:
    """A booking changes the cached next slot only when it covers it (or the cache is empty or stale)."""
    cached = Agenda.objects.filter(pk=appointment.agenda_id).values_list("next_free_at", flat=True).first()
    return cached is None or cached <= timezone.now() or appointment.start <= cached < appointment.end


def send_reminders(now: dt.datetime | None = None, within_hours: int = 48) -> int:
    """Remind every confirmed appointment starting in the next ``within_hours`` once (idempotent)."""
    from enrs.agenda import messages

    now = now or timezone.now()
    due = Appointment.objects.filter(status=Appointment.Status.BOOKED, reminded_at__isnull=True,
                                     start__gt=now, start__lte=now + dt.timedelta(hours=within_hours))
    count = 0
    for appointment_id in list(due.values_list("pk", flat=True)):
        if Appointment.objects.filter(pk=appointment_id, reminded_at__isnull=True).update(reminded_at=now):
            messages.appointment_event(appointment_id, "reminder")
            count += 1
    return count
