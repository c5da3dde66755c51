"""Public geography of the demo region (Normandy).

``data/communes_normandie.csv`` lists real communes of the five départements
(14, 27, 50, 61, 76): INSEE COG code, name, main postal code and the
commune's reference point (WGS84). Values were checked one by one against a
public extract of the INSEE Code officiel géographique and the base officielle
des codes postaux (La Poste, data.gouv.fr); a commune whose code could not be
checked was left out. Places are public data; people in the demo are always
synthetic.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

COMMUNES_FILE = Path(__file__).resolve().parent / "data" / "communes_normandie.csv"
DEPARTEMENTS = {
    "14": "Calvados",
    "27": "Eure",
    "50": "Manche",
    "61": "Orne",
    "76": "Seine-Maritime",
}


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postal_code: str
    latitude: Decimal
    longitude: Decimal

    @property
    def departement(self) -> str:
        return self.insee[:2]


@cache
def communes() -> tuple[Commune, ...]:
    """All communes of the file, in file order (stable, so generators are deterministic)."""
    with COMMUNES_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Commune(
                insee=row["insee"],
                name=row["name"],
                postal_code=row["postal_code"],
                latitude=Decimal(row["latitude"]),
                longitude=Decimal(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        )


@cache
def commune_by_insee() -> dict[str, Commune]:
    return {commune.insee: commune for commune in communes()}


def commune_named(name: str) -> Commune:
    for commune in communes():
        if commune.name == name:
            return commune
    raise KeyError(name)


def of_commune(name: str) -> str:
    """French "of <commune>": de Caen, d'Évreux, du Havre, des Andelys."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[0].upper() in "AEIOUYÉÈÊÂÎÔ":
        return "d'" + name
    return "de " + name
