"""Deterministic generators of the synthetic demo region.

Everything here is pure: given a seed, the same organisations, professionals
and patients come out, in the same order, without touching the database.
Each section draws from its own random stream (derived from the seed and the
section name), so asking for more patients does not change the professionals,
and the first N patients of a run are the N patients of a smaller run.

People are synthetic (Faker ``fr_FR``). Their identifiers are check-digit
valid but taken from ranges that real registries do not use: RPPS numbers
start with ``99`` (real ones start with ``10``), FINESS numbers have a ``9``
after the département, e-mail domains end in ``.invalid`` and MSSanté domains
contain ``.demo.``.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.text import slugify
from faker import Faker

from enrs.core.validators import finess_complete, luhn_complete
from enrs.demo.geography import DEPARTEMENTS, Commune, commune_named, communes, of_commune
from enrs.demo.personas import PERSONAS

DEMO_SOURCE = "demo"
COORD_QUANTUM = Decimal("0.000001")
# Birth dates are computed from a fixed day, not from today, so that a re-run
# next year gives the same identities.
REFERENCE_DATE = datetime.date(2025, 1, 1)
# INSEE codes of foreign countries (COG "pays"), used as birth places.
FOREIGN_BIRTH_PLACES = ("99109", "99127", "99131", "99134", "99350")


def stream_seed(seed: int, section: str) -> int:
    """A 64-bit seed for one section, stable across Python runs (no hash randomisation)."""
    return int(hashlib.sha256(f"{seed}:{section}".encode()).hexdigest()[:16], 16)


def random_stream(seed: int, section: str) -> random.Random:
    return random.Random(stream_seed(seed, section))


def faker_stream(seed: int, section: str) -> Faker:
    fake = Faker("fr_FR")
    fake.seed_instance(stream_seed(seed, section))
    return fake


def domain_label(name: str, limit: int = 40) -> str:
    """A DNS-safe label (a DNS label has at most 63 characters), cut at a word boundary."""
    label = slugify(name)
    if len(label) > limit:
        label = label[:limit].rsplit("-", 1)[0]
    return label.strip("-") or "structure"


def mssante_domain(label: str) -> str:
    return f"{label}.demo.mssante.fr"


def mailbox_name(first_name: str, last_name: str) -> str:
    return f"{slugify(first_name)}.{slugify(last_name)}".replace("-.", ".").strip(".-")


# --- Organisations -------------------------------------------------------------------
@dataclass(frozen=True)
class OrganisationSpec:
    """One organisation to upsert; ``key`` is the demo's own stable handle."""

    key: str
    role: str  # internal family used to place professionals: "hopital", "ehpad", "msp", ...
    data: dict[str, Any]
    legal_entity: str | None = None
    ght: str | None = None
    domain: str = ""  # label of its (synthetic) MSSanté domain

    @property
    def departement(self) -> str:
        return self.data["commune_insee"][:2]


