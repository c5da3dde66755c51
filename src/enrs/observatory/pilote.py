"""Pilot-e: monthly activity of the platform's own services, from their own data (first slice).

A service plugs in by registering an :class:`ActivitySource` (``register_source``) in its
``AppConfig.ready()``: a code, a French label and a function returning, for a period,
``(month, organisation_id, value)`` rows. Pilot-e then totals them by month and by
organisation, département and collège (organisations read through the directory selectors).
Only aggregates: no person is ever listed.

Sources available today (the services that exist): accesses to personal health data and
distinct active users from the access trail (``core``), and RPU files integrated by the
observatory. Teleconsultations, tele-expertises, bookings, shared documents and chat messages
join when their services exist (see docs/services/observatory.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext_lazy as _

Rows = list[tuple[dt.date, int | None, int]]


@dataclass(frozen=True)
class ActivitySource:
    code: str
    label: str
    monthly: Callable[[dt.date, dt.date], Rows]


_sources: dict[str, ActivitySource] = {}


def register_source(source: ActivitySource) -> None:
    _sources[source.code] = source


def sources() -> list[ActivitySource]:
    return list(_sources.values())


def _month(value) -> dt.date:
    return value.date().replace(day=1) if isinstance(value, dt.datetime) else value.replace(day=1)


def _trail_accesses(first: dt.date, last: dt.date) -> Rows:
    from enrs.core.models import AccessEvent

    rows = (
        AccessEvent.objects.filter(occurred_at__date__gte=first, occurred_at__date__lte=last)
        .annotate(month=TruncMonth("occurred_at")).values("month", "organisation_id").annotate(n=Count("pk"))
    )
    return [(_month(r["month"]), r["organisation_id"], r["n"]) for r in rows]


def _trail_active_users(first: dt.date, last: dt.date) -> Rows:
    from enrs.core.models import AccessEvent

    rows = (
        AccessEvent.objects.filter(occurred_at__date__gte=first, occurred_at__date__lte=last).exclude(actor_id=None)
        .annotate(month=TruncMonth("occurred_at")).values("month", "organisation_id")
        .annotate(n=Count("actor_id", distinct=True))
    )
    return [(_month(r["month"]), r["organisation_id"], r["n"]) for r in rows]


def _rpu_files(first: dt.date, last: dt.date) -> Rows:
    from enrs.observatory.models import RpuFile

    rows = (
        RpuFile.objects.filter(status=RpuFile.Status.ACCEPTED, received_at__date__gte=first, received_at__date__lte=last)
        .annotate(month=TruncMonth("received_at")).values("month", "organisation_id").annotate(n=Count("pk"))
    )
    return [(_month(r["month"]), r["organisation_id"], r["n"]) for r in rows]


def register_builtin_sources() -> None:
    register_source(ActivitySource("acces_donnees_sante", _("Accès à des données de santé (piste d'accès)"), _trail_accesses))
    register_source(ActivitySource("utilisateurs_actifs", _("Utilisateurs actifs (ayant accédé à des données)"),
                                   _trail_active_users))
    register_source(ActivitySource("fichiers_rpu", _("Fichiers RPU intégrés (observatoire des urgences)"), _rpu_files))


@dataclass
class ActivityTable:
    months: list[dt.date]
    # source code → month → value, for the region and by département / collège
    region: dict[str, dict[dt.date, int]]
    by_departement: dict[str, dict[str, int]]  # source code → département → total over the period
    by_college: dict[str, dict[str, int]]
    labels: dict[str, str]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def monthly_activity(first: dt.date, last: dt.date) -> ActivityTable:
    """Every registered source over [first, last], by month (region) and by département and collège.

    Note: "active users" summed over organisations or months counts a person once per organisation
    and month (a distinct count does not add up); the regional monthly figure is that sum.
    """
    from enrs.directory.selectors import organisation_detail

    region: dict[str, dict[dt.date, int]] = {}
    by_departement: dict[str, dict[str, int]] = {}
    by_college: dict[str, dict[str, int]] = {}
    places: dict[int, tuple[str, str]] = {}
    for source in sources():
        per_month: dict[dt.date, int] = defaultdict(int)
        per_departement: dict[str, int] = defaultdict(int)
        per_college: dict[str, int] = defaultdict(int)
        for month, organisation_id, value in source.monthly(first, last):
            per_month[month] += value
            if organisation_id is not None and organisation_id not in places:
                try:
                    organisation = organisation_detail(organisation_id)
                    places[organisation_id] = (organisation.departement or "?", organisation.college or "?")
                except Http404:  # an organisation removed since: counted in the region only
                    places[organisation_id] = ("?", "?")
            departement, college = places.get(organisation_id, ("—", "—"))
            per_departement[departement] += value
            per_college[college] += value
        region[source.code] = dict(per_month)
        by_departement[source.code] = dict(sorted(per_departement.items()))
        by_college[source.code] = dict(sorted(per_college.items()))
    return ActivityTable(_months(first, last), region, by_departement, by_college,
                         {source.code: str(source.label) for source in sources()})
