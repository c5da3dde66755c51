"""Slot arithmetic: RRULE days, Paris wall-clock hours across daylight-saving changes, holidays, cells."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from enrs.agenda import slots as s

SUNDAYS_0_TO_4 = dict(rrule="FREQ=WEEKLY;BYDAY=SU", end_date=None, start_time=dt.time(0), end_time=dt.time(4))


def _local(instants):
    return [i.astimezone(s.PARIS).strftime("%H:%M%z") for i in instants]


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2027, 3, 28)])
def test_spring_forward_morning_lasts_three_hours(day):
    spec = s.RuleSpec(start_date=dt.date(2026, 1, 1), **SUNDAYS_0_TO_4)
    [interval] = s.opening_intervals(spec, day, day, skip_holidays=False)
    assert interval.end - interval.start == dt.timedelta(hours=3)
    starts = list(s.slot_starts(interval, dt.timedelta(minutes=30)))
    assert _local(starts) == ["00:00+0100", "00:30+0100", "01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"]


@pytest.mark.parametrize("day", [dt.date(2026, 10, 25), dt.date(2027, 10, 31)])
def test_fall_back_morning_lasts_five_hours(day):
    spec = s.RuleSpec(start_date=dt.date(2026, 1, 1), **SUNDAYS_0_TO_4)
    [interval] = s.opening_intervals(spec, day, day, skip_holidays=False)
    assert interval.end - interval.start == dt.timedelta(hours=5)
    starts = list(s.slot_starts(interval, dt.timedelta(minutes=30)))
    assert len(starts) == 10
    assert _local(starts)[4:8] == ["02:00+0200", "02:30+0200", "02:00+0100", "02:30+0100"]
    assert len({i.astimezone(s.UTC) for i in starts}) == 10  # the repeated wall-clock hour is two distinct hours


@pytest.mark.parametrize("day,offset_before,offset_after", [(dt.date(2026, 3, 29), 1, 2), (dt.date(2026, 10, 25), 2, 1)])
def test_daytime_hours_keep_their_wall_clock_on_change_days(day, offset_before, offset_after):
    spec = s.RuleSpec("FREQ=DAILY", dt.date(2026, 1, 1), None, dt.time(8), dt.time(12))
    previous = day - dt.timedelta(days=1)
    intervals = s.opening_intervals(spec, previous, day, skip_holidays=False)
    assert [i.start.astimezone(s.PARIS).hour for i in intervals] == [8, 8]
    assert [i.start.astimezone(s.UTC).hour for i in intervals] == [8 - offset_before, 8 - offset_after]
    assert all(i.end - i.start == dt.timedelta(hours=4) for i in intervals)


def test_a_boundary_in_the_spring_gap_moves_to_three_oclock():
    instant = s.local_instant(dt.date(2026, 3, 29), dt.time(2, 30))
    assert instant.astimezone(s.PARIS).strftime("%H:%M%z") == "03:00+0200"


def test_public_holidays_close_the_day():
    spec = s.RuleSpec("FREQ=DAILY", dt.date(2026, 1, 1), None, dt.time(8), dt.time(12))
    days = [i.start.astimezone(s.PARIS).date() for i in s.opening_intervals(spec, dt.date(2026, 4, 30), dt.date(2026, 5, 2), skip_holidays=True)]
    assert days == [dt.date(2026, 4, 30), dt.date(2026, 5, 2)]  # 1 May is Fête du Travail
    assert s.is_public_holiday(dt.date(2026, 7, 14)) and s.is_public_holiday(dt.date(2027, 5, 6))  # Ascension 2027
    assert not s.is_public_holiday(dt.date(2026, 7, 15))


def test_rrule_days_and_bounds():
    spec = s.RuleSpec("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", dt.date(2026, 1, 6), dt.date(2026, 2, 28), dt.time(14), dt.time(18))
    assert s.occurrence_dates(spec, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [
        dt.date(2026, 1, 6), dt.date(2026, 1, 20), dt.date(2026, 2, 3), dt.date(2026, 2, 17)]


@pytest.mark.parametrize("text,message", [
    ("FREQ=YEARLY", "Fréquence attendue"),
    ("FREQ=WEEKLY;BYHOUR=8", "non pris en charge"),
    ("FREQ=WEEKLY;BYDAY=XX", "Récurrence invalide"),
    ("n'importe quoi", "illisible"),
    ("", "Fréquence attendue"),
])
def test_unsupported_rrules_are_refused_in_french(text, message):
    with pytest.raises(ValidationError) as caught:
        s.normalise_rrule(text)
    assert message in str(caught.value.message_dict["rrule"])


def test_times_must_be_on_the_grid_and_ordered():
    with pytest.raises(ValidationError) as caught:
        s.check_times(dt.time(8, 10), dt.time(12), 15)
    assert "pas de l'agenda" in str(caught.value.message_dict["start_time"])
    with pytest.raises(ValidationError):
        s.check_times(dt.time(12), dt.time(8), 15)


def test_rules_sharing_hours_on_a_common_day_overlap():
    a = s.RuleSpec("FREQ=WEEKLY;BYDAY=MO,TU", dt.date(2026, 1, 1), None, dt.time(8), dt.time(12))
    b = s.RuleSpec("FREQ=WEEKLY;BYDAY=TU", dt.date(2026, 1, 1), None, dt.time(11), dt.time(13))
    c = s.RuleSpec("FREQ=WEEKLY;BYDAY=WE", dt.date(2026, 1, 1), None, dt.time(8), dt.time(12))
    assert s.hours_overlap(a, b) and s.common_dates(a, b)[0] == dt.date(2026, 1, 6)
    assert s.common_dates(a, c) == []


# --- Properties ------------------------------------------------------------------------------------
GRANULES = st.sampled_from([5, 10, 15, 20, 30, 60])


@settings(max_examples=200, deadline=None)
@given(granule=GRANULES, multiple=st.integers(1, 8), start_cell=st.integers(0, 95), length_cells=st.integers(0, 96),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
def test_slots_fit_do_not_overlap_and_cover_whole_cells(granule, multiple, start_cell, length_cells, day):
    grain = dt.timedelta(minutes=granule)
    duration = grain * multiple
    origin = s.local_instant(day, dt.time())
    interval = s.Interval(origin + grain * start_cell, origin + grain * (start_cell + length_cells))
    starts = list(s.slot_starts(interval, duration))
    assert len(starts) == (interval.end - interval.start) // duration
    for first, second in zip(starts, starts[1:]):
        assert second - first == duration
    for start in starts:
        assert interval.start <= start and start + duration <= interval.end
        cells = s.cells(start, duration, grain)
        assert len(cells) == multiple and cells[0] == start and cells[-1] + grain == start + duration
        assert all((cell - origin) % grain == dt.timedelta(0) for cell in cells)


@settings(max_examples=300, deadline=None)
@given(day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45]))
def test_local_instants_round_trip_or_move_forward_out_of_the_gap(day, hour, minute):
    wanted = dt.datetime.combine(day, dt.time(hour, minute))
    got = s.local_instant(day, dt.time(hour, minute)).astimezone(s.PARIS).replace(tzinfo=None)
    assert got == wanted or (wanted < got <= wanted + dt.timedelta(hours=1) and got.hour == 3)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), open_hour=st.integers(0, 20), hours=st.integers(1, 3))
def test_an_interval_lasts_its_wall_clock_length_give_or_take_the_change_hour(day, open_hour, hours):
    spec = s.RuleSpec("FREQ=DAILY", day, day, dt.time(open_hour), dt.time(open_hour + hours))
    [interval] = s.opening_intervals(spec, day, day, skip_holidays=False)
    assert abs((interval.end - interval.start) - dt.timedelta(hours=hours)) <= dt.timedelta(hours=1)