HOSPITAL_TOWNS = (
    "Le Havre", "Cherbourg-en-Cotentin", "Saint-Lô", "Alençon", "Évreux", "Lisieux", "Bayeux", "Dieppe", "Vernon",
    "Argentan", "Flers", "Granville", "Avranches", "Fécamp", "Honfleur", "Vire Normandie", "Louviers", "Bernay",
    "Coutances", "L'Aigle", "Elbeuf", "Falaise", "Pont-Audemer", "Eu", "Yvetot", "Gisors",
    "Verneuil d'Avre et d'Iton", "Domfront en Poiraie", "Carentan-les-Marais",
)
UNIVERSITY_HOSPITALS = (("chu-caen", "CHU de Caen Normandie", "Caen"), ("chu-rouen", "CHU de Rouen Normandie", "Rouen"))
GHTS = (
    ("ght-calvados", "GHT Caen – Bessin – Pays d'Auge", "Caen",
     ("chu-caen", "ch-lisieux", "ch-bayeux", "ch-falaise", "ch-honfleur", "ch-vire-normandie")),
    ("ght-seine", "GHT Rouen – Cœur de Seine", "Rouen", ("chu-rouen", "ch-elbeuf", "ch-louviers", "ch-yvetot")),
)
CLINICS = (
    ("Caen", "Polyclinique du Parc"), ("Rouen", "Clinique Saint-Martin"), ("Le Havre", "Clinique de l'Estuaire"),
    ("Cherbourg-en-Cotentin", "Polyclinique du Cotentin"), ("Évreux", "Clinique des Cèdres"),
    ("Alençon", "Clinique de la Sarthe"),
)
EHPAD_NAMES = (
    "Les Charmilles", "Le Clos fleuri", "Les Hortensias", "La Roseraie", "Les Marronniers", "Le Bois joli",
    "Les Pommiers", "La Source", "Les Glycines", "Les Jardins de la Baie", "Résidence du Parc", "Les Bruyères",
    "Les Lilas", "Les Mouettes", "Le Verger", "Les Camélias", "La Chesnaie", "Les Primevères", "Les Ajoncs",
)
NAMED_MSP = {
    "Vire Normandie": "MSP du Bocage", "Deauville": "MSP de la Côte fleurie", "Carentan-les-Marais": "MSP des Marais",
    "Yvetot": "MSP du Pays de Caux", "Condé-en-Normandie": "MSP de la Suisse normande", "Bellême": "MSP du Perche",
    "Gisors": "MSP du Vexin", "Forges-les-Eaux": "MSP du Pays de Bray", "La Hague": "MSP de la Hague",
    "Bernay": "MSP du Lieuvin", "Avranches": "MSP de la Baie", "Isigny-sur-Mer": "MSP du Bessin",
}
CPTS = (
    ("Caen", "CPTS Caen Nord"), ("Ifs", "CPTS Caen Sud"), ("Lisieux", "CPTS du Pays d'Auge"),
    ("Bayeux", "CPTS du Bessin"), ("Sotteville-lès-Rouen", "CPTS Rouen Rive gauche"),
    ("Mont-Saint-Aignan", "CPTS Rouen Rive droite"), ("Le Havre", "CPTS de l'Estuaire"),
    ("Cherbourg-en-Cotentin", "CPTS du Cotentin"), ("Alençon", "CPTS du Pays d'Alençon"),
    ("Évreux", "CPTS Évreux Seine-Eure"), ("Fécamp", "CPTS de la Côte d'Albâtre"),
    ("Neufchâtel-en-Bray", "CPTS du Pays de Bray"),
)
PHARMACY_NAMES = (
    "Pharmacie du Centre", "Pharmacie de la Gare", "Pharmacie de l'Église", "Pharmacie du Marché",
    "Pharmacie des Halles", "Pharmacie du Port", "Pharmacie de la Mairie", "Grande Pharmacie",
    "Pharmacie du Château", "Pharmacie des Tilleuls",
)
PREFECTURES = {"14": "Caen", "27": "Évreux", "50": "Saint-Lô", "61": "Alençon", "76": "Rouen"}
DEPARTEMENT_PARTNERS = {
    "14": "Département du Calvados", "27": "Département de l'Eure", "50": "Département de la Manche",
    "61": "Département de l'Orne", "76": "Département de la Seine-Maritime",
}
HAD_NAMES = {"14": "HAD du Calvados", "27": "HAD de l'Eure", "50": "HAD de la Manche", "61": "HAD de l'Orne",
             "76": "HAD de Seine-Maritime"}
NETWORKS = (
    ("Caen", "Réseau régional de cancérologie de Normandie"), ("Rouen", "Réseau périnatal de Normandie"),
    ("Bayeux", "CLIC du Bessin"), ("Dieppe", "Association de soins palliatifs du littoral"),
)
FEDERATIONS = (
    ("Caen", "URPS Médecins libéraux de Normandie"), ("Rouen", "URPS Infirmiers de Normandie"),
    ("Caen", "URPS Pharmaciens de Normandie"), ("Rouen", "URPS Masseurs-kinésithérapeutes de Normandie"),
    ("Caen", "Fédération des maisons de santé de Normandie"),
)
UNIVERSITIES = (("Caen", "Université de Caen Normandie"), ("Rouen", "Université de Rouen Normandie"),
                ("Le Havre", "Université Le Havre Normandie"))
