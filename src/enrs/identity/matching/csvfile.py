"""Reading the identity CSV of ``enrs identity find-duplicates`` and writing its pairs.

Input: UTF-8 (a BOM is tolerated), comma-separated, header exactly
``id,birth_name,first_names,birth_date,sex,birth_place,used_name,used_first_name,ins``.
Every cell may be empty except ``id``.

Policy for bad lines (each reported with its line number, in French, and counted):

* *rejected* (left out of the detection): missing ``id``, an ``id`` already
  seen, a wrong number of cells, a birth date that is not ``YYYY-MM-DD`` or
  not a real date (``00`` allowed for an unknown month or day), a sex other
  than F/M/I, birth name and first names both empty, undecodable bytes;
* *kept with a warning* (the bad optional trait is ignored, the line still
  takes part): an INS that is not 15 characters with a valid key, a birth
  place that is not an INSEE code shape (5 characters, ``2A``/``2B`` allowed).

A wrong header stops the command before anything is written.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext as _

from enrs.identity.matching.normalise import parse_birth_date
from enrs.identity.matching.traits import Traits, ins_is_valid

HEADER = ("id", "birth_name", "first_names", "birth_date", "sex", "birth_place", "used_name", "used_first_name", "ins")
OUTPUT_HEADER = ("id_a", "id_b", "score", "decision")
_PLACE = re.compile(r"^(\d{2}|2A|2B)\d{3}$")


class HeaderError(ValueError):
    """The first line is not the expected header (message in French)."""


@dataclass
class ReadReport:
    lines: int = 0
    accepted: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)


def _check_header(row: list[str] | None) -> None:
    found = tuple(cell.strip().lower() for cell in row) if row else ()
    if found != HEADER:
        raise HeaderError(
            _("ligne 1 : en-tête inattendu « %(found)s » ; attendu « %(expected)s ».")
            % {"found": ",".join(row or []), "expected": ",".join(HEADER)}
        )


def _birth_date_problem(value: str) -> str | None:
    if not value:
        return None
    parsed = parse_birth_date(value)
    if parsed is None:
        return _("date de naissance « %(value)s » invalide (AAAA-MM-JJ, 00 pour un mois ou un jour inconnu).") % {
            "value": value
        }
    year, month, day = parsed
    if datetime.date(year, month or 1, day or 1) > datetime.date.today():
        return _("date de naissance « %(value)s » dans le futur.") % {"value": value}
    return None


def _parse_row(row: list[str], seen: set[str], report: ReadReport, line: int) -> tuple[str, Traits] | None:
    if len(row) != len(HEADER):
        report.rejected.append((line, _("%(found)d colonnes au lieu de %(expected)d.") % {"found": len(row), "expected": len(HEADER)}))
        return None
    values = dict(zip(HEADER, (cell.strip() for cell in row), strict=True))
    if any("\ufffd" in value for value in values.values()):
        report.rejected.append((line, _("caractères illisibles : le fichier doit être encodé en UTF-8.")))
        return None
    record_id = values["id"]
    problem = None
    if not record_id:
        problem = _("identifiant (id) manquant.")
    elif record_id in seen:
        problem = _("identifiant « %(id)s » déjà vu plus haut.") % {"id": record_id}
    elif not values["birth_name"] and not values["first_names"]:
        problem = _("nom de naissance et prénoms vides.")
    elif values["sex"].upper() not in {"", "F", "M", "I"}:
        problem = _("sexe « %(value)s » invalide (F, M, I ou vide).") % {"value": values["sex"]}
    else:
        problem = _birth_date_problem(values["birth_date"])
    if problem:
        report.rejected.append((line, problem))
        return None
    seen.add(record_id)
    ins = values["ins"].replace(" ", "").upper()
    if ins and not ins_is_valid(ins):
        report.warnings.append((line, _("INS « %(value)s » invalide (format ou clé) : ignoré.") % {"value": values["ins"]}))
        ins = ""
    place = values["birth_place"].upper()
    if place and not _PLACE.match(place):
        report.warnings.append((line, _("lieu de naissance « %(value)s » n'est pas un code INSEE : ignoré.") % {"value": values["birth_place"]}))
        place = ""
    return record_id, Traits(
        birth_name=values["birth_name"],
        first_names=tuple(values["first_names"].split()),
        birth_date=values["birth_date"],
        sex=values["sex"].upper(),
        birth_place=place,
        used_name=values["used_name"],
        used_first_name=values["used_first_name"],
        ins=ins,
    )


def read_people(handle: TextIO, report: ReadReport) -> Iterator[tuple[str, Traits]]:
    """Valid ``(id, Traits)`` of the file; problems go to ``report`` (raises HeaderError first)."""
    reader = csv.reader(handle)
    _check_header(next(reader, None))
    seen: set[str] = set()
    for row in reader:
        report.lines += 1
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not identities
        parsed = _parse_row(row, seen, report, line)
        if parsed:
            report.accepted += 1
            yield parsed


def open_input(path: Path) -> TextIO:
    # "replace" instead of failing mid-file: bad bytes become U+FFFD and that line is rejected.
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def write_pairs(path: Path, pairs: Iterable[tuple[str, str, float, str]]) -> int:
    """Write the pairs atomically (a temporary file renamed at the end); returns how many."""
    count = 0
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=".pairs-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(OUTPUT_HEADER)
            for id_a, id_b, s, decision in pairs:
                writer.writerow((id_a, id_b, f"{s:.6f}", decision))
                count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
