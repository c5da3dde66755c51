"""Reads of the agenda app: slots computed on demand, who may book what, the e-RDV search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet, Value
from django.utils import timezone

from enrs.agenda import slots as arithmetic
from enrs.agenda.models import Absence, Agenda, Appointment, Circuit, Motif, OpeningRule, SlotClaim
from enrs.core.text import fold
from enrs.directory import selectors as directory_selectors
from enrs.offer import geo

SEARCH_PAGE_SIZE = 20
MAX_SLOT_WINDOW_DAYS = 62


@dataclass(frozen=True)
class Slot:
    agenda_id: int
    motif_id: int
    start: dt.datetime
    end: dt.datetime
    free: bool = True

    @property
    def key(self) -> str:
        """A stable slot id: agenda, motif and start (UTC) — e.g. ``12-3-20260330T0700``."""
        return f"{self.agenda_id}-{self.motif_id}-{self.start.astimezone(arithmetic.UTC):%Y%m%dT%H%M}"


def rule_spec(rule: OpeningRule) -> arithmetic.RuleSpec:
    return arithmetic.RuleSpec(rule.rrule, rule.start_date, rule.end_date, rule.start_time, rule.end_time)


def rules_for_motif(motif: Motif) -> list[OpeningRule]:
    """Rules that offer ``motif``: those listing it, and those listing no motif at all."""
    rules = motif.agenda.rules.prefetch_related("motifs")
    return [rule for rule in rules if not rule.motifs.all() or any(m.pk == motif.pk for m in rule.motifs.all())]


def closed_intervals(agenda: Agenda, start: dt.datetime, end: dt.datetime) -> list[arithmetic.Interval]:
    absences = Absence.objects.filter(agenda=agenda, start__lt=end, end__gt=start).values_list("start", "end")
    return [arithmetic.Interval(a, b) for a, b in absences]


def claimed_cells(agenda: Agenda, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> set[dt.datetime]:
    """Cells held by active appointments (an expired hold no longer counts)."""
    expired = Q(appointment__status=Appointment.Status.PENDING, appointment__hold_expires_at__lt=now)
    claims = SlotClaim.objects.filter(agenda=agenda, start__gte=start, start__lt=end).exclude(expired)
    return set(claims.values_list("start", flat=True))


def booking_window(motif: Motif, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now + dt.timedelta(minutes=motif.min_notice_minutes), now + dt.timedelta(days=motif.horizon_days)


def slots(motif: Motif, start: dt.datetime, end: dt.datetime, *, now: dt.datetime | None = None,
          include_busy: bool = False, within_window: bool = True) -> list[Slot]:
    """The slots of ``motif`` starting in [start, end), computed from the rules.

    ``within_window`` keeps only what may be booked now (minimum notice, horizon).
    """
    now = now or timezone.now()
    agenda = motif.agenda
    if within_window:
        earliest, latest = booking_window(motif, now)
        start, end = max(start, earliest), min(end, latest)
    if end <= start:
        return []
    duration = dt.timedelta(minutes=motif.duration_minutes)
    granularity = dt.timedelta(minutes=agenda.granularity_minutes)
    first = start.astimezone(arithmetic.PARIS).date()
    last = end.astimezone(arithmetic.PARIS).date()
    intervals = []
    for rule in rules_for_motif(motif):
        intervals += arithmetic.opening_intervals(rule_spec(rule), first, last, skip_holidays=agenda.closed_on_public_holidays)
    closed = closed_intervals(agenda, start, end + duration)
    taken = claimed_cells(agenda, start, end + duration, now)
    found = []
    for interval in sorted(intervals):
        for slot_start in arithmetic.slot_starts(interval, duration):
            if not start <= slot_start < end:
                continue
            slot_end = slot_start + duration
            if not arithmetic.free_of(slot_start, slot_end, closed):
                continue
            free = not any(cell in taken for cell in arithmetic.cells(slot_start, duration, granularity))
            if free or include_busy:
                found.append(Slot(agenda.pk, motif.pk, slot_start, slot_end, free))
    return found


def next_free_slot(motif: Motif, *, now: dt.datetime | None = None) -> Slot | None:
    """The first bookable slot of ``motif``, looked for week by week up to its horizon."""
    now = now or timezone.now()
    earliest, latest = booking_window(motif, now)
    cursor = earliest
    while cursor < latest:
        week_end = min(cursor + dt.timedelta(days=7), latest)
        found = slots(motif, cursor, week_end, now=now)
        if found:
            return found[0]
        cursor = week_end
    return None


def patient_motifs(agenda: Agenda) -> QuerySet[Motif]:
    return agenda.motifs.filter(active=True, audience=Motif.Audience.PATIENTS)


def next_free_for_patients(agenda: Agenda, *, now: dt.datetime | None = None) -> Slot | None:
    candidates = [slot for motif in patient_motifs(agenda) if (slot := next_free_slot(motif, now=now))]
    return min(candidates, key=lambda slot: slot.start, default=None)


# --- Who may book ----------------------------------------------------------------------------
def organisation_ids_of(user) -> set[int]:
    professional = directory_selectors.professional_of_user(user)
    return {organisation.pk for organisation in directory_selectors.organisations_of(professional)}


def is_professional(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "kind", "") == "pro")


def may_book(user, motif: Motif) -> bool:
    """Patients book the patients' motifs; any professional those and the professionals' ones;
    a circuit's motifs are for the professionals of its member organisations (and of the agenda's own)."""
    if not getattr(user, "is_authenticated", False) or not motif.active or not motif.agenda.active:
        return False
    if motif.audience == Motif.Audience.PATIENTS:
        return True
    if not is_professional(user):
        return False
    if motif.audience == Motif.Audience.PROFESSIONALS:
        return True
    allowed = {motif.agenda.organisation_id}
    if motif.circuit_id and motif.circuit.active:
        allowed |= set(motif.circuit.organisations.values_list("pk", flat=True))
    return bool(organisation_ids_of(user) & allowed)


def circuits_of(user) -> QuerySet[Circuit]:
    return Circuit.objects.filter(active=True, organisations__in=organisation_ids_of(user)).distinct()


def reserved_motifs_for(user) -> QuerySet[Motif]:
    """Circuit motifs a professional may book (the reserved slots shared with him)."""
    return (Motif.objects.filter(active=True, agenda__active=True, audience=Motif.Audience.CIRCUIT, circuit__in=circuits_of(user))
            .select_related("agenda", "agenda__organisation", "circuit").order_by("agenda__name", "label"))


def agendas_managed_by(user) -> QuerySet[Agenda]:
    """A professional's own agendas and those of the organisations where he practises."""
    if not is_professional(user):
        return Agenda.objects.none()
    professional = directory_selectors.professional_of_user(user)
    if professional is None:  # a "pro" account not (yet) linked to the directory: Q(professional=None) would match team agendas
        return Agenda.objects.none()
    return Agenda.objects.filter(Q(professional=professional) | Q(organisation__in=organisation_ids_of(user)), active=True).distinct()