CABINET_FAMILIES = (
    ("cabinet-infirmier", "Cabinet infirmier"), ("cabinet-kine", "Cabinet de kinésithérapie"),
    ("cabinet-medical", "Cabinet médical"), ("cabinet-dentaire", "Cabinet dentaire"),
    ("cabinet-sage-femme", "Cabinet de sages-femmes"),
)
LARGE_TOWNS = ("Caen", "Rouen", "Le Havre", "Cherbourg-en-Cotentin", "Évreux", "Alençon", "Saint-Lô", "Dieppe")
COLLEGE_OF_KIND = {
    "GHT": "A", "CHU": "A", "CH": "A", "CLINIQUE": "A", "CLCC": "A", "HAD": "B", "MSP": "B", "CDS": "B", "CPTS": "B",
    "CABINET": "B", "PHARMACIE": "B", "LABO": "B", "EHPAD": "C", "SSIAD": "C", "MAS": "C", "DAC": "D", "RESEAU": "D",
    "FEDERATION": "E", "PARTENAIRE": "F",
}


@dataclass
class _CatalogueBuilder:
    seed: int
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    specs: list[OrganisationSpec] = field(default_factory=list)
    finess_used: set[str] = field(default_factory=set)
    siren_used: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random_stream(self.seed, "organisations")
        self.fake = faker_stream(self.seed, "organisations")

    def _finess(self, departement: str) -> str:
        while True:
            number = finess_complete(f"{departement}9{self.rng.randrange(100_000):05d}")
            if number not in self.finess_used:
                self.finess_used.add(number)
                return number

    def _siret(self) -> str:
        while True:
            siren = luhn_complete(f"{self.rng.randrange(10_000_000, 100_000_000)}")
            if siren not in self.siren_used and siren != "356000000":  # La Poste's SIREN has its own rule
                self.siren_used.add(siren)
                return luhn_complete(siren + "0001")

    def _jitter(self, value: Decimal) -> Decimal:
        return (value + Decimal(str(self.rng.uniform(-0.01, 0.01)))).quantize(COORD_QUANTUM, rounding=ROUND_HALF_UP)

    def add(self, key: str, role: str, kind: str, name: str, commune: Commune, *, finess_kind: str | None = "ET",
            legal_entity: str | None = None, ght: str | None = None, short_name: str = "") -> None:
        # Sites share their legal entity's domain, as hospitals do; EHPAD names
        # repeat across towns, so their domain carries the town.
        if legal_entity or finess_kind == "EJ":
            label = legal_entity or key
        elif kind == "EHPAD":
            label = domain_label(f"{name} {commune.name}")
        else:
            label = domain_label(name)
        data = {
            "name": name,
            "short_name": short_name,
            "kind": kind,
            "finess_kind": finess_kind or "",
            "address_line": self.fake.street_address(),
            "postal_code": commune.postal_code,
            "city": commune.name,
            "commune_insee": commune.insee,
            "latitude": self._jitter(commune.latitude),
            "longitude": self._jitter(commune.longitude),
            "email": f"contact@{label}.demo.enrs.invalid",
            "mssante_address": f"secretariat@{mssante_domain(label)}",
            "college": COLLEGE_OF_KIND[kind],
            "active": True,
            "source": DEMO_SOURCE,
        }
        if finess_kind:
            data["finess"] = self._finess(commune.departement)
        elif kind != "GHT":
            data["siret"] = self._siret()
        self.specs.append(OrganisationSpec(key, role, data, legal_entity, ght, label))


def _ght_of(key: str) -> str | None:
    for ght_key, _name, _town, members in GHTS:
        if key in members:
            return ght_key
    return None


