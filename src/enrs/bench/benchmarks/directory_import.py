"""``enrs bench directory-import``: lines per second of the directory importers.

A synthetic extraction is generated in the real layout (Annuaire Santé
``PS_LibreAcces_Personne_activite`` or FINESS ``etalab-cs1100507-stock``):
invented people (Faker fr_FR) with check-digit-valid RPPS numbers
(``luhn_complete``), FINESS numbers completed with ``finess_complete``, real
Normandy communes, and about 1% of deliberately malformed lines. The file is
imported twice through ``services.start_import`` / ``run_import`` (the path a
user's upload takes): a first import, then the re-import that must find
everything unchanged. Both passes run inside one transaction that is rolled
back at the end, so the database is left as it was (``"rolled_back": true``);
the received copies go to a temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test.utils import override_settings

from enrs.bench.registry import benchmark, positive_int
from enrs.core.validators import finess_complete, luhn_complete
from enrs.demo.generators import faker_stream, random_stream
from enrs.demo.geography import DEPARTEMENTS, Commune, communes
from enrs.directory.nomenclatures import PROFESSIONS, SPECIALTIES

KINDS = ("annuaire", "finess")
MALFORMED_SHARE = 0.01

ANNUAIRE_HEADER = (
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice",
    "Libellé civilité d'exercice", "Code civilité", "Libellé civilité", "Nom d'exercice", "Prénom d'exercice",
    "Code profession", "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire", "Libellé savoir-faire",
    "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site", "Numéro SIREN site", "Numéro FINESS site",
    "Numéro FINESS établissement juridique", "Identifiant technique de la structure", "Raison sociale site",
    "Enseigne commerciale site", "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)", "Code postal (coord. structure)",
    "Code commune (coord. structure)", "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)", "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)", "Adresse e-mail (coord. structure)", "Code Département (structure)",
    "Libellé Département (structure)", "Ancien identifiant de la structure", "Autorité d'enregistrement",
    "Code secteur d'activité", "Libellé secteur d'activité", "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens", "Code rôle", "Libellé rôle", "Code genre activité",
    "Libellé genre activité", "",  # the real extraction ends every line with a "|"
)
STRUCTUREET_WIDTH = 32  # record type + 31 fields
# FINESS categories (categetab) used for the synthetic establishments.
CATEGORIES = {
    "355": "Centre Hospitalier (C.H.)",
    "500": "Etablissement d'hébergement pour personnes âgées dépendantes",
    "620": "Pharmacie d'Officine",
    "611": "Laboratoire de biologie médicale",
    "124": "Centre de Santé",
    "365": "Etablissement de Soins Pluridisciplinaire",
    "354": "Service de Soins Infirmiers A Domicile (S.S.I.A.D)",
    "603": "Maison de santé (L.6223-3)",
}
STREET_TYPES = ("Rue", "Avenue", "Boulevard", "Place", "Chemin", "Route")


# --- Synthetic extractions --------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticFile:
    path: Path
    lines: int
    malformed: int


@dataclass(frozen=True)
class _Site:
    finess: str
    siret: str
    technical_id: str
    name: str
    street_number: str
    street_type: str
    street: str
    commune: Commune
    phone: str


class _Numbers:
    """Sequential identifiers with their check digits, never reused within one file."""

    def __init__(self) -> None:
        self.rpps = self.adeli = self.siret = 0
        self.finess: dict[str, int] = {}

    def next_rpps(self) -> str:
        self.rpps += 1
        return luhn_complete(f"109{self.rpps:07d}")

    def next_adeli(self) -> str:
        self.adeli += 1
        return f"{self.adeli:09d}"[-9:]

    def next_siret(self) -> str:
        # Both the SIREN (first 9 digits) and the whole SIRET carry a Luhn key.
        self.siret += 1
        return luhn_complete(luhn_complete(f"9{self.siret:07d}") + "0001")

    def next_finess(self, departement: str) -> str:
        self.finess[departement] = self.finess.get(departement, 0) + 1
        return finess_complete(f"{departement}{self.finess[departement]:06d}")


def _phone(rng: random.Random) -> str:
    return "02 " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4))


class _AnnuaireGenerator:
    """Synthetic professionals with one to three activities each, in hospitals or cabinets."""

    def __init__(self, count: int, seed: int) -> None:
        self.rng, self.fake = random_stream(seed, "bench-annuaire"), faker_stream(seed, "bench-annuaire")
        self.numbers, self.places = _Numbers(), communes()
        self.hospitals = [self._hospital() for _ in range(max(1, count // 60))]
        self.cabinets: list[_Site] = []

    def _hospital(self) -> _Site:
        commune = self.rng.choice(self.places)
        finess = self.numbers.next_finess(commune.departement)
        name = f"{self.rng.choice(('CH', 'EHPAD', 'CLINIQUE'))} {self.fake.last_name().upper()}"
        return _Site(finess, "", f"F{finess}", name, str(self.rng.randrange(1, 200)), self.rng.choice(STREET_TYPES),
                     self.fake.street_name().upper(), commune, _phone(self.rng))

    def _cabinet(self, last_name: str) -> _Site:
        if self.cabinets and self.rng.random() < 0.3:
            return self.rng.choice(self.cabinets)  # a group practice
        with_siret = self.rng.random() < 0.9
        site = _Site("", self.numbers.next_siret() if with_siret else "", f"R{len(self.cabinets):09d}",
                     f"CABINET {last_name}" if with_siret else f"CABINET {last_name} {len(self.cabinets)}",
                     str(self.rng.randrange(1, 120)), self.rng.choice(STREET_TYPES), self.fake.street_name().upper(),
                     self.rng.choice(self.places), _phone(self.rng))
        self.cabinets.append(site)
        return site

    def person(self) -> dict[str, str]:
        rng, female = self.rng, self.rng.random() < 0.6
        profession = rng.choices(("10", "60", "70", "21", "40", "50", "91"), weights=(30, 35, 12, 8, 6, 4, 5))[0]
        by_adeli = profession in ("70", "91") and rng.random() < 0.5
        return {
            "id_type": "0" if by_adeli else "8",
            "id": self.numbers.next_adeli() if by_adeli else self.numbers.next_rpps(),
            "title_practice": "DR" if profession in ("10", "40") else "",
            "title": "MME" if female else "M",
            "last_name": self.fake.last_name().upper(),
            "first_name": self.fake.first_name_female() if female else self.fake.first_name_male(),
            "profession": profession,
            "specialty": rng.choice(sorted(SPECIALTIES)) if profession == "10" else "",
        }

    def activity(self, person: dict[str, str]) -> tuple[list[str], bool]:
        if self.rng.random() < 0.35:
            site, mode = self.rng.choice(self.hospitals), "S"
        else:
            site, mode = self._cabinet(person["last_name"]), "L"
        columns = _annuaire_columns(person, site, mode, self.rng)
        if self.rng.random() < MALFORMED_SHARE:
            return _break_annuaire_line(columns, self.rng), True
        return columns, False


def _annuaire_lines(count: int, seed: int) -> Iterator[tuple[list[str], bool]]:
    """Yield ``(columns, malformed)`` for ``count`` activity lines of synthetic professionals."""
    generator, produced = _AnnuaireGenerator(count, seed), 0
    while produced < count:
        person = generator.person()
        for _ in range(min(count - produced, generator.rng.choices((1, 2, 3), weights=(75, 20, 5))[0])):
            produced += 1
            yield generator.activity(person)


def _annuaire_columns(person: dict[str, str], site: _Site, mode: str, rng: random.Random) -> list[str]:
    row = dict.fromkeys(ANNUAIRE_HEADER, "")
    idnat = ("8" if person["id_type"] == "8" else "0") + person["id"]
    row.update({
        "Type d'identifiant PP": person["id_type"], "Identifiant PP": person["id"], "Identification nationale PP": idnat,
        "Code civilité d'exercice": person["title_practice"], "Code civilité": person["title"],
        "Nom d'exercice": person["last_name"], "Prénom d'exercice": person["first_name"],
        "Code profession": person["profession"], "Libellé profession": PROFESSIONS[person["profession"]],
        "Code catégorie professionnelle": "C", "Libellé catégorie professionnelle": "Civil",
        "Code savoir-faire": person["specialty"], "Libellé savoir-faire": SPECIALTIES.get(person["specialty"], ""),
        "Code mode exercice": mode, "Libellé mode exercice": "Salarié" if mode == "S" else "Libéral",
        "Numéro SIRET site": site.siret, "Numéro FINESS site": site.finess,
        "Identifiant technique de la structure": site.technical_id, "Raison sociale site": site.name,
        "Numéro Voie (coord. structure)": site.street_number,
        "Libellé type de voie (coord. structure)": site.street_type,
        "Libellé Voie (coord. structure)": site.street,
        "Code postal (coord. structure)": site.commune.postal_code,
        "Code commune (coord. structure)": site.commune.insee,
        "Libellé commune (coord. structure)": site.commune.name.upper(),
        "Code pays (coord. structure)": "99100", "Libellé pays (coord. structure)": "France",
        "Téléphone (coord. structure)": site.phone,
        "Code Département (structure)": site.commune.departement,
        "Libellé Département (structure)": DEPARTEMENTS[site.commune.departement],
    })
    if mode == "S" and rng.random() < 0.2:
        row.update({"Code rôle": "FON-05", "Libellé rôle": "Médecin coordonnateur"})
    return list(row.values())


def _break_annuaire_line(columns: list[str], rng: random.Random) -> list[str]:
    """One of the mistakes real extractions (or their hand edits) contain."""
    broken, index = list(columns), ANNUAIRE_HEADER.index
    mistake = rng.randrange(5)
    if mistake == 0 and broken[index("Type d'identifiant PP")] == "8":  # wrong RPPS key
        rpps = broken[index("Identifiant PP")]
        broken[index("Identifiant PP")] = rpps[:-1] + str((int(rpps[-1]) + 1) % 10)
    elif mistake == 1:
        return broken[:-3]  # missing columns
    elif mistake == 2 and broken[index("Numéro FINESS site")]:  # wrong FINESS key
        finess = broken[index("Numéro FINESS site")]
        broken[index("Numéro FINESS site")] = finess[:-1] + str((int(finess[-1]) + 1) % 10)
    elif mistake == 3:
        broken[index("Adresse e-mail (coord. structure)")] = "pas-une-adresse"
    else:
        broken[index("Type d'identifiant PP")] = "3"  # neither RPPS (8) nor ADELI (0)
    return broken


def _finess_lines(count: int, seed: int) -> Iterator[tuple[list[str], bool]]:
    """Yield ``(fields, malformed)``: the ``structureet`` records, then their ``geolocalisation``."""
    rng, fake, numbers = random_stream(seed, "bench-finess"), faker_stream(seed, "bench-finess"), _Numbers()
    places = communes()
    establishments = (count + 1) // 2
    legal_entities = [numbers.next_finess(rng.choice(places).departement) for _ in range(max(1, establishments // 3))]
    sites: list[str] = []
    for _ in range(establishments):
        commune = rng.choice(places)
        finess = numbers.next_finess(commune.departement)
        sites.append(finess)
        category = rng.choice(sorted(CATEGORIES))
        name = f"{CATEGORIES[category].split(' ')[0].upper()} {fake.last_name().upper()}"
        fields = [
            "structureet", finess, rng.choice(legal_entities), name[:38], name, "", "",
            str(rng.randrange(1, 200)), rng.choice(("R", "AV", "BD", "PL")), fake.street_name().upper(), "", "",
            commune.insee[2:], commune.departement, DEPARTEMENTS[commune.departement].upper(),
            f"{commune.postal_code} {commune.name.upper()}", _phone(rng), "", category, CATEGORIES[category],
            "", "", numbers.next_siret(), "8610Z", "03", "ARS", "", "",
            "2000-01-01", "2000-01-01", "2025-01-15", "",
        ]
        yield _maybe_break_finess(fields, rng)
    for finess in sites[: count - establishments]:
        fields = ["geolocalisation", finess, f"{rng.uniform(380000, 580000):.1f}", f"{rng.uniform(6820000, 6980000):.1f}",
                  "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93", "2025-01-15"]
        yield _maybe_break_finess(fields, rng)


def _maybe_break_finess(fields: list[str], rng: random.Random) -> tuple[list[str], bool]:
    if rng.random() >= MALFORMED_SHARE:
        return fields, False
    broken = list(fields)
    mistake = rng.randrange(3)
    if mistake == 0:  # wrong FINESS key
        broken[1] = broken[1][:-1] + str((int(broken[1][-1]) + 1) % 10)
    elif mistake == 1:
        broken = broken[:5]  # missing fields
    elif broken[0] == "geolocalisation":
        broken[2] = "abc"  # not a number
    else:
        broken[9] = ""
        broken[1] = broken[1][:-1] + str((int(broken[1][-1]) + 3) % 10)
    return broken, True


def write_synthetic_file(kind: str, lines: int, seed: int, directory: Path) -> SyntheticFile:
    """Write a synthetic extraction of ``lines`` data lines (plus the header) into ``directory``."""
    if kind == "annuaire":
        path, separator = directory / "PS_LibreAcces_Personne_activite_bench.txt", "|"
        header, rows = "|".join(ANNUAIRE_HEADER), _annuaire_lines(lines, seed)
    else:
        path, separator = directory / "etalab-cs1100507-stock-bench.csv", ";"
        header, rows = "finess;etalab;111;2026-01-01", _finess_lines(lines, seed)
    malformed = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(header + "\n")
        for fields, broken in rows:
            malformed += broken
            out.write(separator.join(fields) + "\n")
    return SyntheticFile(path=path, lines=lines, malformed=malformed)


# --- The benchmark ---------------------------------------------------------------------------
class _Rollback(Exception):
    pass



def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lines", type=positive_int, default=20_000, help="data lines of the synthetic file")
    parser.add_argument("--kind", choices=KINDS, default="annuaire")
    parser.add_argument("--seed", type=int, default=2026)


def _timed_import(kind: str, path: Path) -> dict[str, Any]:
    from enrs.directory import services
    from enrs.directory.importers.storage import file_chunks

    run = services.start_import(kind=kind, file_name=path.name, chunks=file_chunks(path))
    started = time.perf_counter()
    run = services.run_import(run.pk)
    seconds = time.perf_counter() - started
    return {
        "status": run.status,
        "error": run.error,
        "seconds": round(seconds, 3),
        "lines_per_second": round(run.processed_lines / seconds, 1) if seconds else 0.0,
        "processed": run.processed_lines,
        "created": run.created_count,
        "updated": run.updated_count,
        "unchanged": run.unchanged_count,
        "rejected": run.rejected_count,
    }


@benchmark(
    "directory-import",
    help="Import a synthetic Annuaire Santé or FINESS file twice in a rolled-back transaction; report lines/s.",
    arguments=_arguments,
)
def directory_import(options: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="enrs-bench-") as tmp:
        synthetic = write_synthetic_file(options.kind, options.lines, options.seed, Path(tmp))
        with override_settings(ENRS_IMPORT_DIR=Path(tmp) / "imports"):
            try:
                with transaction.atomic():
                    first = _timed_import(options.kind, synthetic.path)
                    again = _timed_import(options.kind, synthetic.path)
                    raise _Rollback
            except _Rollback:
                pass
    return {
        "dataset": {"kind": options.kind, "lines": synthetic.lines, "seed": options.seed,
                    "malformed_lines": synthetic.malformed},
        "lines": synthetic.lines,
        "lines_per_second": {"first_import": first["lines_per_second"], "reimport": again["lines_per_second"]},
        "rejected": first["rejected"],
        # The re-import must find every stored line unchanged and reject the same lines.
        "idempotent": (again["created"], again["updated"], again["rejected"]) == (0, 0, first["rejected"]),
        "first_import": first,
        "reimport": again,
        "rolled_back": True,
    }
