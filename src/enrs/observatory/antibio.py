"""NormAntiBio CSV templates: reading and line-level checks (pure functions, no database).

Two templates (docs/services/observatory.md), ``;`` (or ``,``) separated, UTF-8 (BOM tolerated) or
Windows-1252 (what a French spreadsheet writes), header on the first line, columns in any order:

- consumption (establishments' pharmacies): ``finess;annee;atc;ddj;journees_hospitalisation``
  — DDJ (defined daily doses) dispensed for an ATC J01 code (any level from J01 to the molecule)
  and the full-hospitalisation days of that establishment and year (the same on every line);
- resistance (establishments and laboratories): ``finess;annee;germe;antibiotique;sensibles;
  intermediaires;resistants`` — strains tested after removal of duplicates, by germ and antibiotic.

``read_csv`` returns a :class:`CsvOutcome`: a file error (the whole file is refused) or the rows
split into accepted and rejected lines, each rejected line with French messages naming its
number and column. Lines in = accepted + rejected, always. Directory look-ups are passed in
(``resolve_finess``) so that this module stays pure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from enrs.core.validators import validate_finess

DATA = Path(__file__).parent / "data"
CONSUMPTION = "consommation"
RESISTANCE = "resistance"
COLUMNS = {
    CONSUMPTION: ("finess", "annee", "atc", "ddj", "journees_hospitalisation"),
    RESISTANCE: ("finess", "annee", "germe", "antibiotique", "sensibles", "intermediaires", "resistants"),
}
MAX_LINES = 100_000
FIRST_YEAR = 2000
ATC_J01 = re.compile(r"^J01(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?$")
MAX_DDD = Decimal("1000000000")
MAX_STRAINS = 10_000_000


def _table(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@cache
def germs() -> dict[str, str]:
    return {row["code"]: row["libelle"] for row in _table("antibio_germes.csv")}


@cache
def molecules() -> dict[str, str]:
    return {row["atc"]: row["libelle"] for row in _table("antibio_molecules.csv")}


@cache
def atc_classes() -> dict[str, str]:
    return {row["atc"]: row["libelle"] for row in _table("antibio_classes.csv")}


@dataclass(frozen=True)
class ResistanceIndicator:
    code: str
    label: str
    germ: str
    antibiotics: tuple[str, ...]  # markers, by preference: the first one a source reported is used


@cache
def resistance_indicators() -> tuple[ResistanceIndicator, ...]:
    return tuple(
        ResistanceIndicator(row["code"], row["libelle"], row["germe"], tuple(row["antibiotiques"].split("|")))
        for row in _table("antibio_indicateurs.csv")
    )


@dataclass
class LineError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class Line:
    number: int  # 1 = header; data lines start at 2 (what a spreadsheet shows)
    raw: str
    fields: dict[str, str]
    values: dict = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)


@dataclass
class CsvOutcome:
    kind: str = ""
    file_error: str = ""
    encoding: str = ""
    accepted: list[Line] = field(default_factory=list)
    rejected: list[Line] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return len(self.accepted) + len(self.rejected)


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM removed) or, failing that, Windows-1252; raises ValueError for anything else."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="strict")  # undefined bytes (0x81…) raise UnicodeDecodeError
    if "\x00" in text:
        raise ValueError("nul")
    return text, "Windows-1252"


def _header(names: list[str]) -> list[str]:
    return [name.strip().lower().replace("é", "e").replace("è", "e") for name in names]


def detect_kind(header: list[str]) -> str:
    for kind, columns in COLUMNS.items():
        if sorted(header) == sorted(columns):
            return kind
    return ""


def read_csv(data: bytes, resolve_finess: Callable[[str], tuple[str, str]]) -> CsvOutcome:
    """Parse and check a NormAntiBio file.

    ``resolve_finess(finess)`` answers ``("", "")`` when the FINESS is usable, else an error
    ``(code, French message)`` (unknown in the directory, not the sender's organisation…).
    """
    outcome = CsvOutcome()
    if not data.strip():
        outcome.file_error = _("Le fichier est vide.")
        return outcome
    try:
        text, outcome.encoding = decode(data)
    except (UnicodeDecodeError, ValueError):
        outcome.file_error = _("Encodage illisible : enregistrez le fichier en UTF-8 (ou Windows-1252) au format CSV.")
        return outcome
    lines = text.splitlines()
    delimiter = ";" if ";" in lines[0] else ","
    header = _header(next(csv.reader([lines[0]], delimiter=delimiter)))
    outcome.kind = detect_kind(header)
    if not outcome.kind:
        outcome.file_error = _(
            "En-tête non reconnu (ligne 1). Colonnes attendues : « %(c)s » pour la consommation ou « %(r)s » pour "
            "la résistance."
        ) % {"c": ";".join(COLUMNS[CONSUMPTION]), "r": ";".join(COLUMNS[RESISTANCE])}
        return outcome
    if len(lines) - 1 > MAX_LINES:
        outcome.file_error = _("Fichier trop long : %(max)s lignes au plus par envoi.") % {"max": MAX_LINES}
        return outcome
    checker = _Checker(outcome.kind, resolve_finess)
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        cells = next(csv.reader([raw], delimiter=delimiter), [])
        line = Line(number, raw, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)})
        if len(cells) != len(header):
            line.errors.append(LineError("", "colonnes", _(
                "Ligne %(n)s : %(got)s colonnes au lieu de %(want)s.") % {"n": number, "got": len(cells), "want": len(header)}))
        else:
            checker.check(line)
        (outcome.rejected if line.errors else outcome.accepted).append(line)
    if not outcome.lines:
        outcome.file_error = _("Le fichier ne contient aucune ligne de données sous l'en-tête.")
    return outcome


def _message(line: Line, column: str, text: str) -> str:
    received = line.fields.get(column, "")[:40]
    return _("Ligne %(n)s, colonne « %(col)s » : %(text)s (reçu « %(got)s »).") % {
        "n": line.number, "col": column, "text": text, "got": received}


class _Checker:
    """Checks one line after another; remembers what earlier lines of the file said."""

    def __init__(self, kind: str, resolve_finess: Callable[[str], tuple[str, str]]):
        self.kind = kind
        self.resolve_finess = resolve_finess
        self.finess_errors: dict[str, tuple[str, str]] = {}
        self.seen_keys: dict[tuple, int] = {}
        self.patient_days: dict[tuple[str, int], tuple[int, int]] = {}
        self.atc_by_pair: dict[tuple[str, int], list[tuple[str, int]]] = {}

    def fail(self, line: Line, column: str, code: str, text: str) -> None:
        line.errors.append(LineError(column, code, _message(line, column, text)))

    def check(self, line: Line) -> None:
        self._finess(line)
        self._year(line)
        if self.kind == CONSUMPTION:
            self._consumption(line)
        else:
            self._resistance(line)
        if not line.errors:
            self._cross_lines(line)

    def _finess(self, line: Line) -> None:
        try:
            finess = validate_finess(line.fields["finess"].upper())
        except ValidationError as error:
            text = error.messages[0].rstrip(".")
            self.fail(line, "finess", "format", text[:1].lower() + text[1:])
            return
        if finess not in self.finess_errors:
            self.finess_errors[finess] = self.resolve_finess(finess)
        code, text = self.finess_errors[finess]
        if code:
            self.fail(line, "finess", code, text)
        else:
            line.values["finess"] = finess

    def _year(self, line: Line) -> None:
        value = line.fields["annee"]
        last = dt.date.today().year
        if not value.isdigit() or not FIRST_YEAR <= int(value) <= last:
            self.fail(line, "annee", "format", _("année entre %(first)s et %(last)s attendue") % {"first": FIRST_YEAR, "last": last})
        else:
            line.values["annee"] = int(value)

    def _count(self, line: Line, column: str) -> None:
        value = line.fields[column].replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if not value.isdigit() or int(value) > MAX_STRAINS:
            self.fail(line, column, "format", _("nombre entier positif ou nul attendu"))
        else:
            line.values[column] = int(value)

    def _consumption(self, line: Line) -> None:
        atc = line.fields["atc"].upper().replace(" ", "")
        if not ATC_J01.match(atc):
            self.fail(line, "atc", "format", _("code ATC d'antibiotique systémique attendu (J01, J01C, J01CA, J01CA04…)"))
        else:
            line.values["atc"] = atc
        ddd = line.fields["ddj"].replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace(",", ".")
        try:
            amount = Decimal(ddd)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_DDD:
            self.fail(line, "ddj", "format", _("nombre de DDJ positif ou nul attendu (virgule décimale acceptée)"))
        else:
            line.values["ddj"] = amount.quantize(Decimal("0.01"))
        self._count(line, "journees_hospitalisation")
        if line.values.get("journees_hospitalisation") == 0:
            line.values.pop("journees_hospitalisation")
            self.fail(line, "journees_hospitalisation", "format", _("nombre de journées d'hospitalisation supérieur à zéro attendu"))

    def _resistance(self, line: Line) -> None:
        germ = line.fields["germe"].upper().replace(" ", "")
        if germ not in germs():
            self.fail(line, "germe", "inconnu", _("germe inconnu ; codes acceptés : %(codes)s") % {"codes": ", ".join(germs())})
        else:
            line.values["germe"] = germ
        antibiotic = line.fields["antibiotique"].upper().replace(" ", "")
        if antibiotic not in molecules():
            self.fail(line, "antibiotique", "inconnu", _("code ATC d'une molécule testée attendu (liste dans le modèle)"))
        else:
            line.values["antibiotique"] = antibiotic
        for column in ("sensibles", "intermediaires", "resistants"):
            self._count(line, column)
        counts = [line.values.get(c) for c in ("sensibles", "intermediaires", "resistants")]
        if None not in counts and sum(counts) == 0:
            self.fail(line, "resistants", "aucune_souche", _("aucune souche testée sur la ligne"))

    def _cross_lines(self, line: Line) -> None:
        values = line.values
        pair = (values["finess"], values["annee"])
        key = pair + ((values["atc"],) if self.kind == CONSUMPTION else (values["germe"], values["antibiotique"]))
        if key in self.seen_keys:
            column = "atc" if self.kind == CONSUMPTION else "antibiotique"
            self.fail(line, column, "doublon", _("déjà donné ligne %(n)s pour ce FINESS et cette année") % {"n": self.seen_keys[key]})
            return
        if self.kind == CONSUMPTION and not self._consumption_coherent(line, pair):
            return
        self.seen_keys[key] = line.number

    def _consumption_coherent(self, line: Line, pair: tuple[str, int]) -> bool:
        days = line.values["journees_hospitalisation"]
        first = self.patient_days.setdefault(pair, (days, line.number))
        if first[0] != days:
            self.fail(line, "journees_hospitalisation", "incoherence", _(
                "les journées d'hospitalisation d'un établissement et d'une année doivent être les mêmes sur chaque ligne "
                "(%(days)s ligne %(n)s)") % {"days": first[0], "n": first[1]})
            return False
        atc = line.values["atc"]
        for other, number in self.atc_by_pair.get(pair, []):
            if atc.startswith(other) or other.startswith(atc):
                self.fail(line, "atc", "chevauchement", _(
                    "recoupe le code %(other)s de la ligne %(n)s (les DDJ seraient comptées deux fois)") % {"other": other, "n": number})
                return False
        self.atc_by_pair.setdefault(pair, []).append((atc, line.number))
        return True


def template(kind: str) -> str:
    """The CSV template of ``kind`` with two example lines (documented in docs/services/observatory.md)."""
    header = ";".join(COLUMNS[kind])
    if kind == CONSUMPTION:
        examples = ["140000019;2025;J01CA04;12500,5;48000", "140000019;2025;J01DD04;3200;48000"]
    else:
        examples = ["140000019;2025;ECOLI;J01DD01;950;10;40", "140000019;2025;SAUREUS;J01CF04;410;0;90"]
    return "\r\n".join([header, *examples]) + "\r\n"