def agendas_editable_by(user) -> QuerySet[Agenda]:
    """Agendas whose settings a professional may change: his own, and the team and resource agendas
    (no professional) of the organisations where he practises. A colleague's agenda is his own business."""
    if not is_professional(user):
        return Agenda.objects.none()
    professional = directory_selectors.professional_of_user(user)
    if professional is None:
        return Agenda.objects.none()
    return Agenda.objects.filter(
        Q(professional=professional) | Q(professional__isnull=True, organisation__in=organisation_ids_of(user)), active=True)


def circuits_open_to(agenda: Agenda) -> QuerySet[Circuit]:
    """Circuits whose motifs an agenda may offer: those its organisation belongs to."""
    return Circuit.objects.filter(active=True, organisations=agenda.organisation_id)


# --- e-RDV search ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchCriteria:
    name: str = ""
    specialty: str = ""
    motif: str = ""
    centre: geo.Point | None = None
    radius_km: float | None = None
    teleconsultation: bool = False


def search_queryset(criteria: SearchCriteria) -> QuerySet[Agenda]:
    qs = Agenda.objects.filter(active=True, published=True)
    if criteria.specialty:
        qs = qs.filter(specialty_code=criteria.specialty)
    for word in fold(criteria.name).split():
        qs = qs.filter(folded_name__contains=word)
    if criteria.motif:
        qs = qs.filter(pk__in=Motif.objects.filter(active=True, audience=Motif.Audience.PATIENTS,
                                                   label__icontains=criteria.motif).values("agenda_id"))
    if criteria.teleconsultation:
        qs = qs.filter(offers_teleconsultation=True)
    if criteria.centre is not None and criteria.radius_km:
        box = geo.bounding_box(criteria.centre, criteria.radius_km)
        x, y, z = geo.unit_vector(criteria.centre.latitude, criteria.centre.longitude)
        dot = ExpressionWrapper(F("ux") * Value(x) + F("uy") * Value(y) + F("uz") * Value(z), output_field=FloatField())
        qs = (qs.filter(latitude__gte=box.min_lat, latitude__lte=box.max_lat, longitude__gte=box.min_lon, longitude__lte=box.max_lon)
              .alias(dot=dot).filter(dot__gte=geo.min_dot(criteria.radius_km)))
    return qs


