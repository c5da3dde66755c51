"""Validity and coherence rules of one RPU record, and the per-file quality counters.

Pure functions (no database): they run in worker processes during a bulk
ingest. The rules follow /work/shared/reference/rpu-oru-telehealth.md (§1.3
values, §1.4 cross-field constraints, §2.1 quality checks); every rule that
fails puts the record in quarantine with a code and a French message naming
the field. Choices where the sources disagree are constants here and written
down in docs/services/observatory.md.

Quality (FEDORU): *completeness* = records with the item filled / denominator;
*conformity* ("exploitabilité") = records with the item filled **and** valid on
its own / denominator. The denominator is every record of the file, except for
DESTINATION and ORIENT whose denominator is the hospitalised passages
(MODE_SORTIE 6 or 7).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.observatory.rpu import FIELDS, parse_date, parse_datetime

logger = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

MODES_ENTREE = frozenset("678")
PROVENANCES = frozenset("12345678")
TRANSPORTS = frozenset({"PERSO", "AMBU", "VSAB", "SMUR", "HELI", "FO"})
TRANSPORTS_PEC = frozenset({"MED", "PARAMED", "AUCUN"})
GRAVITES = frozenset({"1", "P", "2", "3", "4", "5", "D"})
SEXES = frozenset("MFI")
MODES_SORTIE = frozenset("6789")
DESTINATIONS = frozenset("123467")
ORIENT_HOSPITALISATION = frozenset({"HDT", "HO", "SC", "SI", "REA", "UHCD", "MED", "CHIR", "OBST"})
ORIENT_HOME = frozenset({"FUGUE", "SCAM", "PSA", "REO"})
ORIENTS = ORIENT_HOSPITALISATION | ORIENT_HOME
HOSPITALISED = frozenset("67")

# Entry mode → allowed provenances (Mediboard constraints, reference §1.4). The newer
# Mediboard allows HAD (6) after a transfer; the InVS page would also allow 6/7 from home:
# the sources disagree, so this table is the one place to change once V2006 is checked.
PROVENANCE_BY_MODE_ENTREE = {"6": frozenset("1234"), "7": frozenset("12346"), "8": frozenset("58")}
DESTINATION_BY_MODE_SORTIE = {"6": frozenset("1234"), "7": frozenset("1234"), "8": frozenset("67")}
ORIENT_BY_MODE_SORTIE = {"6": ORIENT_HOSPITALISATION, "7": ORIENT_HOSPITALISATION, "8": ORIENT_HOME, "9": frozenset()}

MAX_STAY = dt.timedelta(hours=72)
MAX_AGE_YEARS = 120

_CP = re.compile(r"\d{5}")
# CIM-10 (FR): a letter, two digits, then up to three characters (ATIH extensions, e.g. U0710, S7200+1 is
# written S72001 once normalised). The shape first, then the code list (cim10_is_valid).
_CIM10 = re.compile(r"[A-Z]\d{2}[0-9A-Z+]{0,3}")
_CCAM = re.compile(r"[A-Z]{4}\d{3}(?:-\d{1,2})?")
_MOTIF = re.compile(r"[0-9A-Z.+-]{1,20}")
# Categories that do not exist in CIM-10 (chapter letters are all used; these blocks are empty in the
# WHO/ATIH editions): refusing them is honest without the full code list.
_CIM10_EMPTY_BLOCKS = (("U", 85, 99),)

# Sex-specific diagnoses (FEDORU trame: "% female-only diagnoses in men and vice versa").
FEMALE_ONLY_PREFIXES = ("O", "C51", "C52", "C53", "C54", "C55", "C56", "C57", "C58", "D06", "D25", "D26", "D27", "D28",
                        "D39", "N70", "N71", "N72", "N73", "N74", "N75", "N76", "N77", "N8", "N9", "Z32", "Z33",
                        "Z34", "Z35", "Z36", "Z37", "Z39")
MALE_ONLY_PREFIXES = ("C60", "C61", "C62", "C63", "D07.4", "D29", "D40", "N40", "N41", "N42", "N43", "N44", "N45", "N46",
                      "N47", "N48", "N49", "N50", "N51")
MALE_ONLY_PREFIXES = tuple(p.replace(".", "") for p in MALE_ONLY_PREFIXES)
# Age × pathology: pregnancy codes outside 10–60 years are taken as coding errors.
PREGNANCY_AGE = (10, 60)
# N80–N98 are female genital disorders, but N99 (post-procedural, genito-urinary) is not sex-specific.
_NOT_SEX_SPECIFIC = ("N99",)


@dataclass
class RecordError:
    record: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"record": self.record, "field": self.field, "code": self.code, "message": self.message}


@dataclass
class Quality:
    """Counters for completeness and conformity, per field, with conditional denominators."""

    records: int = 0
    hospitalised: int = 0
    filled: Counter = field(default_factory=Counter)
    conform: Counter = field(default_factory=Counter)

    def denominator(self, name: str) -> int:
        return self.hospitalised if name in ("DESTINATION", "ORIENT") else self.records

    def rates(self, counter: Counter) -> dict[str, float | None]:
        result = {}
        for name in FIELDS:
            denominator = self.denominator(name)
            result[name] = round(counter[name] / denominator, 4) if denominator else None
        return result

    def completeness(self) -> dict[str, float | None]:
        return self.rates(self.filled)

    def conformity(self) -> dict[str, float | None]:
        return self.rates(self.conform)

    def merge(self, other: Quality) -> None:
        self.records += other.records
        self.hospitalised += other.hospitalised
        self.filled.update(other.filled)
        self.conform.update(other.conform)


# --- Single-field validity -------------------------------------------------------------------
CIM10_DEFAULT_FILE = Path(__file__).parent / "data" / "cim10_oms_2019.txt"


def cim10_list_path() -> Path | None:
    """The CIM-10 code list in force: setting or environment ``ENRS_OBSERVATORY_CIM10_FILE`` (a path;
    empty = no list, shape check only), else the shipped WHO ICD-10 2019 list."""
    configured = None
    try:
        from django.conf import settings

        configured = getattr(settings, "ENRS_OBSERVATORY_CIM10_FILE", None)
    except ImproperlyConfigured:  # used outside Django (a plain script)
        pass
    if configured is None:
        configured = os.environ.get("ENRS_OBSERVATORY_CIM10_FILE")
    if configured is None:
        return CIM10_DEFAULT_FILE
    return Path(configured) if configured else None


@functools.cache
def _cim10_codes(path: Path | None) -> tuple[frozenset[str], frozenset[str]] | None:
    """(codes, three-character categories without subcategory) of the list file, or None (shape only)."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8-sig") as handle:
            codes = frozenset(line.strip().upper().replace(".", "") for line in handle
                              if line.strip() and not line.lstrip().startswith("#"))
    except OSError:
        logger.warning("CIM-10 list %s unreadable: shape check only", path)
        return None
    subdivided = {code[:3] for code in codes if len(code) > 3}
    return codes, frozenset(code for code in codes if len(code) == 3 and code not in subdivided)


