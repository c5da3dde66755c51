"""NormAntiBio indicators (reads): antibiotic consumption in DDJ per 1,000 patient-days and resistance rates.

- Consumption rate = Σ DDJ / Σ full-hospitalisation days × 1,000, summed over establishments
  (each establishment's days counted once per year, whatever the number of its ATC lines): the
  Spares method, no case-mix adjustment.
- Resistance rate = resistant strains / strains tested (S + I + R) for the indicator's marker
  antibiotic; intermediate strains count as tested, not resistant (reference §4). For each
  reporting organisation, the marker is the first antibiotic of the indicator's list it reported
  that year (e.g. cefotaxime, else ceftriaxone, else ceftazidime for E. coli C3G), so the same
  strains are never counted twice.
Only aggregates by establishment/laboratory, département and region: no patient data here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from enrs.observatory import antibio
from enrs.observatory.models import AntibioConsumption, AntibioResistance

UNCLASSIFIED = "J01"


def consumption_rate(ddd: Decimal, patient_days: int) -> Decimal | None:
    """DDJ per 1,000 patient-days, one decimal; None without patient-days."""
    if not patient_days:
        return None
    return (Decimal(ddd) * 1000 / patient_days).quantize(Decimal("0.1"))


def resistance_rate(resistant: int, tested: int) -> Decimal | None:
    """Share of resistant strains in percent, one decimal; None when nothing was tested."""
    if not tested:
        return None
    return (Decimal(resistant) * 100 / tested).quantize(Decimal("0.1"))


@dataclass
class Cell:
    """Numerator and denominator of a rate, so that rates add up correctly (never averaged)."""

    numerator: Decimal = Decimal(0)
    denominator: int = 0

    @property
    def per_thousand(self) -> Decimal | None:
        return consumption_rate(self.numerator, self.denominator)

    @property
    def percent(self) -> Decimal | None:
        return resistance_rate(int(self.numerator), self.denominator)

    def add(self, numerator, denominator: int) -> None:
        self.numerator += Decimal(numerator)
        self.denominator += denominator


@dataclass
class Place:
    organisation_id: int
    finess: str
    name: str
    departement: str


@dataclass
class ConsumptionBoard:
    year: int
    region: Cell = field(default_factory=Cell)
    by_departement: dict[str, Cell] = field(default_factory=dict)
    by_establishment: list[tuple[Place, Cell]] = field(default_factory=list)
    by_class: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (ATC class, label, DDJ)


@dataclass
class ResistanceLine:
    indicator: antibio.ResistanceIndicator
    region: Cell = field(default_factory=Cell)
    by_departement: dict[str, Cell] = field(default_factory=dict)
    by_source: list[tuple[Place, str, Cell]] = field(default_factory=list)  # (place, marker antibiotic, cell)


def _place(row) -> Place:
    organisation = row.organisation
    return Place(organisation.pk, row.finess, organisation.name, organisation.departement or row.finess[:2])


def years() -> list[int]:
    found = set(AntibioConsumption.objects.values_list("year", flat=True).distinct())
    found |= set(AntibioResistance.objects.values_list("year", flat=True).distinct())
    return sorted(found, reverse=True)


def consumption(year: int) -> ConsumptionBoard:
    board = ConsumptionBoard(year)
    rows = AntibioConsumption.objects.filter(year=year).select_related("organisation").order_by("finess", "atc")
    per_place: dict[str, tuple[Place, Cell]] = {}
    per_class: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.finess not in per_place:
            per_place[row.finess] = (_place(row), Cell(Decimal(0), row.patient_days))
        per_place[row.finess][1].numerator += row.ddd
        per_class[row.atc[:4] if len(row.atc) >= 4 else UNCLASSIFIED] += row.ddd
    for place, cell in per_place.values():
        board.region.add(cell.numerator, cell.denominator)
        board.by_departement.setdefault(place.departement, Cell()).add(cell.numerator, cell.denominator)
    board.by_establishment = sorted(per_place.values(), key=lambda item: item[0].name)
    board.by_departement = dict(sorted(board.by_departement.items()))
    labels = antibio.atc_classes()
    board.by_class = [(code, labels.get(code, _("J01 sans ventilation par classe")), ddd) for code, ddd in sorted(per_class.items())]
    return board


def resistance(year: int) -> list[ResistanceLine]:
    lines = []
    for indicator in antibio.resistance_indicators():
        line = ResistanceLine(indicator)
        rows = (
            AntibioResistance.objects.filter(year=year, germ=indicator.germ, antibiotic__in=indicator.antibiotics)
            .select_related("organisation").order_by("finess")
        )
        by_finess: dict[str, list] = defaultdict(list)
        for row in rows:
            by_finess[row.finess].append(row)
        for finess_rows in by_finess.values():
            marker = min(finess_rows, key=lambda r: indicator.antibiotics.index(r.antibiotic))
            tested = marker.susceptible + marker.intermediate + marker.resistant
            cell = Cell(Decimal(marker.resistant), tested)
            place = _place(marker)
            line.by_source.append((place, marker.antibiotic, cell))
            line.region.add(cell.numerator, tested)
            line.by_departement.setdefault(place.departement, Cell()).add(cell.numerator, tested)
        line.by_source.sort(key=lambda item: item[0].name)
        line.by_departement = dict(sorted(line.by_departement.items()))
        lines.append(line)
    return lines


def germ_antibiotic_table(year: int) -> list[tuple[str, str, int, Decimal | None, Decimal | None]]:
    """Region-wide (germ label, antibiotic label, strains tested, % R, % I) for every pair reported."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for germ, molecule, s, i, r in AntibioResistance.objects.filter(year=year).values_list(
        "germ", "antibiotic", "susceptible", "intermediate", "resistant"
    ):
        cell = totals[(germ, molecule)]
        cell[0] += s
        cell[1] += i
        cell[2] += r
    germs, molecules = antibio.germs(), antibio.molecules()
    return [
        (germs.get(germ, germ), f"{molecules.get(molecule, molecule)} ({molecule})", sum(c), resistance_rate(c[2], sum(c)),
         resistance_rate(c[1], sum(c)))
        for (germ, molecule), c in sorted(totals.items())
    ]
