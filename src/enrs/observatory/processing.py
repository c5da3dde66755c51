"""Read and check one RPU file without touching any database (runs in worker processes).

:func:`process_path` returns a :class:`FileOutcome`: the header, the period the
file replaces, the accepted rows as a columnar ``pyarrow`` table (cheap to
send between processes and to load into DuckDB), the quarantined records with
their reasons and the quality counters. Invariant: ``records == accepted +
quarantined`` for every readable file; an unreadable file has ``file_error``
set and nothing else counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from enrs.observatory.checks import (
    ROW_COLUMNS,
    Period,
    Quality,
    RecordChecker,
    RecordError,
)
from enrs.observatory.rpu import (
    Header,
    RpuFileError,
    parse_date,
    parse_datetime,
    read_stream,
)

# Columns of the analytical table, in order (the establishment's FINESS and département are added).
COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("finess", pa.string()),
    ("departement", pa.string()),
    ("entree", pa.timestamp("s")),
    ("jour", pa.date32()),
    ("sortie", pa.timestamp("s")),
    ("duree_min", pa.int32()),
    ("age", pa.int16()),
    ("age_jours", pa.int32()),
    ("sexe", pa.string()),
    ("cp", pa.string()),
    ("commune", pa.string()),
    ("mode_entree", pa.string()),
    ("provenance", pa.string()),
    ("transport", pa.string()),
    ("transport_pec", pa.string()),
    ("motif", pa.string()),
    ("gravite", pa.string()),
    ("dp", pa.string()),
    ("da", pa.string()),
    ("actes", pa.string()),
    ("mode_sortie", pa.string()),
    ("destination", pa.string()),
    ("orient", pa.string()),
)
SCHEMA = pa.schema(COLUMNS)
# Errors listed in the report and kept per quarantined record; past this many, only counted.
MAX_LISTED_ERRORS = 10_000


@dataclass
class Quarantined:
    number: int
    day: dt.date | None
    fields: dict
    errors: list[RecordError]


@dataclass
class FileOutcome:
    header: Header = field(default_factory=Header)
    file_error: RpuFileError | None = None
    period: Period | None = None
    records: int = 0
    accepted_table: pa.Table | None = None
    quarantined: list[Quarantined] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    error_count: int = 0
    quality: Quality = field(default_factory=Quality)
    unknown_tags: list[str] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def accepted(self) -> int:
        return self.accepted_table.num_rows if self.accepted_table is not None else 0

    @property
    def finess(self) -> str:
        return self.header.finess.upper()


def _declared_period(header: Header) -> Period:
    """The period named in the header; a present but invalid date refuses the file."""
    days = []
    for label, value in ((_("DATEDEBUT"), header.first_day), (_("DATEFIN"), header.last_day)):
        if not value:
            days.append(None)
            continue
        day = parse_date(value[:10])
        if day is None:
            raise RpuFileError("periode_invalide", _("%(tag)s « %(value)s » n'est pas une date JJ/MM/AAAA.") % {
                "tag": label, "value": value[:20]})
        days.append(day)
    period = Period(*days)
    if period.first_day and period.last_day and period.last_day < period.first_day:
        raise RpuFileError("periode_invalide", _("DATEFIN est antérieure à DATEDEBUT."))
    return period


def process_path(path: str | Path, departement: str = "") -> FileOutcome:
    with open(path, "rb") as stream:
        return process_stream(stream, departement)


def process_stream(stream, departement: str = "") -> FileOutcome:
    outcome = FileOutcome()
    try:
        _consume(stream, outcome, departement)
    except RpuFileError as exc:
        return FileOutcome(header=outcome.header, file_error=exc, encoding=outcome.encoding)
    if not outcome.header.finess:
        outcome.file_error = RpuFileError("finess_absent", _("Le FINESS de l'établissement (<ETABLISSEMENT><FINESS>) est absent."))
    return outcome


def _consume(stream, outcome: FileOutcome, departement: str) -> None:
    checker: RecordChecker | None = None
    rows: list[tuple] = []
    for kind, item in read_stream(stream):
        if kind == "encoding":
            outcome.encoding = item
        elif kind == "header":
            outcome.header = item
            outcome.period = _declared_period(item)
            checker = RecordChecker(outcome.period)
        elif kind == "patient":
            outcome.records += 1
            row, errors = checker.check(outcome.records, item)
            if row is None:
                _quarantine(outcome, item, errors)
            else:
                rows.append(row)
        else:
            outcome.unknown_tags = sorted(item)
    if checker is not None:
        outcome.quality = checker.quality
    columns = {name: list(values) for name, values in zip(ROW_COLUMNS, zip(*rows, strict=True) if rows else [()] * len(ROW_COLUMNS), strict=True)}
    accepted = len(rows)
    columns["finess"] = [outcome.header.finess.upper()] * accepted
    columns["departement"] = [departement or outcome.header.finess[:2]] * accepted
    outcome.accepted_table = pa.Table.from_pydict(columns, schema=SCHEMA)
    _complete_period(outcome)


def _quarantine(outcome: FileOutcome, record: dict, errors: list[RecordError]) -> None:
    outcome.error_count += len(errors)
    room = MAX_LISTED_ERRORS - len(outcome.errors)
    if room > 0:
        outcome.errors.extend(errors[:room])
    entry = parse_datetime(record.get("ENTREE", ""))
    outcome.quarantined.append(Quarantined(errors[0].record, entry.date() if entry else None, record, errors))


def _complete_period(outcome: FileOutcome) -> None:
    """Without DATEDEBUT/DATEFIN the file covers the days of its own passages."""
    period = outcome.period
    if period is None or (period.first_day and period.last_day):
        return
    days = [q.day for q in outcome.quarantined if q.day]
    table = outcome.accepted_table
    if table is not None and table.num_rows:
        bounds = pc.min_max(table["jour"]).as_py()
        days += [bounds["min"], bounds["max"]]
    if days:
        period.first_day = period.first_day or min(days)
        period.last_day = period.last_day or max(days)
