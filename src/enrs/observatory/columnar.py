"""Column-wise screening of RPU records (pyarrow.compute), the fast path of :mod:`checks`.

A chunk of parsed records is turned into Arrow columns and every rule of
:class:`checks.RecordChecker` is evaluated as a vectorised expression. The screen
is *conservative*: a record it passes is valid for every rule (its analytical row
is built column-wise), a record it flags is handed to the per-record Python
checker, which decides and writes the French messages. So the accepted records,
the quarantined records and their messages are exactly those of the per-record
checker (tested on random corruptions), while Python only runs for the few
flagged records (≈ the invalid ones, plus rare ambiguous clock-change times).

Quality counters: for a passed record every filled field is conform, so its
counts are plain non-null counts; flagged records are counted by the checker.
Duplicates depend on file order: their keys are walked once in Python (a tuple
per record) and the checker is told which numbers are repeats.
"""

from __future__ import annotations

import operator

import pyarrow as pa
import pyarrow.compute as pc

from enrs.observatory.checks import (
    _CONDITIONAL,
    DESTINATION_BY_MODE_SORTIE,
    FEMALE_ONLY_PREFIXES,
    HOSPITALISED,
    MALE_ONLY_PREFIXES,
    MAX_AGE_YEARS,
    ORIENT_BY_MODE_SORTIE,
    PREGNANCY_AGE,
    PROVENANCE_BY_MODE_ENTREE,
    ROW_COLUMNS,
    SINGLE_FIELD,
    RecordChecker,
    cim10_is_valid,
    _SETS,
)
from enrs.observatory.rpu import ACTE_INDEX, DA_INDEX, SCALAR_FIELDS, parse_datetime, record_from_row

TIMESTAMP = pa.timestamp("s")
_CIM10 = r"[A-Z][0-9]{2}[0-9A-Z+]{0,3}"
_REGEX = {
    "CP": r"^[0-9]{5}$",
    "MOTIF": r"^[0-9A-Z.+-]{1,20}$",
    "DP": f"^{_CIM10}$",
    "DA": f"^{_CIM10}( {_CIM10})*$",
    "ACTE": r"^[A-Z]{4}[0-9]{3}(-[0-9]{1,2})?( [A-Z]{4}[0-9]{3}(-[0-9]{1,2})?)*$",
}
_EMPTY_CIM10 = r"(^| )U(8[5-9]|9[0-9])"
_DATETIME_SHAPE = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
_DATE_SHAPE = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"
_KEY = ("ENTREE", "NAISSANCE", "SEXE", "CP", "MOTIF", "DP", "SORTIE")
_key = operator.itemgetter(*(SCALAR_FIELDS.index(name) for name in _KEY))
_ENTREE = SCALAR_FIELDS.index("ENTREE")


def _prefix_regex(prefixes: tuple[str, ...]) -> str:
    return "(^| )(" + "|".join(prefixes) + ")"


_FEMALE_ONLY = _prefix_regex(FEMALE_ONLY_PREFIXES)
_MALE_ONLY = _prefix_regex(MALE_ONLY_PREFIXES)
_PREGNANCY = r"(^| )O"
_ALLOWED_PAIRS = {
    ("MODE_ENTREE", "PROVENANCE"): PROVENANCE_BY_MODE_ENTREE,
    ("MODE_SORTIE", "DESTINATION"): DESTINATION_BY_MODE_SORTIE,
    ("MODE_SORTIE", "ORIENT"): ORIENT_BY_MODE_SORTIE,
}


def _columns(rows: list[list]) -> dict[str, pa.Array]:
    """Arrow string columns of the rows (``FIELDS`` order; the DA and ACTE lists joined by spaces)."""
    values = list(zip(*rows, strict=True))
    columns = {name: pa.array(values[index], pa.string()) for index, name in enumerate(SCALAR_FIELDS)}
    for name, index in (("DA", DA_INDEX), ("ACTE", ACTE_INDEX)):
        columns[name] = pa.array([" ".join(items) or None for items in values[index]], pa.string())
    return columns


