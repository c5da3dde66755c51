"""Building the synthetic demo region (``enrs demo``).

The region is written through the owning apps' services
(``enrs.directory.services``, ``enrs.identity.services``), in one
transaction: an interrupted or refused run leaves nothing half-built. Every
write is an upsert keyed by an identifier (FINESS, RPPS, name and SIRET,
patient traits, e-mail), so running the command twice changes nothing.

Login accounts have no service of their own yet: the demo creates them with
the user model's manager and registers the e-mail address the way allauth
does (an ``EmailAddress`` row, verified and primary), so that logging in by
e-mail works at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrs.demo import generators as gen
from enrs.demo.personas import PERSONAS, Persona, demo_password
from enrs.directory import services as directory
from enrs.directory.models import Organisation, Professional
from enrs.identity import services as identity
from enrs.demo.geography import communes
from enrs.offer import demo_data as offer_demo
from enrs.agenda import demo as agenda_demo
from enrs.directory.nomenclatures import specialty_label
from enrs.membership import demo as membership_demo
from enrs.observatory import demo as observatory_demo

T = TypeVar("T")
Progress = Callable[[Iterable[T], int, str], Iterable[T]]
SECTIONS = ("organisations", "professionals", "situations", "patients", "accounts", "offers", "agendas")
SECTION_LABELS = {
    "organisations": "Structures",
    "professionals": "Professionnels",
    "situations": "Situations d'exercice",
    "patients": "Patients",
    "accounts": "Comptes de démonstration",
    "offers": "Offre de soins (ROR) et capacités",
    "agendas": "Agendas partagés (e-RDV)",
}
AGENDA_DOCTORS = 40  # generated doctors who get a published agenda (plus the doctor personas)


def no_progress(items: Iterable[T], total: int, label: str) -> Iterable[T]:
    return items


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class DemoSummary:
    seed: int
    tallies: dict[str, Tally] = field(default_factory=lambda: {section: Tally() for section in SECTIONS})
    timings: dict[str, list[float]] = field(default_factory=lambda: {section: [] for section in SECTIONS})
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return sum(tally.created for tally in self.tallies.values())

    @property
    def changed(self) -> int:
        return sum(tally.created + tally.updated for tally in self.tallies.values())


class DemoConflict(ValidationError):
    """The target database already holds non-demo rows with the demo's identifiers."""


