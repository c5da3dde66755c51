"""Per-day pre-aggregates of the analytical store, refreshed with the days a file replaces.

The dashboards read two small tables instead of every passage:

- ``passages_jour``: one row per establishment and day with every counter the indicators need
  (``DAILY_MEASURES``: plain counts, so sums over any period are exact; the mean age is
  Σ ages / number of ages);
- ``syndromes_jour``: passages of each syndromic group (``data/syndromes.csv``) per
  establishment and day.

Both are computed from the rows of the file *being stored* (they are exactly the passages of
that establishment on the replaced days) inside the same DuckDB transaction as the passages.
The median stay is still computed from the passages (its histogram query is cheap). A store
whose aggregates were built with other syndromic definitions (``meta.syndromes_version``) or
before they existed is rebuilt on its next write connection; until then the syndromic query
reads the passages.
"""

from __future__ import annotations

import csv
import hashlib
import re
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

DAILY = "passages_jour"
SYNDROMES = "syndromes_jour"
META = "meta"
SYNDROMES_FILE = Path(__file__).resolve().parent / "data" / "syndromes.csv"
_PREFIX = re.compile(r"[A-Z][0-9A-Z]{1,5}")

AGE_BANDS = (
    ("<28 j", "age_jours < 28"),
    ("28 j–1 an", "age_jours >= 28 AND age < 1"),
    ("1–5 ans", "age >= 1 AND age < 5"),
    ("5–10 ans", "age >= 5 AND age < 10"),
    ("10–15 ans", "age >= 10 AND age < 15"),
    ("15–18 ans", "age >= 15 AND age < 18"),
    ("18–30 ans", "age >= 18 AND age < 30"),
    ("30–45 ans", "age >= 30 AND age < 45"),
    ("45–65 ans", "age >= 45 AND age < 65"),
    ("65–75 ans", "age >= 65 AND age < 75"),
    ("75–85 ans", "age >= 75 AND age < 85"),
    ("≥ 85 ans", "age >= 85"),
)
CCMU_ORDER = ("1", "P", "2", "3", "4", "5", "D")
TRANSPORT_LABELS = {
    "PERSO": _("Moyens personnels"), "AMBU": _("Ambulance"), "VSAB": _("Pompiers (VSAV)"), "SMUR": _("SMUR"),
    "HELI": _("Hélicoptère"), "FO": _("Forces de l'ordre"),
}
NOT_UHCD = "coalesce(orient, '') <> 'UHCD'"
SUMMARY_MEASURES = (
    ("n", "count(*)"),
    ("women", "count(*) FILTER (WHERE sexe = 'F')"),
    ("sexed", "count(*) FILTER (WHERE sexe IN ('M', 'F'))"),
    ("under_1", "count(*) FILTER (WHERE age < 1)"),
    ("under_18", "count(*) FILTER (WHERE age < 18)"),
    ("over_75", "count(*) FILTER (WHERE age >= 75)"),
    ("aged", "count(age)"),
    ("sum_age", "sum(age)"),
    ("night", "count(*) FILTER (WHERE hour(entree) >= 20 OR hour(entree) < 8)"),
    ("deep_night", "count(*) FILTER (WHERE hour(entree) < 8)"),
    ("ccmu_1_2", "count(*) FILTER (WHERE gravite IN ('1', '2'))"),
    ("ccmu_4_5", "count(*) FILTER (WHERE gravite IN ('4', '5'))"),
    ("graded", "count(gravite)"),
    ("hospitalised", "count(*) FILTER (WHERE mode_sortie IN ('6', '7'))"),
    ("exits", "count(mode_sortie)"),
    ("over_4h", f"count(*) FILTER (WHERE duree_min >= 240 AND {NOT_UHCD})"),
    ("stays", f"count(duree_min) FILTER (WHERE {NOT_UHCD})"),
    ("unplanned", "count(*) FILTER (WHERE orient IN ('FUGUE', 'SCAM', 'PSA'))"),
    ("deaths", "count(*) FILTER (WHERE mode_sortie = '9')"),
)
AGE_MEASURES = tuple((f"age_{i:02d}", f"count(*) FILTER (WHERE {condition})") for i, (_l, condition) in enumerate(AGE_BANDS))
CCMU_MEASURES = tuple((f"ccmu_{code.lower()}", f"count(*) FILTER (WHERE gravite = '{code}')") for code in CCMU_ORDER)
TRANSPORT_MEASURES = tuple((f"transport_{code.lower()}", f"count(*) FILTER (WHERE transport = '{code}')")
                           for code in TRANSPORT_LABELS)
