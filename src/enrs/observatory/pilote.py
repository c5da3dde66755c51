"""Pilot-e: monthly activity of the platform's own services, from their own data (first slice).

A service plugs in by registering an :class:`ActivitySource` (``register_source``) in its
``AppConfig.ready()``: a code, a French label and a function returning, for a period,
``(month, organisation_id, value)`` rows. Pilot-e then totals them by month and by
organisation, département and collège (organisations read through the directory selectors).
Only aggregates: no person is ever listed.

Sources: accesses to personal health data and distinct active users from the access trail
(``core``), notifications sent (``core``), RPU files and NormAntiBio files integrated by the
observatory, and *declared* sources (:data:`DECLARED_SOURCES`) over the models of other services
— bookings, chat messages, shared documents, teleconsultations, tele-expertises — each active
only when its app and model are installed (a service may also register its own source).

Members (``membership.Member``) get a monthly activity report (``member_report``, PDF in
``pilote_report``): their organisation and its legal entity's establishments, by source.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps as django_apps
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


def _count_by_month(queryset, date_field: str, organisation_field: str | None) -> Rows:
    organisation = organisation_field or None
    fields = ["month"] + ([organisation] if organisation else [])
    rows = queryset.annotate(month=TruncMonth(date_field)).values(*fields).annotate(n=Count("pk"))
    return [(_month(r["month"]), r[organisation] if organisation else None, r["n"]) for r in rows]


@dataclass(frozen=True)
class DeclaredSource:
    """A count of rows of another service's model per month (and organisation when it has one)."""

    code: str
    label: str
    model: str  # "app_label.ModelName"
    date_field: str
    organisation_field: str = ""  # lookup path to an organisation id; "" = counted for the region only
    filters: tuple[tuple[str, object], ...] = ()

    def model_class(self):
        app_label, name = self.model.split(".")
        if not django_apps.is_installed(f"enrs.{app_label}"):
            return None
        try:
            return django_apps.get_model(app_label, name)
        except LookupError:
            return None

    def monthly(self, first: dt.date, last: dt.date) -> Rows:
        queryset = self.model_class()._default_manager.filter(
            **{f"{self.date_field}__date__gte": first, f"{self.date_field}__date__lte": last}, **dict(self.filters)
        )
        return _count_by_month(queryset, self.date_field, self.organisation_field)


# Services of issue 10's list that live in other apps: counted from their own tables when installed.
# Choice: confirmed bookings only; chat messages have no organisation (region total only).
DECLARED_SOURCES = (
    DeclaredSource("rendez_vous", _("Rendez-vous confirmés"), "agenda.Appointment", "created_at", "agenda__organisation_id",
                   (("status", "booked"),)),
    DeclaredSource("documents_partages", _("Documents partagés"), "coordination.Document", "created_at", "organisation_id"),
    DeclaredSource("messages", _("Messages de messagerie instantanée"), "messaging.Message", "created_at"),
)


def _telehealth_acts(kind: str, party: str = ""):
    """Telehealth acts by month and organisation, read through ``enrs.telehealth.selectors`` (never its models)."""

    def monthly(first: dt.date, last: dt.date) -> Rows:
        from enrs.telehealth import selectors as telehealth

        return telehealth.monthly_act_counts(first, last, kind=kind, party=party)

    return monthly


# (code, label, act kind, party): one tele-expertise = its expert's act (the requester has his own act).
TELEHEALTH_SOURCES = (
    ("teleconsultations", _("Téléconsultations"), "teleconsultation", ""),
    ("teleexpertises", _("Télé-expertises"), "teleexpertise", "expert"),
)


def _notifications(first: dt.date, last: dt.date) -> Rows:
    from enrs.core.models import Notification

    return _count_by_month(Notification.objects.filter(created_at__date__gte=first, created_at__date__lte=last), "created_at", "")


def _antibio_files(first: dt.date, last: dt.date) -> Rows:
    from enrs.observatory.models import AntibioImport

    queryset = AntibioImport.objects.filter(status="accepted", received_at__date__gte=first, received_at__date__lte=last)
    return _count_by_month(queryset, "received_at", "organisation_id")


def register_builtin_sources() -> None:
    register_source(ActivitySource("acces_donnees_sante", _("Accès à des données de santé (piste d'accès)"), _trail_accesses))
    register_source(ActivitySource("utilisateurs_actifs", _("Utilisateurs actifs (ayant accédé à des données)"),
                                   _trail_active_users))
    register_source(ActivitySource("fichiers_rpu", _("Fichiers RPU intégrés (observatoire des urgences)"), _rpu_files))
    register_source(ActivitySource("fichiers_antibio", _("Fichiers NormAntiBio intégrés"), _antibio_files))
    register_source(ActivitySource("notifications", _("Notifications envoyées"), _notifications))
    if django_apps.is_installed("enrs.telehealth"):
        for code, label, kind, party in TELEHEALTH_SOURCES:
            register_source(ActivitySource(code, label, _telehealth_acts(kind, party)))
    for declared in DECLARED_SOURCES:
        if declared.model_class() is not None:
            register_source(ActivitySource(declared.code, declared.label, declared.monthly))


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


def monthly_activity(first: dt.date, last: dt.date, organisation_ids: set[int] | None = None) -> ActivityTable:
    """Every registered source over [first, last], by month (region, or the given organisations only)
    and by département and collège.

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
            if organisation_ids is not None and organisation_id not in organisation_ids:
                continue
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


# --- Monthly report of a member ------------------------------------------------------------------
def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def member_organisation_ids(member) -> set[int]:
    """The member's organisation and, for a legal entity, its establishments."""
    from enrs.directory.selectors import establishments_of

    return {member.organisation_id, *establishments_of(member.organisation).values_list("pk", flat=True)}


@dataclass
class MemberReport:
    member: object
    month: dt.date
    months: list[dt.date]  # the twelve months ending with ``month``
    # (label, value this month, value the month before, total over twelve months, region this month, history)
    lines: list[tuple[str, int, int, int, int, list[int]]]


def member_report(member, month: dt.date) -> MemberReport:
    first, last = month_bounds(month)
    # Twelve months ending with ``first`` (calendar arithmetic: "335 days back" gave 13 in December).
    back = first.year * 12 + first.month - 1 - 11
    start = dt.date(back // 12, back % 12 + 1, 1)
    own = monthly_activity(start, last, member_organisation_ids(member))
    region = monthly_activity(first, last)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    lines = []
    for code, label in own.labels.items():
        history = [own.region[code].get(m, 0) for m in own.months]
        lines.append((label, own.region[code].get(first, 0), own.region[code].get(previous, 0), sum(history),
                      region.region.get(code, {}).get(first, 0), history))
    return MemberReport(member, first, own.months, lines)