@dataclass(frozen=True)
class SearchRow:
    agenda: Agenda
    next_free_at: dt.datetime | None
    distance_km: float | None


def search(criteria: SearchCriteria, *, now: dt.datetime | None = None, limit: int = SEARCH_PAGE_SIZE) -> list[SearchRow]:
    """Agendas with a free slot, soonest first (the cached next slot, refreshed when stale)."""
    from enrs.agenda import services  # the cache refresh is a write

    now = now or timezone.now()
    qs = search_queryset(criteria).filter(next_free_at__isnull=False).select_related("organisation", "professional")
    rows: list[Agenda] = []
    offset = 0
    while len(rows) < limit:
        batch = list(qs.order_by("next_free_at", "pk")[offset: offset + limit])
        if not batch:
            break
        offset += limit
        for agenda in batch:
            if agenda.next_free_at <= now:  # stale: time has passed it; recompute this one
                services.refresh_next_free(agenda, now=now)
            if agenda.next_free_at is not None:
                rows.append(agenda)
    rows.sort(key=lambda a: a.next_free_at)
    return [SearchRow(a, a.next_free_at, _distance(criteria, a)) for a in rows[:limit]]


def _distance(criteria: SearchCriteria, agenda: Agenda) -> float | None:
    if criteria.centre is None or agenda.latitude is None:
        return None
    return geo.haversine_km(criteria.centre, geo.Point(agenda.latitude, agenda.longitude))


def resolve_commune(value: str):
    from enrs.offer import selectors as offer_selectors

    return offer_selectors.resolve_commune(value)


def specialty_choices() -> list[tuple[str, str]]:
    rows = Agenda.objects.filter(active=True, published=True).exclude(specialty_code="").values_list("specialty_code", "specialty_label").distinct()
    return sorted({(code, label or code) for code, label in rows}, key=lambda item: item[1])


# --- Appointments ------------------------------------------------------------------------------
def appointments_of_patient_user(user) -> QuerySet[Appointment]:
    return (Appointment.objects.filter(patient__user=user).exclude(status=Appointment.Status.PENDING, hold_expires_at__lt=timezone.now())
            .select_related("agenda", "agenda__organisation", "motif").order_by("-start"))


def appointment_by_identifier(identifier) -> Appointment | None:
    return Appointment.objects.select_related("agenda", "motif", "patient").filter(identifier=identifier).first()


def day_appointments(agenda: Agenda, day: dt.date) -> QuerySet[Appointment]:
    start = arithmetic.local_instant(day, dt.time())
    end = arithmetic.local_instant(day + dt.timedelta(days=1), dt.time())
    return (agenda.appointments.filter(start__gte=start, start__lt=end).exclude(status=Appointment.Status.CANCELLED)
            .select_related("motif", "booked_by", "booked_by_organisation", "patient"))


def patient_motif(pk) -> Motif | None:
    """An active patients' motif of a published agenda, or None."""
    return (Motif.objects.select_related("agenda").filter(pk=pk, active=True, audience=Motif.Audience.PATIENTS,
                                                          agenda__published=True, agenda__active=True).first())