@dataclass
class _Builder:
    seed: int
    progress: Progress
    summary: DemoSummary
    organisations: dict[str, Organisation] = field(default_factory=dict)

    def _timed(self, section: str, write: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = write()
        self.summary.timings[section].append(time.perf_counter() - started)
        return result

    def _record(self, section: str, status: str) -> None:
        self.summary.tallies[section].add(status)

    # --- organisations ---------------------------------------------------------------
    def organisation(self, spec: gen.OrganisationSpec) -> Organisation:
        data = dict(spec.data)
        if spec.legal_entity:
            data["legal_entity"] = self.organisations[spec.legal_entity]
        if spec.ght:
            data["ght"] = self.organisations[spec.ght]
        result = self._timed("organisations", lambda: directory.upsert_organisation(data))
        self._record("organisations", result.status)
        self.organisations[spec.key] = result.obj
        return result.obj

    def build_organisations(self, catalogue: list[gen.OrganisationSpec]) -> None:
        for spec in self.progress(catalogue, len(catalogue), SECTION_LABELS["organisations"]):
            self.organisation(spec)

    # --- professionals ---------------------------------------------------------------
    def professional(self, spec: gen.ProfessionalSpec) -> Professional:
        result = self._timed("professionals", lambda: directory.upsert_professional(spec.data))
        self._record("professionals", result.status)
        for situation in spec.situations:
            organisation = self.organisations[situation.organisation]
            placed = self._timed(
                "situations", lambda: directory.upsert_situation(result.obj, organisation, situation.data)
            )
            self._record("situations", placed.status)
        return result.obj

    def build_professionals(self, specs: Iterable[gen.ProfessionalSpec], total: int) -> None:
        for spec in self.progress(specs, total, SECTION_LABELS["professionals"]):
            self.professional(spec)

    # --- patients ----------------------------------------------------------------------
    def build_patients(self, specs: Iterable[dict[str, Any]], total: int) -> None:
        for spec in self.progress(specs, total, SECTION_LABELS["patients"]):
            result = self._timed("patients", lambda: identity.upsert_demo_patient(spec))
            self._record("patients", result.status)

    # --- care offer (ROR) ------------------------------------------------------------------
    def build_offers(self, catalogue: list[gen.OrganisationSpec]) -> None:
        sites = [(spec.role, self.organisations[spec.key]) for spec in catalogue]
        rows = [{"insee": c.insee, "name": c.name, "postal_code": c.postal_code, "latitude": c.latitude,
                 "longitude": c.longitude} for c in communes()]
        for status in self._timed("offers", lambda: offer_demo.build_demo_offers(sites, rows, self.seed)):
            self._record("offers", status)

    # --- shared agendas (e-RDV) --------------------------------------------------------------
    def agenda_spec(self, spec: gen.ProfessionalSpec, *, reserved: bool = False) -> agenda_demo.DemoAgendaSpec:
        situation = spec.situations[0]
        code = situation.data["specialty_code"]
        return agenda_demo.DemoAgendaSpec(
            professional=Professional.objects.get(rpps=spec.data["rpps"]), organisation=self.organisations[situation.organisation],
            specialty_code=code, specialty_label=specialty_label(code) or "", reserved_for_circuit=reserved)

    def build_agendas(self, generated: list[gen.ProfessionalSpec], personas: dict[str, gen.ProfessionalSpec]) -> None:
        """Agendas for the doctor personas (the hospital one with circuit slots) and the first generated doctors."""
        specs = [self.agenda_spec(spec, reserved=spec.situations[0].data["mode"] == "S")
                 for spec in personas.values() if spec.data["profession_code"] == "10"]
        doctors = [spec for spec in generated if spec.data["profession_code"] == "10" and spec.situations[0].data["specialty_code"]]
        specs += [self.agenda_spec(spec) for spec in doctors[:AGENDA_DOCTORS]]
        for status in self._timed("agendas", lambda: agenda_demo.build_demo_agendas(specs, self.seed)):
            self._record("agendas", status)

    # --- accounts -----------------------------------------------------------------------
    def build_accounts(self, professionals: dict[str, gen.ProfessionalSpec], patients: dict[str, dict[str, Any]],
                       staff_names: dict[str, tuple[str, str]]) -> None:
        password = demo_password()
        for persona in self.progress(PERSONAS, len(PERSONAS), SECTION_LABELS["accounts"]):
            started = time.perf_counter()
            status = self.account(persona, password, professionals, patients, staff_names)
            self.summary.timings["accounts"].append(time.perf_counter() - started)
            self._record("accounts", status)

    def account(self, persona: Persona, password: str, professionals: dict[str, gen.ProfessionalSpec],
                patients: dict[str, dict[str, Any]], staff_names: dict[str, tuple[str, str]]) -> str:
        if persona.email in professionals:
            spec = professionals[persona.email]
            names = (spec.data["first_name"], spec.data["last_name"])
        elif persona.email in patients:
            data = patients[persona.email]
            names = (data["birth_first_names"].split(" ")[0], data["used_name"] or data["birth_name"])
        else:
            names = staff_names[persona.email]
        user, status = upsert_demo_user(persona, password, *names)
        linked = False
        if persona.email in professionals:
            professional = self.professional(professionals[persona.email])
            if professional.user_id != user.pk:
                directory.link_user(professional, user)
                linked = True
        elif persona.email in patients:
            patient = identity.upsert_demo_patient(patients[persona.email]).obj
            linked = identity.link_patient_user(patient, user)
        return "updated" if linked and status == "unchanged" else status


def upsert_demo_user(persona: Persona, password: str, first_name: str = "", last_name: str = "") -> tuple[Any, str]:
    """Create or update a demo login account and its verified, primary allauth e-mail address."""
    User = get_user_model()
    values = {
        "username": persona.email,
        "first_name": first_name,
        "last_name": last_name,
        "kind": persona.kind,
        "is_staff": persona.is_staff,
        "is_superuser": persona.is_superuser,
        "is_active": True,
    }
    user = User.objects.filter(email__iexact=persona.email).first()
    status = "unchanged"
    if user is None:
        user = User(email=persona.email, **values)
        user.set_password(password)
        user.save()
        status = "created"
    else:
        changed = [name for name, value in values.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, values[name])
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save()
            status = "updated"
    address, made = EmailAddress.objects.get_or_create(
        user=user, email=persona.email, defaults={"verified": True, "primary": True}
    )
    if not made and not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
        status = "updated" if status == "unchanged" else status
    return user, status


def _check_identifiers_free(catalogue: list[gen.OrganisationSpec], rpps: list[str]) -> None:
    """Refuse to build over real data: demo FINESS/RPPS numbers must be unused or already demo."""
    finess = [spec.data["finess"] for spec in catalogue if spec.data.get("finess")]
    taken_finess = list(
        Organisation.objects.filter(finess__in=finess).exclude(source=gen.DEMO_SOURCE).values_list("finess", flat=True)
    )
    taken_rpps = list(
        Professional.objects.filter(rpps__in=rpps).exclude(source=gen.DEMO_SOURCE).values_list("rpps", flat=True)
    )
    messages = []
    if taken_finess:
        messages.append(
            _("Numéros FINESS déjà utilisés par des structures réelles : %(numbers)s.")
            % {"numbers": ", ".join(sorted(taken_finess)[:10])}
        )
    if taken_rpps:
        messages.append(
            _("Numéros RPPS déjà utilisés par des professionnels réels : %(numbers)s.")
            % {"numbers": ", ".join(sorted(taken_rpps)[:10])}
        )
    if messages:
        raise DemoConflict(messages)


def build_demo_region(
    *, seed: int = 2026, professionals: int = 300, patients: int = 3000, progress: Progress = no_progress
) -> DemoSummary:
    """Build (or refresh) the demo region; all or nothing, idempotent for a given seed."""
    if professionals < 0 or patients < 0:
        raise ValidationError(_("Les nombres de professionnels et de patients doivent être positifs ou nuls."))
    started = time.perf_counter()
    summary = DemoSummary(seed=seed)
    catalogue = gen.organisation_catalogue(seed)
    professional_list = list(gen.professional_specs(seed, professionals, catalogue))
    persona_professionals = gen.persona_professional_specs(seed, catalogue)
    all_rpps = [spec.data["rpps"] for spec in [*professional_list, *persona_professionals.values()]]
    builder = _Builder(seed=seed, progress=progress, summary=summary)
    with transaction.atomic():
        _check_identifiers_free(catalogue, all_rpps)
        builder.build_organisations(catalogue)
        builder.build_professionals(professional_list, professionals)
        builder.build_patients(gen.patient_specs(seed, patients), patients)
        builder.build_accounts(persona_professionals, gen.persona_patient_specs(seed), gen.persona_staff_names(seed))
        identity.seed_demo_vigilance()  # RNIV statuses, demo INS, match keys, a few duplicates for the worklist
        builder.build_offers(catalogue)
        builder.build_agendas(professional_list, persona_professionals)
        persona_places = [builder.organisations[p.organisation] for p in PERSONAS if p.organisation in builder.organisations]
        membership_demo.build_demo_membership(builder.organisations.values(), always=persona_places)  # members, an AG, a quote
        observatory_demo.build_demo_rpu(builder.organisations.values(), seed)  # a week of RPU per emergency department
        observatory_demo.build_demo_antibio(builder.organisations.values(), seed)  # two years of NormAntiBio figures
    summary.seconds = time.perf_counter() - started
    return summary