def _add_hospitals(b: _CatalogueBuilder) -> None:
    for ght_key, name, town, _members in GHTS:
        b.add(ght_key, "ght", "GHT", name, commune_named(town), finess_kind=None)
    for key, name, town in UNIVERSITY_HOSPITALS:
        commune = commune_named(town)
        b.add(key, "ej", "CHU", name, commune, finess_kind="EJ", ght=_ght_of(key), short_name=key.upper())
        b.add(f"{key}-site-principal", "hopital", "CHU", f"{name} — site principal", commune, legal_entity=key)
        b.add(f"{key}-geriatrie", "hopital", "CHU", f"{name} — pôle de gériatrie", commune, legal_entity=key)
    for town in HOSPITAL_TOWNS:
        commune = commune_named(town)
        key = f"ch-{slugify(town)}"
        name = f"Centre hospitalier {of_commune(town)}"
        b.add(key, "ej", "CH", name, commune, finess_kind="EJ", ght=_ght_of(key))
        b.add(f"{key}-site-principal", "hopital", "CH", f"{name} — site principal", commune, legal_entity=key)
    for town in ("Caen", "Rouen"):
        b.add(f"clcc-{slugify(town)}", "clcc", "CLCC", f"Centre de lutte contre le cancer {of_commune(town)}",
              commune_named(town))
    for town, name in CLINICS:
        b.add(f"clinique-{slugify(town)}", "clinique", "CLINIQUE", name, commune_named(town))
    for departement, name in HAD_NAMES.items():
        b.add(f"had-{departement}", "had", "HAD", name, commune_named(PREFECTURES[departement]))


def _add_medico_social(b: _CatalogueBuilder) -> None:
    names = iter(EHPAD_NAMES * 10)
    for commune in communes():
        name = "EHPAD Les Tilleuls" if commune.name == "Bayeux" else f"EHPAD {next(names)}"
        b.add(f"ehpad-{commune.insee}", "ehpad", "EHPAD", name, commune)
        if commune.name in LARGE_TOWNS:
            b.add(f"ehpad-{commune.insee}-2", "ehpad", "EHPAD", f"EHPAD {next(names)}", commune)
    for index, commune in enumerate(communes()):
        if index % 4 == 0:
            b.add(f"ssiad-{commune.insee}", "ssiad", "SSIAD", f"SSIAD {of_commune(commune.name)}", commune)
    for town, name in (("Flers", "MAS Les Ajoncs"), ("Saint-Lô", "MAS Le Hameau"), ("Louviers", "MAS Les Peupliers"),
                       ("Dieppe", "MAS La Falaise"), ("Lisieux", "MAS Le Bocage")):
        b.add(f"mas-{slugify(town)}", "mas", "MAS", name, commune_named(town))


def _add_primary_care(b: _CatalogueBuilder) -> None:
    for index, commune in enumerate(communes()):
        if commune.name in NAMED_MSP or index % 2 == 0:
            name = NAMED_MSP.get(commune.name) or f"Maison de santé pluriprofessionnelle {of_commune(commune.name)}"
            b.add(f"msp-{commune.insee}", "msp", "MSP", name, commune)
        pharmacy = PHARMACY_NAMES[index % len(PHARMACY_NAMES)]
        b.add(f"pharmacie-{commune.insee}", "pharmacie", "PHARMACIE", f"{pharmacy} {of_commune(commune.name)}",
              commune)
        family, label = CABINET_FAMILIES[index % len(CABINET_FAMILIES)]
        b.add(f"{family}-{commune.insee}", family, "CABINET", f"{label} {of_commune(commune.name)}", commune,
              finess_kind=None)
        if commune.name in LARGE_TOWNS:
            for family, label in CABINET_FAMILIES:
                key = f"{family}-{commune.insee}"
                if not any(spec.key == key for spec in b.specs):
                    b.add(key, family, "CABINET", f"{label} {of_commune(commune.name)}", commune, finess_kind=None)
    for town in LARGE_TOWNS[:5]:
        b.add(f"cds-{slugify(town)}", "cds", "CDS", f"Centre de santé {of_commune(town)}", commune_named(town))
        b.add(f"labo-{slugify(town)}", "labo", "LABO", f"Laboratoire de biologie médicale {of_commune(town)}",
              commune_named(town))
    for town, name in CPTS:
        b.add(f"cpts-{slugify(name)}", "cpts", "CPTS", name, commune_named(town), finess_kind=None)


