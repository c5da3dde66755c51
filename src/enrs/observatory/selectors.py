"""Reads of the observatory: files and reports a user may see, quarantined passages (traced)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from enrs.core import permissions
from enrs.observatory import rules
from enrs.observatory.models import QuarantinedRecord, RpuFile

QUARANTINE_PAGE_SIZE = 25


def may_use_observatory(user) -> bool:
    return rules.is_regional_analyst(user) or bool(rules.scoped_organisation_ids(user))


def visible_files(user) -> QuerySet[RpuFile]:
    return permissions.filter_allowed(user, "read", RpuFile.objects.select_related("organisation"))


def file_for(user, pk: int, *, request=None) -> RpuFile:
    rpu_file = get_object_or_404(RpuFile.objects.select_related("organisation"), pk=pk)
    permissions.require(user, "read", rpu_file, channel="web", request=request)
    return rpu_file


def quarantine_page(user, rpu_file: RpuFile, page: int, *, request=None):
    """One page of quarantined passages; each displayed passage is checked and recorded in the trail."""
    paginator = Paginator(rpu_file.quarantine.select_related("file").order_by("number"), QUARANTINE_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    for item in page_obj.object_list:
        permissions.require(user, "read", item, channel="web", request=request)
    return page_obj


def quarantined_count(rpu_file: RpuFile) -> int:
    return QuarantinedRecord.objects.filter(file=rpu_file).count()


# --- Yearly quality assessment ----------------------------------------------------------------
@dataclass
class YearlyQuality:
    finess: str
    name: str
    files: int
    refused_files: int
    days_with_data: int
    days_in_year: int
    accepted: int
    quarantined: int
    completeness: dict[str, float | None]
    conformity: dict[str, float | None]

    @property
    def quarantine_rate(self) -> float | None:
        total = self.accepted + self.quarantined
        return round(self.quarantined / total, 4) if total else None


def _weighted(files: list[RpuFile], attribute: str) -> dict[str, float | None]:
    """Per-field rate over the year, each file weighted by its records (None when no file has a denominator)."""
    totals: dict[str, list[float]] = {}
    for rpu_file in files:
        for name, rate in getattr(rpu_file, attribute).items():
            if rate is not None:
                pair = totals.setdefault(name, [0.0, 0.0])
                pair[0] += rate * rpu_file.records
                pair[1] += rpu_file.records
    return {name: (round(num / den, 4) if den else None) for name, (num, den) in totals.items()}


def yearly_quality(user, year: int, store=None) -> list[YearlyQuality]:
    """The yearly quality assessment of every establishment the user may see.

    The rates come from the per-file reports of the year; when a period was sent several times only
    the latest file for that exact period counts (the daily file replaces the previous one).
    """
    from enrs.observatory.store import get_store

    store = store or get_store()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    files = list(visible_files(user).filter(first_day__lte=last, last_day__gte=first).order_by("received_at", "pk"))
    refused = visible_files(user).filter(status=RpuFile.Status.REJECTED, received_at__year=year)
    refused_by_finess: dict[str, int] = {}
    for finess in refused.values_list("finess", flat=True):
        refused_by_finess[finess] = refused_by_finess.get(finess, 0) + 1
    latest: dict[tuple, RpuFile] = {}
    for rpu_file in files:
        if rpu_file.status == RpuFile.Status.ACCEPTED:
            latest[(rpu_file.finess, rpu_file.first_day, rpu_file.last_day)] = rpu_file
    by_finess: dict[str, list[RpuFile]] = {}
    for (finess, _f, _l), rpu_file in latest.items():
        by_finess.setdefault(finess, []).append(rpu_file)
    counts = {
        finess: (days, n)
        for finess, days, n in store.query(
            "SELECT finess, count(DISTINCT jour), count(*) FROM passages WHERE jour BETWEEN ? AND ? GROUP BY finess", [first, last]
        )
    }
    quarantined = dict(
        QuarantinedRecord.objects.filter(finess__in=list(by_finess), day__gte=first, day__lte=last)
        .values_list("finess").annotate(n=Count("pk")).values_list("finess", "n")
    )
    days_in_year = (last - first).days + 1
    rows = []
    for finess, finess_files in sorted(by_finess.items()):
        days, accepted = counts.get(finess, (0, 0))
        name = finess_files[-1].organisation.name if finess_files[-1].organisation else finess
        rows.append(YearlyQuality(
            finess=finess, name=name, files=len(finess_files), refused_files=refused_by_finess.get(finess, 0),
            days_with_data=days, days_in_year=days_in_year, accepted=accepted, quarantined=quarantined.get(finess, 0),
            completeness=_weighted(finess_files, "completeness"), conformity=_weighted(finess_files, "conformity"),
        ))
    return rows