def _timestamp(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(parsed wall-clock timestamps, valid mask) for ``JJ/MM/AAAA hh:mm[:ss]``; a round trip
    through strftime refuses what Arrow would silently normalise (31/02, 10:61…)."""
    spaced = pc.replace_substring(text, "T", " ")
    with_seconds = pc.equal(pc.utf8_length(spaced), 19)
    full = pc.if_else(with_seconds, spaced, pc.binary_join_element_wise(spaced, ":00", ""))
    parsed = pc.strptime(full, format="%d/%m/%Y %H:%M:%S", unit="s", error_is_null=True)
    same = pc.equal(pc.strftime(parsed, format="%d/%m/%Y %H:%M:%S"), full)
    valid = pc.and_kleene(pc.and_kleene(pc.match_substring_regex(text, _DATETIME_SHAPE), same),
                          pc.greater_equal(pc.year(parsed), 1))
    return parsed, pc.fill_null(valid, False)


def _date(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    parsed = pc.strptime(text, format="%d/%m/%Y", unit="s", error_is_null=True)
    same = pc.equal(pc.strftime(parsed, format="%d/%m/%Y"), text)
    valid = pc.and_kleene(pc.and_kleene(pc.match_substring_regex(text, _DATE_SHAPE), same), pc.greater_equal(pc.year(parsed), 1))
    return parsed, pc.fill_null(valid, False)


def _cim10_listed(values: pa.Array) -> pa.Array:
    """False for the rows holding a code that ``checks.cim10_is_valid`` refuses (code list): the
    distinct codes of the chunk are looked up once each; rows with a bad shape are caught above."""
    lists = pc.split_pattern(values, " ")
    codes = pc.list_flatten(lists)
    distinct = pc.unique(codes).to_pylist()
    bad = [code for code in distinct if code and not cim10_is_valid(code)]
    if not bad:
        return pa.array([True] * len(values), pa.bool_())
    hits = pc.is_in(codes, value_set=pa.array(bad, pa.string()))
    rows = set(pc.filter(pc.list_parent_indices(lists), hits).to_pylist())
    return pa.array([i not in rows for i in range(len(values))], pa.bool_())


def _valid_or_absent(values: pa.Array, valid: pa.Array) -> pa.Array:
    return pc.or_kleene(pc.is_null(values), pc.fill_null(valid, False))


def _pair_ok(first: pa.Array, second: pa.Array, table: dict) -> pa.Array:
    """True where the pair is allowed by ``table`` (first value → allowed second values) or a side is absent."""
    allowed = [key + value for key, values in table.items() for value in values]
    combined = pc.binary_join_element_wise(first, second, "")
    constrained = pc.is_in(first, value_set=pa.array(list(table), pa.string()))
    ok = pc.or_kleene(pc.invert(pc.fill_null(constrained, False)), pc.is_in(combined, value_set=pa.array(allowed, pa.string())))
    return pc.or_kleene(pc.or_kleene(pc.is_null(first), pc.is_null(second)), pc.fill_null(ok, False))


class ColumnScreen:
    """Screens the chunks of one file; keeps the duplicate keys and the checker across chunks."""

    def __init__(self, checker: RecordChecker) -> None:
        self.checker = checker
        self.seen: set[tuple] = set()
        checker.duplicates_known = True

    def screen(self, first_number: int, rows: list[list]):
        """Return (table of the passed records' rows, [(number, record dict)] flagged) for one chunk
        of rows read by ``rpu.read_stream(rows=True)``.

        The returned table has the ``ROW_COLUMNS`` columns; quality counters of the passed records
        are added to ``checker.quality``.
        """
        columns = _columns(rows)
        entry, entry_ok = _timestamp(columns["ENTREE"])
        exit_, exit_ok = _timestamp(columns["SORTIE"])
        birth, birth_ok = _date(columns["NAISSANCE"])
        passed = pc.and_(entry_ok, self._single_fields(columns, exit_ok, birth_ok))
        passed = pc.and_(passed, self._cross_fields(columns))
        passed = pc.and_(passed, self._period(entry))
        minutes, stay_ok = self._stay(entry, exit_, columns["SORTIE"])
        passed = pc.and_(passed, stay_ok)
        age, age_days, age_ok = self._age(birth, entry, columns["NAISSANCE"])
        passed = pc.and_(passed, age_ok)
        passed = pc.and_(passed, self._diagnoses(columns, age))
        passed = pc.and_(passed, self._not_duplicate(first_number, rows, entry_ok))
        flagged = [(first_number + i, record_from_row(rows[i])) for i in pc.indices_nonzero(pc.invert(passed)).to_pylist()]
        self._count_quality(columns, passed)
        table = pa.table({
            "entree": entry, "jour": pc.cast(entry, pa.date32()), "sortie": exit_, "duree_min": minutes,
            "age": pc.cast(age, pa.int16()), "age_jours": pc.cast(age_days, pa.int32()),
            **{name.lower(): columns[name] for name in ("SEXE", "CP", "COMMUNE", "MODE_ENTREE", "PROVENANCE", "TRANSPORT",
                                                         "TRANSPORT_PEC", "MOTIF", "GRAVITE", "DP")},
            "da": columns["DA"], "actes": columns["ACTE"],
            **{name.lower(): columns[name] for name in ("MODE_SORTIE", "DESTINATION", "ORIENT")},
        }).filter(passed)
        return table.select(list(ROW_COLUMNS)), flagged

    @staticmethod
    def _single_fields(columns: dict, exit_ok, birth_ok) -> pa.Array:
        ok = pc.and_(_valid_or_absent(columns["SORTIE"], exit_ok), _valid_or_absent(columns["NAISSANCE"], birth_ok))
        for name in SINGLE_FIELD:
            values = columns[name]
            if name in _SETS:
                valid = pc.is_in(values, value_set=pa.array(sorted(_SETS[name]), pa.string()))
            elif name == "COMMUNE":
                valid = pc.less_equal(pc.utf8_length(values), 80)
            elif name in _REGEX:
                valid = pc.match_substring_regex(values, _REGEX[name])
            else:
                continue  # dates, checked above
            ok = pc.and_(ok, _valid_or_absent(values, valid))
        for name in ("DA", "ACTE"):
            ok = pc.and_(ok, _valid_or_absent(columns[name], pc.match_substring_regex(columns[name], _REGEX[name])))
        for name in ("DP", "DA"):
            ok = pc.and_(ok, _valid_or_absent(columns[name], pc.invert(pc.match_substring_regex(columns[name], _EMPTY_CIM10))))
            ok = pc.and_(ok, _cim10_listed(columns[name]))
        return ok

    @staticmethod
    def _cross_fields(columns: dict) -> pa.Array:
        ok = None
        for (first, second), table in _ALLOWED_PAIRS.items():
            pair = _pair_ok(columns[first], columns[second], table)
            ok = pair if ok is None else pc.and_(ok, pair)
        dead_with_destination = pc.and_kleene(pc.equal(columns["MODE_SORTIE"], "9"), pc.is_valid(columns["DESTINATION"]))
        return pc.and_(ok, pc.invert(pc.fill_null(dead_with_destination, False)))

    def _period(self, entry: pa.Array) -> pa.Array:
        day = pc.cast(entry, pa.date32())
        ok = pc.is_valid(day)
        period = self.checker.period
        if period.first_day:
            ok = pc.and_(ok, pc.fill_null(pc.greater_equal(day, pa.scalar(period.first_day)), False))
        if period.last_day:
            ok = pc.and_(ok, pc.fill_null(pc.less_equal(day, pa.scalar(period.last_day)), False))
        return ok

    @staticmethod
    def _stay(entry: pa.Array, exit_: pa.Array, exit_text: pa.Array) -> tuple[pa.Array, pa.Array]:
        """Stay in whole minutes measured in UTC; clock-change ambiguities are left to the checker."""
        utc = {}
        clear = None
        for name, value in (("entry", entry), ("exit", exit_)):
            earliest = pc.assume_timezone(value, "Europe/Paris", ambiguous="earliest", nonexistent="earliest")
            latest = pc.assume_timezone(value, "Europe/Paris", ambiguous="latest", nonexistent="latest")
            same = pc.fill_null(pc.equal(earliest, latest), True)
            clear = same if clear is None else pc.and_(clear, same)
            utc[name] = pc.cast(pc.cast(earliest, pa.int64()), pa.int64())
        seconds = pc.subtract(utc["exit"], utc["entry"])
        in_range = pc.and_kleene(pc.greater_equal(seconds, 0), pc.less_equal(seconds, 72 * 3600))
        ok = pc.and_(clear, pc.or_kleene(pc.is_null(exit_text), pc.fill_null(in_range, False)))
        minutes = pc.cast(pc.divide(seconds, 60), pa.int32())  # seconds ≥ 0 here: integer division floors
        return minutes, ok

    @staticmethod
    def _age(birth: pa.Array, entry: pa.Array, birth_text: pa.Array):
        entry_day, birth_day = pc.cast(entry, pa.date32()), pc.cast(birth, pa.date32())
        before_birthday = pc.less(pc.add(pc.multiply(pc.month(entry_day), 100), pc.day(entry_day)),
                                  pc.add(pc.multiply(pc.month(birth_day), 100), pc.day(birth_day)))
        years = pc.subtract(pc.subtract(pc.year(entry_day), pc.year(birth_day)), pc.cast(before_birthday, pa.int64()))
        days = pc.days_between(birth_day, entry_day)
        in_range = pc.and_kleene(pc.greater_equal(days, 0), pc.less_equal(years, MAX_AGE_YEARS))
        ok = pc.or_kleene(pc.is_null(birth_text), pc.fill_null(in_range, False))
        return years, days, ok

    @staticmethod
    def _diagnoses(columns: dict, age: pa.Array) -> pa.Array:
        codes = pc.binary_join_element_wise(pc.fill_null(columns["DP"], ""), pc.fill_null(columns["DA"], ""), " ")
        sex = columns["SEXE"]
        female_code = pc.match_substring_regex(codes, _FEMALE_ONLY)
        male_code = pc.match_substring_regex(codes, _MALE_ONLY)
        mismatch = pc.or_kleene(pc.and_kleene(pc.equal(sex, "M"), female_code), pc.and_kleene(pc.equal(sex, "F"), male_code))
        out_of_age = pc.or_kleene(pc.less(age, PREGNANCY_AGE[0]), pc.greater(age, PREGNANCY_AGE[1]))
        pregnancy = pc.and_kleene(pc.match_substring_regex(codes, _PREGNANCY), out_of_age)
        return pc.invert(pc.or_(pc.fill_null(mismatch, False), pc.fill_null(pregnancy, False)))

    def _not_duplicate(self, first_number: int, rows: list[list], entry_ok: pa.Array) -> pa.Array:
        """Repeats of an earlier passage of the file, in file order. Like the checker, only passages
        whose entry Python reads are compared (Arrow is stricter: those it refuses are asked again)."""
        seen, repeats = self.seen, self.checker.duplicates
        flags = []
        for index, (row, readable) in enumerate(zip(rows, entry_ok.to_pylist(), strict=True)):
            if not readable and parse_datetime(row[_ENTREE] or "") is None:
                flags.append(True)  # no usable entry: never compared (flagged by the other rules)
                continue
            key = _key(row)
            if key in seen:
                repeats.add(first_number + index)
                flags.append(False)
            else:
                seen.add(key)
                flags.append(True)
        return pa.array(flags, pa.bool_())

    def _count_quality(self, columns: dict, passed: pa.Array) -> None:
        quality = self.checker.quality
        kept = {name: pc.filter(values, passed) for name, values in columns.items()}
        count = len(kept["ENTREE"])
        hospitalised = pc.fill_null(pc.is_in(kept["MODE_SORTIE"], value_set=pa.array(sorted(HOSPITALISED))), False)
        quality.records += count
        quality.hospitalised += pc.sum(hospitalised).as_py() or 0
        for name, values in kept.items():
            present = pc.is_valid(values)
            if name in _CONDITIONAL:
                present = pc.and_(present, hospitalised)
            filled = pc.sum(present).as_py() or 0
            quality.filled[name] += filled
            quality.conform[name] += filled