def _add_transverse_and_partners(b: _CatalogueBuilder) -> None:
    for departement in DEPARTEMENTS:
        b.add(f"dac-{departement}", "dac", "DAC", f"DAC {departement}", commune_named(PREFECTURES[departement]),
              finess_kind=None, short_name=f"DAC {departement}")
    for town, name in NETWORKS:
        b.add(f"reseau-{slugify(name)}", "reseau", "RESEAU", name, commune_named(town), finess_kind=None)
    for town, name in FEDERATIONS:
        b.add(f"federation-{slugify(name)}", "federation", "FEDERATION", name, commune_named(town), finess_kind=None)
    for departement, name in DEPARTEMENT_PARTNERS.items():
        b.add(f"departement-{departement}", "partenaire", "PARTENAIRE", name,
              commune_named(PREFECTURES[departement]), finess_kind=None)
    for town, name in UNIVERSITIES:
        b.add(f"universite-{slugify(town)}", "partenaire", "PARTENAIRE", name, commune_named(town), finess_kind=None)


def organisation_catalogue(seed: int) -> list[OrganisationSpec]:
    """All demo organisations, parents (GHT, legal entities) before the rows that point to them."""
    builder = _CatalogueBuilder(seed)
    _add_hospitals(builder)
    _add_medico_social(builder)
    _add_primary_care(builder)
    _add_transverse_and_partners(builder)
    return builder.specs


# --- Professionals ----------------------------------------------------------------------
@dataclass(frozen=True)
class SituationSpec:
    organisation: str  # OrganisationSpec.key
    data: dict[str, Any]


@dataclass(frozen=True)
class ProfessionalSpec:
    data: dict[str, Any]
    situations: tuple[SituationSpec, ...]


PROFESSION_MIX = (
    ("10", 34), ("60", 30), ("70", 10), ("21", 9), ("40", 5), ("50", 4), ("91", 4), ("93", 4),
)
HOSPITAL_SPECIALTIES = (
    "SM04", "SM02", "SM53", "SM20", "SM40", "SM42", "SM57", "SM35", "SM44", "SM28", "SM24", "SM41", "SM32", "SM08",
    "SM38", "SM15",
)
# Where each profession practises: (organisation roles, mode, weight).
PLACES: dict[str, tuple[tuple[tuple[str, ...], str, int], ...]] = {
    "generaliste": ((("msp",), "L", 55), (("cabinet-medical",), "L", 30), (("cds",), "S", 15)),
    "specialiste": ((("hopital",), "S", 80), (("clinique",), "L", 15), (("clcc",), "S", 5)),
    "60": ((("hopital",), "S", 35), (("ehpad",), "S", 20), (("ssiad",), "S", 10), (("cabinet-infirmier",), "L", 20),
           (("msp",), "L", 10), (("had",), "S", 5)),
    "21": ((("pharmacie",), "L", 80), (("hopital",), "S", 15), (("labo",), "S", 5)),
    "70": ((("cabinet-kine",), "L", 60), (("msp",), "L", 25), (("hopital",), "S", 15)),
    "50": ((("hopital",), "S", 60), (("cabinet-sage-femme", "msp"), "L", 40)),
    "40": ((("cabinet-dentaire",), "L", 80), (("cds",), "S", 20)),
    "91": ((("msp",), "L", 60), (("hopital",), "S", 40)),
    "93": ((("hopital",), "S", 40), (("mas",), "S", 30), (("cds",), "S", 30)),
}
SECOND_PLACES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "generaliste": (("ehpad",), "S", "Médecin coordonnateur"),
    "specialiste": (("clinique",), "L", ""),
    "60": (("cabinet-infirmier", "msp"), "L", ""),
    "70": (("hopital",), "S", ""),
}