HOUR_MEASURES = tuple((f"h{hour:02d}", f"count(*) FILTER (WHERE hour(entree) = {hour})") for hour in range(24))
DAILY_MEASURES = SUMMARY_MEASURES + AGE_MEASURES + CCMU_MEASURES + TRANSPORT_MEASURES + HOUR_MEASURES


@cache
def syndrome_definitions() -> tuple[tuple[str, str, tuple[str, ...], int | None], ...]:
    """(code, label, CIM-10 prefixes, age limit) from data/syndromes.csv (one row per group)."""
    with SYNDROMES_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    definitions = []
    for row in rows:
        prefixes = tuple(row["prefixes_cim10"].split())
        if not all(_PREFIX.fullmatch(p) for p in prefixes) or not re.fullmatch(r"[a-z0-9_]+", row["code"]):
            raise ValueError(f"invalid code or CIM-10 prefix in {SYNDROMES_FILE.name}, group {row['code']}")
        definitions.append((row["code"], row["libelle"], prefixes, int(row["age_max"]) if row["age_max"] else None))
    return tuple(definitions)


@cache
def syndromes_version() -> str:
    return hashlib.sha256(SYNDROMES_FILE.read_bytes()).hexdigest()[:16]


def syndrome_condition(prefixes: tuple[str, ...], age_max: int | None) -> str:
    """SQL condition: the DP or one of the DA starts with one of ``prefixes`` (codes are normalised)."""
    parts = []
    for prefix in prefixes:
        parts.append(f"starts_with(coalesce(dp, ''), '{prefix}')")
        parts.append(f"(' ' || coalesce(da, '')) LIKE '% {prefix}%'")
    condition = "(" + " OR ".join(parts) + ")"
    return condition + (f" AND age < {int(age_max)}" if age_max is not None else "")


def create_statements() -> list[str]:
    measures = ", ".join(f"{name} BIGINT" for name, _sql in DAILY_MEASURES)
    return [
        f"CREATE TABLE IF NOT EXISTS {DAILY} (finess VARCHAR NOT NULL, departement VARCHAR, jour DATE NOT NULL, {measures})",
        f"CREATE TABLE IF NOT EXISTS {SYNDROMES} (finess VARCHAR NOT NULL, departement VARCHAR, jour DATE NOT NULL, "
        "code VARCHAR NOT NULL, n BIGINT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {META} (key VARCHAR PRIMARY KEY, value VARCHAR)",
    ]


def insert_statements(source: str, where: str = "TRUE") -> list[str]:
    """Statements filling both tables from ``source`` (a table or registered Arrow view) rows matching ``where``."""
    measures = ", ".join(sql for _name, sql in DAILY_MEASURES)
    statements = [f"INSERT INTO {DAILY} SELECT finess, departement, jour, {measures} FROM {source} WHERE {where} GROUP BY ALL"]
    for code, _label, prefixes, age_max in syndrome_definitions():
        statements.append(
            f"INSERT INTO {SYNDROMES} SELECT finess, departement, jour, '{code}', count(*) FROM {source} "
            f"WHERE ({where}) AND {syndrome_condition(prefixes, age_max)} GROUP BY ALL"
        )
    return statements


def delete_statements() -> list[str]:
    """Statements (parameters: finess, first day, last day) removing the aggregates of replaced days."""
    return [f"DELETE FROM {table} WHERE finess = ? AND jour BETWEEN ? AND ?" for table in (DAILY, SYNDROMES)]


def rebuild_statements() -> list[str]:
    """Recompute every aggregate from the passages (new store, or syndromic definitions changed)."""
    return [
        f"DELETE FROM {DAILY}", f"DELETE FROM {SYNDROMES}",
        *insert_statements("passages"),
        f"INSERT OR REPLACE INTO {META} VALUES ('syndromes_version', '{syndromes_version()}')",
    ]