@functools.lru_cache(maxsize=65536)
def _cim10_in_list(code: str, path: Path | None) -> bool:
    loaded = _cim10_codes(path)
    if loaded is None:
        return True
    codes, leaves = loaded
    # In the list; or characters beyond a listed subcategory, or beyond a category without
    # subcategory: ATIH national extensions (5th/6th character) are accepted on their WHO stem.
    return code in codes or (len(code) > 4 and code[:4] in codes) or (len(code) > 3 and code[:3] in leaves)


def cim10_is_valid(code: str) -> bool:
    """A normalised CIM-10 code: its shape, not in an empty block, and (when a code list is
    configured, by default WHO ICD-10 2019) its category/subcategory in the list."""
    if not _CIM10.fullmatch(code):
        return False
    letter, number = code[0], int(code[1:3])
    if any(letter == block[0] and block[1] <= number <= block[2] for block in _CIM10_EMPTY_BLOCKS):
        return False
    return _cim10_in_list(code, cim10_list_path())


def _in(values: frozenset):
    return lambda value: value in values


SINGLE_FIELD = {
    "CP": lambda v: bool(_CP.fullmatch(v)),
    "COMMUNE": lambda v: 0 < len(v) <= 80,
    "NAISSANCE": lambda v: parse_date(v) is not None,
    "SEXE": _in(SEXES),
    "ENTREE": lambda v: parse_datetime(v) is not None,
    "MODE_ENTREE": _in(MODES_ENTREE),
    "PROVENANCE": _in(PROVENANCES),
    "TRANSPORT": _in(TRANSPORTS),
    "TRANSPORT_PEC": _in(TRANSPORTS_PEC),
    "MOTIF": lambda v: bool(_MOTIF.fullmatch(v)),
    "GRAVITE": _in(GRAVITES),
    "DP": cim10_is_valid,
    "SORTIE": lambda v: parse_datetime(v) is not None,
    "MODE_SORTIE": _in(MODES_SORTIE),
    "DESTINATION": _in(DESTINATIONS),
    "ORIENT": _in(ORIENTS),
}
_DATES = frozenset({"ENTREE", "SORTIE", "NAISSANCE"})
_CONDITIONAL = frozenset({"DESTINATION", "ORIENT"})
_SETS = {"SEXE": SEXES, "MODE_ENTREE": MODES_ENTREE, "PROVENANCE": PROVENANCES, "TRANSPORT": TRANSPORTS,
         "TRANSPORT_PEC": TRANSPORTS_PEC, "GRAVITE": GRAVITES, "MODE_SORTIE": MODES_SORTIE, "DESTINATION": DESTINATIONS,
         "ORIENT": ORIENTS}