class _ProfessionalFactory:
    def __init__(self, seed: int, catalogue: list[OrganisationSpec], section: str = "professionals") -> None:
        self.rng = random_stream(seed, section)
        self.fake = faker_stream(seed, section)
        self.by_role: dict[str, list[OrganisationSpec]] = {}
        for spec in catalogue:
            self.by_role.setdefault(spec.role, []).append(spec)
        self.by_key = {spec.key: spec for spec in catalogue}
        # Persona professionals (demo accounts) own the 9900… block so that
        # they can never take the number of a generated professional.
        self.rpps_prefix = "9900" if section == "personas" else "99"
        self.rpps_used: set[str] = set()
        self.mailboxes: set[str] = set()

    def rpps(self) -> str:
        digits = 10 - len(self.rpps_prefix)
        while True:
            number = luhn_complete(f"{self.rpps_prefix}{self.rng.randrange(10**digits):0{digits}d}")
            if number.startswith("9900") and self.rpps_prefix != "9900":
                continue
            if number not in self.rpps_used:
                self.rpps_used.add(number)
                return number

    def pick_organisation(self, roles: tuple[str, ...], departement: str) -> OrganisationSpec:
        candidates = [spec for role in roles for spec in self.by_role.get(role, ())]
        local = [spec for spec in candidates if spec.departement == departement]
        return self.rng.choice(local or candidates)

    def _start_date(self) -> datetime.date:
        return datetime.date(self.rng.randint(1992, 2024), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def situation(self, roles: tuple[str, ...], mode: str, departement: str, specialty: str = "",
                  role_label: str = "", organisation_key: str = "") -> SituationSpec:
        organisation = self.by_key[organisation_key] if organisation_key else self.pick_organisation(roles, departement)
        data = {"mode": mode, "specialty_code": specialty, "role_label": role_label, "start_date": self._start_date(),
                "active": True, "source": DEMO_SOURCE}
        return SituationSpec(organisation.key, data)

    def mssante_address(self, first_name: str, last_name: str, organisation_key: str) -> str:
        organisation = self.by_key[organisation_key]
        domain = mssante_domain(organisation.domain)
        base = mailbox_name(first_name, last_name)
        local, suffix = base, 1
        while f"{local}@{domain}" in self.mailboxes:
            suffix += 1
            local = f"{base}{suffix}"
        self.mailboxes.add(f"{local}@{domain}")
        return f"{local}@{domain}"

    def make(self, profession: str, specialty: str = "", *, at: tuple[str, str] | None = None,
             female: bool | None = None) -> ProfessionalSpec:
        """A professional; ``at`` = (organisation key, mode) pins the first practice place."""
        female = self.rng.random() < 0.6 if female is None else female
        first_name = self.fake.first_name_female() if female else self.fake.first_name_male()
        last_name = self.fake.last_name()
        departement = self.rng.choice(sorted(DEPARTEMENTS))
        family = ("generaliste" if specialty == "SM54" else "specialiste") if profession == "10" else profession
        if at is None:
            places = PLACES[family]
            roles, mode, _weight = self.rng.choices(places, weights=[weight for *_rest, weight in places])[0]
            situations = [self.situation(roles, mode, departement, specialty)]
        else:
            situations = [self.situation((), at[1], departement, specialty, organisation_key=at[0])]
        second = SECOND_PLACES.get(family)
        if second and at is None and self.rng.random() < 0.3:
            extra = self.situation(second[0], second[1], departement, specialty, second[2])
            if extra.organisation != situations[0].organisation:
                situations.append(extra)
        if profession in ("10", "40", "21"):
            title = "DR"
        else:
            title = "MME" if female else "M"
        data = {
            "rpps": self.rpps(),
            "title": title,
            "first_name": first_name,
            "last_name": last_name,
            "profession_code": profession,
            "mssante_address": self.mssante_address(first_name, last_name, situations[0].organisation),
            "active": True,
            "source": DEMO_SOURCE,
        }
        return ProfessionalSpec(data, tuple(situations))

    def random_professional(self) -> ProfessionalSpec:
        profession = self.rng.choices([code for code, _ in PROFESSION_MIX], [w for _, w in PROFESSION_MIX])[0]
        specialty = ""
        if profession == "10":
            specialty = "SM54" if self.rng.random() < 0.55 else self.rng.choice(HOSPITAL_SPECIALTIES)
        return self.make(profession, specialty)


def professional_specs(seed: int, count: int, catalogue: list[OrganisationSpec]) -> Iterator[ProfessionalSpec]:
    factory = _ProfessionalFactory(seed, catalogue)
    for _index in range(count):
        yield factory.random_professional()


def persona_professional_specs(seed: int, catalogue: list[OrganisationSpec]) -> dict[str, ProfessionalSpec]:
    """The professionals behind the demo accounts, by e-mail, each in its named organisation."""
    factory = _ProfessionalFactory(seed, catalogue, section="personas")
    return {
        persona.email: factory.make(
            persona.profession, persona.specialty, at=(persona.organisation, persona.mode), female=persona.female
        )
        for persona in PERSONAS
        if persona.is_professional
    }


def persona_staff_names(seed: int) -> dict[str, tuple[str, str]]:
    """First and last names of the personas that are neither professionals nor patients."""
    fake = faker_stream(seed, "persona-names")
    return {
        persona.email: (fake.first_name_female() if persona.female else fake.first_name_male(), fake.last_name())
        for persona in PERSONAS
        if not persona.is_professional and persona.kind != "patient"
    }


def persona_patient_specs(seed: int) -> dict[str, dict[str, Any]]:
    """The identities behind the patient accounts, by e-mail (sex matching the persona)."""
    pool = patient_specs(seed, 10 * len(PERSONAS), section="patient-personas")
    chosen: dict[str, dict[str, Any]] = {}
    for persona in PERSONAS:
        if persona.kind == "patient":
            wanted = "F" if persona.female else "M"
            chosen[persona.email] = next(data for data in pool if data["sex"] == wanted)
    return chosen


# --- Patients --------------------------------------------------------------------------------
def _first_names(fake: Faker, rng: random.Random, female: bool) -> str:
    wanted = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    names: list[str] = []
    while len(names) < wanted:
        name = fake.first_name_female() if female else fake.first_name_male()
        if name not in names:
            names.append(name)
    return " ".join(names)


def patient_specs(seed: int, count: int, section: str = "patients") -> Iterator[dict[str, Any]]:
    """Synthetic patients; the (birth name, first names, birth date) key never repeats."""
    rng = random_stream(seed, section)
    fake = faker_stream(seed, section)
    places = communes()
    seen: set[tuple[str, str, datetime.date]] = set()
    produced = 0
    while produced < count:
        female = rng.random() < 0.51
        birth_name = fake.last_name()
        first_names = _first_names(fake, rng, female)
        birth_date = REFERENCE_DATE - datetime.timedelta(days=rng.randrange(0, 100 * 365))
        used_name = ""
        age = (REFERENCE_DATE - birth_date).days // 365
        if female and age >= 25 and rng.random() < 0.45:
            used_name = fake.last_name()
        birth_place = rng.choice(FOREIGN_BIRTH_PLACES) if rng.random() < 0.06 else rng.choice(places).insee
        residence = rng.choice(places)
        key = (birth_name.upper(), first_names, birth_date)
        if key in seen or used_name.upper() == birth_name.upper():
            continue
        seen.add(key)
        produced += 1
        yield {
            "birth_name": birth_name,
            "birth_first_names": first_names,
            "birth_date": birth_date,
            "sex": "F" if female else "M",
            "birth_place_insee": birth_place,
            "used_name": used_name,
            "commune_insee": residence.insee,
            "city": residence.name,
        }
