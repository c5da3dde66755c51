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
from enrs.observatory.columnar import ColumnScreen
from enrs.observatory.rpu import (
    Header,
    RpuFileError,
    parse_date,
    parse_datetime,
    read_stream,
    record_from_row,
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
# Records screened together (memory stays bounded whatever the file size).
CHUNK = 20_000
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


def process_path(path: str | Path, departement: str = "", *, columnar: bool = True) -> FileOutcome:
    with open(path, "rb") as stream:
        return process_stream(stream, departement, columnar=columnar)


def process_stream(stream, departement: str = "", *, columnar: bool = True) -> FileOutcome:
    """Read and check a file. ``columnar`` screens records column-wise (``columnar.py``) and runs the
    per-record checker only on the flagged ones; ``False`` runs it on every record (same outcome)."""
    outcome = FileOutcome()
    try:
        _consume(stream, outcome, departement, columnar)
    except RpuFileError as exc:
        return FileOutcome(header=outcome.header, file_error=exc, encoding=outcome.encoding)
    if not outcome.header.finess:
        outcome.file_error = RpuFileError("finess_absent", _("Le FINESS de l'établissement (<ETABLISSEMENT><FINESS>) est absent."))
    return outcome


class _Accumulator:
    """Collects the accepted rows (Arrow chunks from the screen, tuples from the checker) and the quarantine."""

    def __init__(self, outcome: FileOutcome, checker: RecordChecker, columnar: bool) -> None:
        self.outcome = outcome
        self.checker = checker
        self.screen = ColumnScreen(checker) if columnar else None
        self.pending: list[dict] = []
        self.tables: list[pa.Table] = []
        self.rows: list[tuple] = []

    def add(self, row: list) -> None:
        self.outcome.records += 1
        if self.screen is None:
            self._check(self.outcome.records, record_from_row(row))
            return
        self.pending.append(row)
        if len(self.pending) >= CHUNK:
            self.flush()

    def _check(self, number: int, record: dict) -> None:
        row, errors = self.checker.check(number, record)
        if row is None:
            _quarantine(self.outcome, record, errors)
        else:
            self.rows.append(row)

    def flush(self) -> None:
        if not self.pending:
            return
        first_number = self.outcome.records - len(self.pending) + 1
        table, flagged = self.screen.screen(first_number, self.pending)
        self.pending = []
        self.tables.append(table)
        for number, record in flagged:
            self._check(number, record)

    def table(self) -> pa.Table:
        self.flush()
        row_schema = pa.schema([SCHEMA.field(name) for name in ROW_COLUMNS])
        columns = zip(*self.rows, strict=True) if self.rows else [()] * len(ROW_COLUMNS)
        checked = pa.Table.from_pydict({name: list(values) for name, values in zip(ROW_COLUMNS, columns, strict=True)},
                                       schema=row_schema)
        return pa.concat_tables([table.cast(row_schema) for table in self.tables] + [checked])


def _consume(stream, outcome: FileOutcome, departement: str, columnar: bool = True) -> None:
    accumulator: _Accumulator | None = None
    for kind, item in read_stream(stream, rows=True):
        if kind == "encoding":
            outcome.encoding = item
        elif kind == "header":
            outcome.header = item
            outcome.period = _declared_period(item)
            accumulator = _Accumulator(outcome, RecordChecker(outcome.period), columnar)
        elif kind == "patient":
            accumulator.add(item)
        else:
            outcome.unknown_tags = sorted(item)
    if accumulator is None:
        accumulator = _Accumulator(outcome, RecordChecker(Period(None, None)), columnar)
    table = accumulator.table()
    outcome.quality = accumulator.checker.quality
    accepted = table.num_rows
    table = table.append_column("finess", pa.array([outcome.header.finess.upper()] * accepted, pa.string()))
    table = table.append_column("departement", pa.array([departement or outcome.header.finess[:2]] * accepted, pa.string()))
    outcome.accepted_table = table.select([name for name, _type in COLUMNS]).cast(SCHEMA)
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
