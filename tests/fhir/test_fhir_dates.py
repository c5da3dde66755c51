"""The date parser and the FHIR prefix semantics, unit-tested and property-tested."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.directory.models import Organisation
from enrs.fhir import dates
from enrs.fhir.errors import InvalidSearchValue
from enrs.fhir.params import SearchContext, date

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2024", paris(2024, 1, 1), paris(2025, 1, 1)),
        ("2024-02", paris(2024, 2, 1), paris(2024, 3, 1)),
        ("2024-12", paris(2024, 12, 1), paris(2025, 1, 1)),
        ("2024-02-29", paris(2024, 2, 29), paris(2024, 3, 1)),
        ("2024-03-31", paris(2024, 3, 31), paris(2024, 4, 1)),  # 23-hour day (DST)
        ("2024-03-10T12:00Z", dt.datetime(2024, 3, 10, 12, tzinfo=UTC), dt.datetime(2024, 3, 10, 12, 1, tzinfo=UTC)),
        ("2024-03-10T12:00:05Z", dt.datetime(2024, 3, 10, 12, 0, 5, tzinfo=UTC), dt.datetime(2024, 3, 10, 12, 0, 6, tzinfo=UTC)),
        ("2024-03-10T13:00:00+01:00", dt.datetime(2024, 3, 10, 12, tzinfo=UTC), dt.datetime(2024, 3, 10, 12, 0, 1, tzinfo=UTC)),
        ("2024-03-10T13:00:00 01:00", dt.datetime(2024, 3, 10, 12, tzinfo=UTC), dt.datetime(2024, 3, 10, 12, 0, 1, tzinfo=UTC)),
        ("2024-03-10T12:00:00.5-02:30", dt.datetime(2024, 3, 10, 14, 30, 0, 500000, tzinfo=UTC),
         dt.datetime(2024, 3, 10, 14, 30, 0, 600000, tzinfo=UTC)),
        ("2024-07-01T10:00:00", paris(2024, 7, 1, 10), paris(2024, 7, 1, 10, 0, 1)),  # no zone: Paris
    ],
)
def test_a_value_stands_for_its_whole_precision(value, start, end):
    parsed = dates.parse_date(value)
    assert (parsed.start, parsed.end) == (start, end)


def test_the_last_year_does_not_overflow():
    parsed = dates.parse_date("9999")
    assert parsed.start < parsed.end


@pytest.mark.parametrize(
    "value",
    ["", "24", "2024-1", "2024-13", "2024-02-30", "2023-02-29", "2024-01-01T25:00Z", "2024-01-01T10:61Z",
     "2024-01-01T10:00:00+15:00", "2024-01-01T10", "2024/01/01", "0000", "2024-01-01Z", "aujourd'hui", "2024-01-01T10:00:00Zjunk"],
)
def test_invalid_dates_are_refused_in_french(value):
    with pytest.raises(InvalidSearchValue) as caught:
        dates.parse_date(value)
    assert "Date" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024", ("eq", "2024")), ("ge2024", ("ge", "2024")), ("sa2024-01", ("sa", "2024-01")), ("eb2024", ("eb", "2024"))],
)
def test_prefixes(value, expected):
    assert dates.split_prefix(value) == expected


def test_unknown_and_unsupported_prefixes():
    with pytest.raises(InvalidSearchValue, match="inconnu") as unknown:
        dates.split_prefix("xx2024")
    assert unknown.value.code == "invalid"
    with pytest.raises(InvalidSearchValue, match="pas pris en charge") as approximate:
        dates.split_prefix("ap2024")
    assert approximate.value.code == "not-supported"


# --- Properties -------------------------------------------------------------------

# From 1912: before 1911 Paris used a local mean time with a seconds offset.
instants = st.datetimes(
    min_value=dt.datetime(1912, 1, 1), max_value=dt.datetime(2100, 12, 31), timezones=st.just(PARIS)
).map(lambda moment: moment.replace(fold=0))
PRECISIONS = {
    "year": lambda m: f"{m:%Y}",
    "month": lambda m: f"{m:%Y-%m}",
    "day": lambda m: f"{m:%Y-%m-%d}",
    "minute": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
    "second": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "offset": lambda m: m.isoformat(timespec="seconds"),
}


def _existing(moment: dt.datetime) -> bool:
    # Skip wall-clock times that do not exist in Paris (spring DST gap).
    return moment.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) == moment.replace(tzinfo=None)


@given(moment=instants.filter(_existing), precision=st.sampled_from(sorted(PRECISIONS)))
def test_the_range_of_a_truncated_instant_contains_it(moment, precision):
    value = PRECISIONS[precision](moment)
    parsed = dates.parse_date(value)
    assert parsed.contains(moment), (value, parsed)
    assert parsed.start < parsed.end


@given(moment=instants.filter(_existing), precision=st.sampled_from(["year", "month", "day"]))
def test_consecutive_periods_are_adjacent(moment, precision):
    current = dates.parse_date(PRECISIONS[precision](moment))
    following = dates.parse_date(PRECISIONS[precision](current.end.astimezone(PARIS)))
    assert following.start == current.end


def _oracle(prefix: str, value: dates.DateRange, instant: dt.datetime) -> bool:
    """FHIR semantics for an instant target, written plainly."""
    inside = value.start <= instant < value.end
    return {
        "eq": inside, "ne": not inside, "gt": instant >= value.end, "sa": instant >= value.end,
        "lt": instant < value.start, "eb": instant < value.start, "ge": instant >= value.start, "le": instant < value.end,
    }[prefix]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=instants.filter(_existing),
    searched=instants.filter(_existing),
    precision=st.sampled_from(sorted(PRECISIONS)),
    prefix=st.sampled_from(dates.PREFIXES),
)
def test_database_comparison_agrees_with_the_fhir_rules(stored, searched, precision, prefix):
    organisation = Organisation.objects.get_or_create(name="Témoin des dates")[0]
    Organisation.objects.filter(pk=organisation.pk).update(updated_at=stored)
    value = PRECISIONS[precision](searched)
    param = date("_lastUpdated", "updated_at")
    q = param.filter(prefix + value, None, SearchContext(model=Organisation))
    found = Organisation.objects.filter(pk=organisation.pk).filter(q).exists()
    assert found == _oracle(prefix, dates.parse_date(value), stored), (prefix, value, stored)


@pytest.mark.django_db
def test_whole_day_targets_compare_by_local_day(dirdata):
    from enrs.directory.models import PracticeSituation

    param = date("start", "start_date")
    ctx = SearchContext(model=PracticeSituation)

    def found(value):
        return set(PracticeSituation.objects.filter(param.filter(value, None, ctx)).values_list("pk", flat=True))

    nacre, memorial = dirdata.role_nacre.pk, dirdata.role_memorial.pk  # 2020-01-01, 2018-05-01
    assert found("2020-01-01") == {nacre}
    assert found("2020") == {nacre}
    assert found("gt2019-12-31") == {nacre}
    assert found("lt2020-01-01") == {memorial}
    assert found("le2020-01-01") == {nacre, memorial}
    assert found("ge2018-05-01") == {nacre, memorial}
    assert found("2020-01-01T10:00:00+01:00") == set()  # a second does not contain a whole day
    assert found("ne2020") == {memorial}  # situations without a start never match