_PARSERS = {"ENTREE": parse_datetime, "SORTIE": parse_datetime, "NAISSANCE": parse_date}
# (field, allowed set or None, function giving a truthy value when valid), in SINGLE_FIELD order.
_FIELD_TABLE = tuple((name, _SETS.get(name), _PARSERS.get(name, check)) for name, check in SINGLE_FIELD.items())
LIST_FIELD = {"DA": cim10_is_valid, "ACTE": lambda v: bool(_CCAM.fullmatch(v))}

FIELD_MESSAGES = {
    "CP": _lazy("code postal sur 5 chiffres attendu"),
    "COMMUNE": _lazy("nom de commune attendu (80 caractères au plus)"),
    "NAISSANCE": _lazy("date JJ/MM/AAAA attendue"),
    "SEXE": _lazy("M, F ou I attendu"),
    "ENTREE": _lazy("date et heure JJ/MM/AAAA hh:mm[:ss] attendues"),
    "MODE_ENTREE": _lazy("6 (mutation), 7 (transfert) ou 8 (domicile) attendu"),
    "PROVENANCE": _lazy("code de provenance 1 à 8 attendu"),
    "TRANSPORT": _lazy("PERSO, AMBU, VSAB, SMUR, HELI ou FO attendu"),
    "TRANSPORT_PEC": _lazy("MED, PARAMED ou AUCUN attendu"),
    "MOTIF": _lazy("code de motif alphanumérique attendu"),
    "GRAVITE": _lazy("CCMU 1, P, 2, 3, 4, 5 ou D attendue"),
    "DP": _lazy("code CIM-10 invalide"),
    "DA": _lazy("code CIM-10 invalide"),
    "ACTE": _lazy("code CCAM invalide (4 lettres et 3 chiffres)"),
    "SORTIE": _lazy("date et heure JJ/MM/AAAA hh:mm[:ss] attendues"),
    "MODE_SORTIE": _lazy("6 (mutation), 7 (transfert), 8 (domicile) ou 9 (décès) attendu"),
    "DESTINATION": _lazy("code de destination 1, 2, 3, 4, 6 ou 7 attendu"),
    "ORIENT": _lazy("code d'orientation inconnu"),
}


# --- The checker ----------------------------------------------------------------------------------
@dataclass
class Period:
    first_day: dt.date | None
    last_day: dt.date | None


def _age(birth: dt.date, entry: dt.datetime) -> tuple[int, int]:
    """Age in whole years and in days at entry."""
    entry_day = entry.date()
    years = entry_day.year - birth.year - ((entry_day.month, entry_day.day) < (birth.month, birth.day))
    return years, (entry_day - birth).days


def _utc(local: dt.datetime) -> dt.datetime:
    return local.replace(tzinfo=PARIS).astimezone(UTC)


def _sex_mismatch(sex: str, code: str) -> bool:
    if sex == "M":
        return code.startswith(FEMALE_ONLY_PREFIXES) and not code.startswith(_NOT_SEX_SPECIFIC)
    if sex == "F":
        return code.startswith(MALE_ONLY_PREFIXES)
    return False


