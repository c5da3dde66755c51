"""Slot arithmetic, free of the database: rules → opening intervals → slots → cells.

- The *days* of an opening rule come from its RFC 5545 RRULE (python-dateutil),
  evaluated on local dates; the *hours* are local Europe/Paris wall-clock times.
- An opening interval is turned into real (UTC) instants before anything is
  counted, so a morning that spans a daylight-saving change lasts what it
  really lasts: on the last Sunday of March 00:00–04:00 is three hours (02:00
  to 03:00 does not exist), on the last Sunday of October it is five hours
  (02:00 to 03:00 happens twice). A boundary that falls in the spring gap moves
  to the first instant that exists (03:00); an ambiguous boundary in the
  autumn takes the first occurrence for an opening and the second for a closing.
- Slots of a motif start at the opening and follow each other every
  ``duration`` minutes while they fit; a slot covers ``duration / granularity``
  cells of the agenda's grid. Opening times are multiples of the granularity,
  and Paris offsets are whole hours, so every cell start is on the same UTC
  grid for every rule of an agenda: the unique ``(agenda, cell)`` claim is
  therefore a real overlap guard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil import rrule as dateutil_rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc
ALLOWED_RRULE_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "UNTIL", "COUNT", "WKST"}
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY"}
MAX_RULE_SPAN_DAYS = 2 * 366  # how far an open-ended rule is examined for overlaps and emptiness


@dataclass(frozen=True)
class RuleSpec:
    """The part of an ``OpeningRule`` the arithmetic needs."""

    rrule: str
    start_date: dt.date
    end_date: dt.date | None
    start_time: dt.time
    end_time: dt.time


@dataclass(frozen=True, order=True)
class Interval:
    start: dt.datetime  # aware, UTC
    end: dt.datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


# --- RRULE ------------------------------------------------------------------------------------
def _rrule_parts(text: str) -> dict[str, str]:
    text = (text or "").strip().upper()
    if text.startswith("RRULE:"):
        text = text[6:]
    parts = {}
    for chunk in filter(None, text.split(";")):
        key, sep, value = chunk.partition("=")
        if not sep or not value:
            raise ValidationError({"rrule": _("Élément de récurrence illisible : « %(part)s ».") % {"part": chunk}})
        parts[key.strip()] = value.strip()
    return parts


def normalise_rrule(text: str) -> str:
    """The RRULE without its ``RRULE:`` prefix, upper case; refuses what the agenda does not support."""
    parts = _rrule_parts(text)
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise ValidationError({"rrule": _("Fréquence attendue : FREQ=DAILY, WEEKLY ou MONTHLY.")})
    unknown = sorted(set(parts) - ALLOWED_RRULE_PARTS)
    if unknown:
        raise ValidationError({"rrule": _("Éléments non pris en charge dans la récurrence : %(parts)s (les heures se saisissent à part).")
                               % {"parts": ", ".join(unknown)}})
    normalised = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        _build(normalised, dt.date(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValidationError({"rrule": _("Récurrence invalide : %(rule)s.") % {"rule": normalised}}) from exc
    return normalised


@lru_cache(maxsize=4096)
def _build(text: str, start_date: dt.date):
    start = dt.datetime.combine(start_date, dt.time())
    parsed = dateutil_rrule.rrulestr("RRULE:" + text, dtstart=start, ignoretz=True)
    return parsed


def occurrence_dates(spec: RuleSpec, first: dt.date, last: dt.date) -> list[dt.date]:
    """Local dates (inclusive range) on which the rule opens."""
    first = max(first, spec.start_date)
    if spec.end_date is not None:
        last = min(last, spec.end_date)
    if last < first:
        return []
    rule = _build(spec.rrule, spec.start_date)
    lower = dt.datetime.combine(first, dt.time())
    upper = dt.datetime.combine(last, dt.time())
    return [moment.date() for moment in rule.between(lower, upper, inc=True)]


# --- Public holidays ----------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _holidays_of(year: int, subdivision: str) -> frozenset[dt.date]:
    calendar = holidays.France(years=year, subdiv=subdivision or None)
    return frozenset(calendar.keys())


def is_public_holiday(day: dt.date) -> bool:
    """A French public holiday (``ENRS_AGENDA_HOLIDAY_SUBDIVISION`` adds e.g. Alsace-Moselle's, "57")."""
    return day in _holidays_of(day.year, getattr(settings, "ENRS_AGENDA_HOLIDAY_SUBDIVISION", ""))


# --- Local time → real instants ------------------------------------------------------------------
def _exists(naive: dt.datetime) -> bool:
    aware = naive.replace(tzinfo=PARIS)
    return aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) == naive


def local_instant(day: dt.date, at: dt.time, *, later: bool = False) -> dt.datetime:
    """The UTC instant of a Paris wall-clock time; see the module docstring for gaps and folds."""
    naive = dt.datetime.combine(day, at)
    while not _exists(naive):  # spring gap: the first wall-clock minute that exists
        naive += dt.timedelta(minutes=1)
    return naive.replace(tzinfo=PARIS, fold=1 if later else 0).astimezone(UTC)


def opening_intervals(spec: RuleSpec, first: dt.date, last: dt.date, *, skip_holidays: bool) -> list[Interval]:
    intervals = []
    for day in occurrence_dates(spec, first, last):
        if skip_holidays and is_public_holiday(day):
            continue
        start = local_instant(day, spec.start_time)
        end = local_instant(day, spec.end_time, later=True)
        if end > start:
            intervals.append(Interval(start, end))
    return intervals


# --- Slots and cells ---------------------------------------------------------------------------
def slot_starts(interval: Interval, duration: dt.timedelta) -> Iterator[dt.datetime]:
    start = interval.start
    while start + duration <= interval.end:
        yield start
        start += duration


def cells(start: dt.datetime, duration: dt.timedelta, granularity: dt.timedelta) -> list[dt.datetime]:
    """The grid cells a slot covers (``duration`` is a multiple of ``granularity``)."""
    count = duration // granularity
    return [start + index * granularity for index in range(count)]


def free_of(start: dt.datetime, end: dt.datetime, closed: Iterable[Interval]) -> bool:
    probe = Interval(start, end)
    return not any(probe.overlaps(interval) for interval in closed)


def check_times(start_time: dt.time, end_time: dt.time, granularity_minutes: int) -> None:
    errors = {}
    for name, value in (("start_time", start_time), ("end_time", end_time)):
        if value.second or value.microsecond or (value.hour * 60 + value.minute) % granularity_minutes:
            errors[name] = [_("L'heure doit tomber sur le pas de l'agenda (%(step)d minutes).") % {"step": granularity_minutes}]
    if not errors and end_time <= start_time:
        errors["end_time"] = [_("L'heure de fermeture doit suivre l'heure d'ouverture (même journée).")]
    if errors:
        raise ValidationError(errors)


def common_dates(a: RuleSpec, b: RuleSpec) -> list[dt.date]:
    """Dates on which both rules open (examined over at most two years)."""
    first = max(a.start_date, b.start_date)
    ends = [d for d in (a.end_date, b.end_date) if d is not None]
    last = min([*ends, first + dt.timedelta(days=MAX_RULE_SPAN_DAYS)])
    return sorted(set(occurrence_dates(a, first, last)) & set(occurrence_dates(b, first, last)))


def hours_overlap(a: RuleSpec, b: RuleSpec) -> bool:
    return a.start_time < b.end_time and b.start_time < a.end_time
