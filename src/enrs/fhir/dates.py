"""FHIR date search values: prefixes, precision and the range a value stands for.

A search value such as ``2024``, ``2024-03``, ``2024-03-01`` or
``2024-03-01T10:00:00+01:00`` stands for a half-open range of instants
``[start, end)`` covering its whole precision (a year, a month, a day, a
minute, a second...). Values without a time zone are read in the server's
zone (``settings.TIME_ZONE``, Europe/Paris). Targets are instants
(DateTimeField), whole days (DateField) or periods (two fields); the
comparisons follow the FHIR R4 search rules for ranges.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.fhir.errors import InvalidSearchValue

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
UNSUPPORTED_PREFIXES = ("ap",)

_DATE_RE = re.compile(
    r"^(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<tz>Z|[+\- ]\d{2}:\d{2})?"
    r")?)?)?$"
)
# Bounds kept away from datetime.min/max so that converting to UTC (which the
# database layer does) can never overflow.
_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DateRange:
    """Half-open range ``[start, end)`` of aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end


def split_prefix(value: str, allowed: tuple[str, ...] = PREFIXES) -> tuple[str, str]:
    """``"ge2024"`` → ``("ge", "2024")``; no prefix means ``eq``."""
    head = value[:2]
    # Only letters followed by the start of a value count as a prefix, so that
    # "abc" is reported as a bad value rather than as a bad prefix "ab".
    if len(value) > 2 and head.isalpha() and (value[2].isdigit() or value[2] in "+-."):
        if head in allowed:
            return head, value[2:]
        if head in UNSUPPORTED_PREFIXES:
            raise InvalidSearchValue(_("Le préfixe « %(prefix)s » n'est pas pris en charge.") % {"prefix": head}, "not-supported")
        raise InvalidSearchValue(
            _("Préfixe inconnu « %(prefix)s » (attendus : %(allowed)s).") % {"prefix": head, "allowed": ", ".join(allowed)}
        )
    return "eq", value


def _clamp(moment: dt.datetime) -> dt.datetime:
    return min(max(moment, _MIN), _MAX)


def _local_midnight(year: int, month: int, day: int) -> dt.datetime:
    # make_aware per day rather than adding timedelta(days=1) to a local
    # midnight: days around a DST change last 23 or 25 hours.
    return timezone.make_aware(dt.datetime(year, month, day), timezone.get_default_timezone())


def _next_period(year: int, month: int | None, day: int | None) -> tuple[int, int, int]:
    if month is None:
        return year + 1, 1, 1
    if day is None:
        return (year + 1, 1, 1) if month == 12 else (year, month + 1, 1)
    following = dt.date(year, month, day) + dt.timedelta(days=1)
    return following.year, following.month, following.day


def _timezone_of(text: str | None) -> dt.tzinfo:
    if text is None:
        return timezone.get_default_timezone()
    if text == "Z":
        return dt.UTC
    # A "+" left unencoded in a query string arrives as a space.
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _time_range(parts: dict[str, str | None], year: int, month: int, day: int) -> DateRange:
    zone = _timezone_of(parts["tz"])
    hour, minute = int(parts["hour"]), int(parts["minute"])
    second = int(parts["second"]) if parts["second"] else 0
    fraction = parts["fraction"] or ""
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    if parts["second"] is None:
        unit = dt.timedelta(minutes=1)
    elif not fraction:
        unit = dt.timedelta(seconds=1)
    else:
        unit = dt.timedelta(microseconds=int(Decimal(10) ** (6 - min(len(fraction), 6))))
    naive = dt.datetime(year, month, day, hour, minute, second, microsecond)
    start = timezone.make_aware(naive, zone) if parts["tz"] is None else naive.replace(tzinfo=zone)
    return DateRange(_clamp(start), _clamp(start + unit))


def parse_date(value: str) -> DateRange:
    """The range of instants a FHIR date/dateTime search value stands for."""
    match = _DATE_RE.match(value)
    if match is None:
        raise InvalidSearchValue(
            _("Date invalide « %(value)s » (formats admis : AAAA, AAAA-MM, AAAA-MM-JJ, AAAA-MM-JJThh:mm[:ss][Z|±hh:mm]).")
            % {"value": value}
        )
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        month = int(parts["month"]) if parts["month"] else None
        day = int(parts["day"]) if parts["day"] else None
        if parts["hour"] is not None:
            return _time_range(parts, year, month, day)
        start = _local_midnight(year, month or 1, day or 1)
        try:
            end = _local_midnight(*_next_period(year, month, day))
        except (ValueError, OverflowError):
            end = _MAX
        return DateRange(_clamp(start), _clamp(end))
    except (ValueError, OverflowError) as exc:
        raise InvalidSearchValue(_("Date inexistante « %(value)s ».") % {"value": value}) from exc


