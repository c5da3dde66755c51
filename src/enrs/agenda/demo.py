"""Demo agendas, called by ``enrs demo`` (synthetic, idempotent).

Every demo doctor given here gets a published agenda at his practice: weekday opening hours
written as RRULEs, an in-person consultation motif and, for one in two general practitioners, a
teleconsultation motif, so that the public e-RDV search (``/rdv/``) finds real slots around every
demo commune. The hospital persona's unit also keeps slots reserved to the GPs of a
ville-hôpital circuit (the GP persona's MSP belongs to it). Everything goes through the agenda
services (the same checks as a user's edits); an agenda that already exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from enrs.agenda import services
from enrs.agenda.models import Agenda, Circuit, Motif

RULES_FROM = dt.date(2026, 1, 5)  # a Monday: the rules start there, whatever the day of the demo
CIRCUIT_NAME = "Circuit ville-hôpital de démonstration"
GENERAL_PRACTICE = "SM54"


@dataclass(frozen=True)
class DemoAgendaSpec:
    professional: object  # directory.Professional
    organisation: object  # directory.Organisation
    specialty_code: str
    specialty_label: str
    reserved_for_circuit: bool = False  # the hospital persona's unit: a motif for the circuit's GPs


def _opening_rules(agenda: Agenda, rng: random.Random) -> None:
    """Mornings every weekday; afternoons on four days, the free afternoon varying by doctor."""
    services.add_rule(agenda, label="Matinées", rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", start_date=RULES_FROM,
                      start_time=dt.time(8, 30), end_time=dt.time(12))
    afternoons = ["MO", "TU", "WE", "TH", "FR"]
    afternoons.remove(rng.choice(afternoons))
    services.add_rule(agenda, label="Après-midi", rrule=f"FREQ=WEEKLY;BYDAY={','.join(afternoons)}",
                      start_date=RULES_FROM, start_time=dt.time(14), end_time=dt.time(18, 30))


def _motifs(agenda: Agenda, spec: DemoAgendaSpec, rng: random.Random, circuit: Circuit | None) -> None:
    general = spec.specialty_code == GENERAL_PRACTICE
    services.add_motif(agenda, label="Consultation" if general else f"Consultation de {spec.specialty_label.lower()}",
                       duration_minutes=15 if general else 30, min_notice_minutes=120, horizon_days=60)
    if general and rng.random() < 0.5:
        services.add_motif(agenda, label="Téléconsultation", duration_minutes=15,
                           mode=Motif.Mode.TELECONSULTATION, min_notice_minutes=60, horizon_days=30)
    if circuit is not None:
        services.add_motif(agenda, label="Avis spécialisé pour les médecins du circuit", duration_minutes=30,
                           audience=Motif.Audience.CIRCUIT, circuit=circuit, min_notice_minutes=0, horizon_days=30)


def _circuit(specs: list[DemoAgendaSpec]) -> Circuit | None:
    hospitals = [spec.organisation for spec in specs if spec.reserved_for_circuit]
    if not hospitals:
        return None
    existing = Circuit.objects.filter(name=CIRCUIT_NAME).first()
    if existing is not None:
        return existing
    practices = {spec.organisation.pk: spec.organisation for spec in specs if spec.specialty_code == GENERAL_PRACTICE}
    return services.create_circuit(CIRCUIT_NAME, [*hospitals, *practices.values()],
                                   description="Créneaux réservés aux médecins traitants partenaires (démonstration).")


def build_demo_agendas(specs: list[DemoAgendaSpec], seed: int) -> list[str]:
    """Statuses ("created"/"unchanged") of the demo agendas, for the demo summary."""
    circuit = _circuit(specs)
    statuses = []
    for spec in specs:
        name = f"Dr {spec.professional.first_name} {spec.professional.last_name}"
        if Agenda.objects.filter(professional=spec.professional, organisation=spec.organisation).exists():
            statuses.append("unchanged")
            continue
        rng = random.Random(f"{seed}-agenda-{spec.professional.rpps}")
        agenda = services.create_agenda(
            name=name, organisation=spec.organisation, professional=spec.professional, kind=Agenda.Kind.PROFESSIONAL,
            specialty_code=spec.specialty_code, specialty_label=spec.specialty_label, granularity_minutes=15,
            published=True)
        _motifs(agenda, spec, rng, circuit if spec.reserved_for_circuit else None)
        _opening_rules(agenda, rng)
        statuses.append("created")
    return statuses