class RecordChecker:
    """Checks the records of one file, accumulating quality counters and duplicate keys."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self.quality = Quality()
        self.seen: set[tuple] = set()
        # Set by the column-wise screen, which walks the whole file in order: numbers of the repeats.
        self.duplicates: set[int] = set()
        self.duplicates_known = False

    def check(self, number: int, record: dict) -> tuple[tuple | None, list[RecordError]]:
        """Return (analytical row or None, errors). A record with any error is quarantined."""
        errors: list[RecordError] = []
        parsed = self._single_fields(number, record, errors)
        entry = parsed.get("ENTREE")
        if entry is None and "ENTREE" not in record:
            errors.append(RecordError(number, "ENTREE", "obligatoire", _("Date et heure d'entrée absentes.")))
        exit_ = parsed.get("SORTIE")
        birth = parsed.get("NAISSANCE")
        self._cross_fields(number, record, errors)
        stay_minutes = age_years = age_days = None
        if entry is not None:
            self._period(number, entry, errors)
            if exit_ is not None:
                stay_minutes = self._stay(number, entry, exit_, errors)
            if birth is not None:
                age_years, age_days = self._age(number, birth, entry, errors)
            self._duplicate(number, record, errors)
        self._diagnoses(number, record, age_years, errors)
        if errors:
            return None, errors
        return self._row(record, entry, exit_, stay_minutes, age_years, age_days), errors

    # Single-field validity also feeds the quality counters (hot path: one pass, no per-field call
    # for the coded fields, each date parsed once).
    def _single_fields(self, number: int, record: dict, errors: list[RecordError]) -> dict[str, object]:
        quality = self.quality
        filled, conform = quality.filled, quality.conform
        quality.records += 1
        hospitalised = record.get("MODE_SORTIE") in HOSPITALISED
        if hospitalised:
            quality.hospitalised += 1
        parsed: dict[str, object] = {}
        for name, allowed, parse in _FIELD_TABLE:
            value = record.get(name)
            if value is None:
                continue
            counted = hospitalised or name not in _CONDITIONAL
            if counted:
                filled[name] += 1
            if allowed is not None:
                ok = value in allowed
            else:
                result = parse(value)
                if name in _DATES:
                    parsed[name] = result
                ok = bool(result)
            if ok:
                if counted:
                    conform[name] += 1
            else:
                errors.append(RecordError(number, name, "format", _("%(field)s « %(value)s » : %(expected)s.") % {
                    "field": name, "value": value[:40], "expected": FIELD_MESSAGES[name]}))
        for name, is_valid in LIST_FIELD.items():
            values = record[name]
            if not values:
                continue
            filled[name] += 1
            bad = [v for v in values if not is_valid(v)]
            if bad:
                errors.append(RecordError(number, name, "format", _("%(field)s « %(value)s » : %(expected)s.") % {
                    "field": name, "value": bad[0][:40], "expected": FIELD_MESSAGES[name]}))
            else:
                conform[name] += 1
        return parsed

    def _cross_fields(self, number: int, record: dict, errors: list[RecordError]) -> None:
        mode_entree, provenance = record.get("MODE_ENTREE"), record.get("PROVENANCE")
        allowed = PROVENANCE_BY_MODE_ENTREE.get(mode_entree)
        if allowed is not None and provenance in PROVENANCES and provenance not in allowed:
            errors.append(RecordError(number, "PROVENANCE", "incoherence_mode_entree", _(
                "Provenance %(provenance)s incompatible avec le mode d'entrée %(mode)s (attendu : %(allowed)s).") % {
                "provenance": provenance, "mode": mode_entree, "allowed": ", ".join(sorted(allowed))}))
        mode_sortie = record.get("MODE_SORTIE")
        destination, orient = record.get("DESTINATION"), record.get("ORIENT")
        allowed = DESTINATION_BY_MODE_SORTIE.get(mode_sortie)
        if allowed is not None and destination in DESTINATIONS and destination not in allowed:
            errors.append(RecordError(number, "DESTINATION", "incoherence_mode_sortie", _(
                "Destination %(destination)s incompatible avec le mode de sortie %(mode)s.") % {
                "destination": destination, "mode": mode_sortie}))
        if mode_sortie == "9" and destination is not None:
            errors.append(RecordError(number, "DESTINATION", "incoherence_mode_sortie", _(
                "Une destination est renseignée alors que le mode de sortie est un décès (9).")))
        allowed = ORIENT_BY_MODE_SORTIE.get(mode_sortie)
        if allowed is not None and orient in ORIENTS and orient not in allowed:
            errors.append(RecordError(number, "ORIENT", "incoherence_mode_sortie", _(
                "Orientation %(orient)s incompatible avec le mode de sortie %(mode)s.") % {"orient": orient, "mode": mode_sortie}))

    def _period(self, number: int, entry: dt.datetime, errors: list[RecordError]) -> None:
        first, last = self.period.first_day, self.period.last_day
        day = entry.date()
        if (first and day < first) or (last and day > last):
            errors.append(RecordError(number, "ENTREE", "hors_periode", _(
                "Entrée le %(day)s hors de la période du fichier (%(first)s – %(last)s).") % {
                "day": day.strftime("%d/%m/%Y"), "first": first.strftime("%d/%m/%Y") if first else "…",
                "last": last.strftime("%d/%m/%Y") if last else "…"}))

    def _stay(self, number: int, entry: dt.datetime, exit_: dt.datetime, errors: list[RecordError]) -> int | None:
        # Paris changes its UTC offset only in March and October: elsewhere wall-clock difference is exact.
        if entry.month in (3, 10) or exit_.month in (3, 10):
            stay = _utc(exit_) - _utc(entry)
        else:
            stay = exit_ - entry
        if stay < dt.timedelta(0):
            errors.append(RecordError(number, "SORTIE", "sortie_avant_entree", _("La sortie est antérieure à l'entrée.")))
            return None
        if stay > MAX_STAY:
            errors.append(RecordError(number, "SORTIE", "duree_excessive", _(
                "Durée de passage de %(hours)s h supérieure à 72 h.") % {"hours": int(stay.total_seconds() // 3600)}))
            return None
        return int(stay.total_seconds() // 60)

    def _age(self, number: int, birth: dt.date, entry: dt.datetime, errors: list[RecordError]) -> tuple[int | None, int | None]:
        years, days = _age(birth, entry)
        if days < 0 or years > MAX_AGE_YEARS:
            errors.append(RecordError(number, "NAISSANCE", "age_hors_bornes", _(
                "Âge à l'entrée de %(years)s ans hors des bornes 0–120 ans.") % {"years": years}))
            return None, None
        return years, days

    def _duplicate(self, number: int, record: dict, errors: list[RecordError]) -> None:
        key = (record.get("ENTREE"), record.get("NAISSANCE"), record.get("SEXE"), record.get("CP"), record.get("MOTIF"),
               record.get("DP"), record.get("SORTIE"))
        if (number in self.duplicates) if self.duplicates_known else (key in self.seen):
            errors.append(RecordError(number, "ENTREE", "doublon", _(
                "Passage en double : même entrée, naissance, sexe, code postal, motif, diagnostic et sortie qu'un passage précédent.")))
        else:
            self.seen.add(key)

    def _diagnoses(self, number: int, record: dict, age: int | None, errors: list[RecordError]) -> None:
        sex = record.get("SEXE")
        codes = [c for c in ([record["DP"]] if "DP" in record else []) + record["DA"] if cim10_is_valid(c)]
        for code in codes:
            if _sex_mismatch(sex, code):
                errors.append(RecordError(number, "DP" if code == record.get("DP") else "DA", "diagnostic_sexe", _(
                    "Diagnostic %(code)s incompatible avec le sexe %(sex)s.") % {"code": code, "sex": sex}))
            elif code.startswith("O") and age is not None and not PREGNANCY_AGE[0] <= age <= PREGNANCY_AGE[1]:
                errors.append(RecordError(number, "DP" if code == record.get("DP") else "DA", "diagnostic_age", _(
                    "Diagnostic de grossesse %(code)s improbable à %(age)s ans.") % {"code": code, "age": age}))

    @staticmethod
    def _row(record: dict, entry, exit_, stay_minutes, age_years, age_days) -> tuple:
        """The analytical row, in ``ROW_COLUMNS`` order (a tuple: the hot path builds columns from it)."""
        get = record.get
        return (
            entry, entry.date(), exit_, stay_minutes, age_years, age_days, get("SEXE"), get("CP"), get("COMMUNE"),
            get("MODE_ENTREE"), get("PROVENANCE"), get("TRANSPORT"), get("TRANSPORT_PEC"), get("MOTIF"), get("GRAVITE"),
            get("DP"), " ".join(record["DA"]) or None, " ".join(record["ACTE"]) or None, get("MODE_SORTIE"),
            get("DESTINATION"), get("ORIENT"),
        )


ROW_COLUMNS = (
    "entree", "jour", "sortie", "duree_min", "age", "age_jours", "sexe", "cp", "commune", "mode_entree", "provenance",
    "transport", "transport_pec", "motif", "gravite", "dp", "da", "actes", "mode_sortie", "destination", "orient",
)