# --- Targets --------------------------------------------------------------------
# Each target answers four questions about its range [ts, te) against an
# instant x; the FHIR prefixes are combinations of them (see condition()).


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(timezone.get_default_timezone()).date()


def _ceil_date(moment: dt.datetime) -> dt.date:
    """First local day whose midnight is at or after ``moment``."""
    local = moment.astimezone(timezone.get_default_timezone())
    at_midnight = local.time() == dt.time(0)
    return local.date() if at_midnight else local.date() + dt.timedelta(days=1)


@dataclass(frozen=True)
class InstantTarget:
    """A DateTimeField: the instant t, seen as the tiny range [t, t+ε)."""

    path: str

    def start_ge(self, x):
        return Q(**{f"{self.path}__gte": x})

    def start_lt(self, x):
        return Q(**{f"{self.path}__lt": x})

    def end_gt(self, x):
        return Q(**{f"{self.path}__gte": x})

    def end_le(self, x):
        return Q(**{f"{self.path}__lt": x})

    def present(self):
        return Q(**{f"{self.path}__isnull": False})


@dataclass(frozen=True)
class DayTarget:
    """A DateField: the whole local day [d 00:00, d+1 00:00)."""

    path: str

    def start_ge(self, x):
        return Q(**{f"{self.path}__gte": _ceil_date(x)})

    def start_lt(self, x):
        return Q(**{f"{self.path}__lt": _ceil_date(x)})

    def end_gt(self, x):
        return Q(**{f"{self.path}__gte": _local_date(x)})

    def end_le(self, x):
        return Q(**{f"{self.path}__lt": _local_date(x)})

    def present(self):
        return Q(**{f"{self.path}__isnull": False})


@dataclass(frozen=True)
class PeriodTarget:
    """Two fields (start, end), either may be empty (open-ended period).

    With DateFields the end day is included (a period ending on the 31st
    covers the whole 31st); with DateTimeFields the end is the instant.
    """

    start: str
    end: str
    whole_days: bool

    def _start_bound(self, x):
        return _ceil_date(x) if self.whole_days else x

    def _end_bound(self, x):
        return _local_date(x) if self.whole_days else x

    def start_ge(self, x):
        return Q(**{f"{self.start}__gte": self._start_bound(x)})

    def start_lt(self, x):
        return Q(**{f"{self.start}__lt": self._start_bound(x)}) | Q(**{f"{self.start}__isnull": True})

    def end_gt(self, x):
        lookup = "gte" if self.whole_days else "gt"
        return Q(**{f"{self.end}__{lookup}": self._end_bound(x)}) | Q(**{f"{self.end}__isnull": True})

    def end_le(self, x):
        lookup = "lt" if self.whole_days else "lte"
        return Q(**{f"{self.end}__{lookup}": self._end_bound(x)})

    def present(self):
        return Q(**{f"{self.start}__isnull": False}) | Q(**{f"{self.end}__isnull": False})


def condition(target, prefix: str, value: DateRange) -> Q:
    """The FHIR comparison ``prefix`` between ``target`` and the searched range.

    A resource without any value never matches a date search (not even
    ``ne``); a period with one empty bound is open on that side.
    """
    equal = target.start_ge(value.start) & target.end_le(value.end)
    comparisons = {
        "eq": lambda: equal,
        "ne": lambda: ~equal,
        "gt": lambda: target.end_gt(value.end),
        "lt": lambda: target.start_lt(value.start),
        "ge": lambda: target.end_gt(value.end) | equal,
        "le": lambda: target.start_lt(value.start) | equal,
        "sa": lambda: target.start_ge(value.end),
        "eb": lambda: target.end_le(value.start),
    }
    if prefix not in comparisons:
        raise InvalidSearchValue(_("Préfixe inconnu « %(prefix)s ».") % {"prefix": prefix})
    return comparisons[prefix]() & target.present()
