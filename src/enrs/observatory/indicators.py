"""ORU indicators over the analytical store (reads only; plain SQL any engine runs).

Definitions (FEDORU "trame commune", reference §2.2):
- night = arrival 20:00–07:59, deep night = 00:00–07:59;
- hospitalisation rate = (mutation + transfert) / passages (MODE_SORTIE 6 or 7);
- length of stay excludes UHCD stays (their exit is the UHCD exit); median and share ≥ 4 h;
- age bands: <28 d, 28 d–1 y, 1–5, 5–10, 10–15, 15–18, 18–30, 30–45, 45–65, 65–75, 75–85, ≥85;
- syndromic groups: CIM-10 prefixes kept as data (``data/syndromes.csv``), DP or any DA counts.

Every indicator except the median stay reads the per-day pre-aggregates (``aggregates.py``:
``passages_jour``, ``syndromes_jour``), so a three-year dashboard sums a few thousand rows; the
median stay reads the passages' stay histogram. Every function takes a :class:`Scope` (period, optional département, optional
establishments) and returns aggregates only: no passage ever leaves this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from enrs.observatory.aggregates import (  # noqa: F401 (AGE_BANDS, syndrome_definitions: re-exported)
    AGE_BANDS,
    AGE_MEASURES,
    CCMU_MEASURES,
    CCMU_ORDER,
    DAILY,
    HOUR_MEASURES,
    SUMMARY_MEASURES,
    SYNDROMES,
    TRANSPORT_LABELS,
    TRANSPORT_MEASURES,
    syndrome_definitions,
)
from enrs.observatory.store import AnalyticalStore, get_store

WEEKDAYS = (_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche"))
# Small-count rule: in exports, cells under this count are shown as "< 5" (secondary suppression is not done).
SMALL_COUNT = 5


@dataclass(frozen=True)
class Scope:
    first_day: dt.date
    last_day: dt.date
    departement: str = ""
    finess: tuple[str, ...] = ()  # empty = every establishment of the region

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        prefix = f"{alias}." if alias else ""
        clauses = [f"{prefix}jour BETWEEN ? AND ?"]
        params: list[Any] = [self.first_day, self.last_day]
        if self.departement:
            clauses.append(f"{prefix}departement = ?")
            params.append(self.departement)
        if self.finess:
            clauses.append(f"{prefix}finess IN ({', '.join('?' for _f in self.finess)})")
            params.extend(self.finess)
        return " AND ".join(clauses), params

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass
class Summary:
    passages: int = 0
    per_day: float = 0.0
    women: float | None = None
    under_1: float | None = None
    under_18: float | None = None
    over_75: float | None = None
    mean_age: float | None = None
    night: float | None = None
    deep_night: float | None = None
    ccmu_1_2: float | None = None
    ccmu_4_5: float | None = None
    hospitalisation: float | None = None
    median_stay_min: float | None = None
    stay_over_4h: float | None = None
    unplanned_exit: float | None = None
    deaths: float | None = None


@dataclass
class Dashboard:
    scope: Scope
    summary: Summary
    daily: list[tuple[dt.date, int]] = field(default_factory=list)
    by_establishment: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    by_departement: list[tuple[str, int]] = field(default_factory=list)
    age_bands: list[tuple[str, int]] = field(default_factory=list)
    ccmu: list[tuple[str, int]] = field(default_factory=list)
    transport: list[tuple[str, int]] = field(default_factory=list)
    heatmap: list[list[int]] = field(default_factory=list)  # 7 weekdays × 24 hours
    syndromes: list[dict] = field(default_factory=list)
    # Per-establishment daily counts (FINESS, département, one count per day of the scope): the data
    # of the interactive daily chart (period zoom, series toggles, establishment filter).
    daily_series: list[tuple[str, str, list[int]]] = field(default_factory=list)


def _ratio(numerator, denominator) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _sums(names) -> str:
    return ", ".join(f"coalesce(sum({name}), 0)" for name in names)


TOTAL_MEASURES = SUMMARY_MEASURES + AGE_MEASURES + CCMU_MEASURES + TRANSPORT_MEASURES


def totals(store: AnalyticalStore, scope: Scope) -> dict[str, int]:
    """Every summed counter of the scope in one query (summary, age bands, CCMU, arrival mode)."""
    where, params = scope.where()
    row = store.query(f"SELECT {_sums(name for name, _sql in TOTAL_MEASURES)} FROM {DAILY} WHERE {where}", params)[0]
    return dict(zip((name for name, _sql in TOTAL_MEASURES), row, strict=True))


def summary(store: AnalyticalStore, scope: Scope, counts: dict[str, int] | None = None) -> Summary:
    counts = counts or totals(store, scope)
    row = [counts[name] for name, _sql in SUMMARY_MEASURES]
    (n, women, sexed, u1, u18, o75, aged, sum_age, night, deep, c12, c45, graded, hosp, exits,
     over4, stays, unplanned, deaths) = row
    median_stay = median_stay_minutes(store, scope)
    return Summary(
        passages=n, per_day=round(n / scope.days, 1), women=_ratio(women, sexed), under_1=_ratio(u1, aged),
        under_18=_ratio(u18, aged), over_75=_ratio(o75, aged), mean_age=round(sum_age / aged, 1) if aged else None,
        night=_ratio(night, n), deep_night=_ratio(deep, n), ccmu_1_2=_ratio(c12, graded), ccmu_4_5=_ratio(c45, graded),
        hospitalisation=_ratio(hosp, exits), median_stay_min=float(median_stay) if median_stay is not None else None,
        stay_over_4h=_ratio(over4, stays), unplanned_exit=_ratio(unplanned, exits), deaths=_ratio(deaths, exits),
    )


def median_stay_minutes(store: AnalyticalStore, scope: Scope) -> float | None:
    """Exact median of the stays excluding UHCD, from their histogram (stays are whole minutes ≤ 72 h):
    a few thousand rows instead of sorting every stay; even counts average the two middle values."""
    where, params = scope.where()
    histogram = store.query(
        f"""SELECT duree_min, count(*) FROM passages WHERE {where} AND duree_min IS NOT NULL
            AND coalesce(orient, '') <> 'UHCD' GROUP BY 1 ORDER BY 1""",
        params,
    )
    total = sum(count for _minutes, count in histogram)
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)  # 0-based ranks of the middle value(s)
    found, seen = [], 0
    for minutes, count in histogram:
        while len(found) < 2 and wanted[len(found)] < seen + count:
            found.append(minutes)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def daily(store: AnalyticalStore, scope: Scope) -> list[tuple[dt.date, int]]:
    where, params = scope.where()
    counts = dict(store.query(f"SELECT jour, sum(n) FROM {DAILY} WHERE {where} GROUP BY jour", params))
    return [(day, counts.get(day, 0)) for day in (scope.first_day + dt.timedelta(days=i) for i in range(scope.days))]


def daily_by_establishment(store: AnalyticalStore, scope: Scope) -> list[tuple[str, str, list[int]]]:
    """One series per establishment: (FINESS, département, passages of each day of the scope)."""
    where, params = scope.where()
    rows = store.query(f"SELECT finess, coalesce(departement, '?'), jour, sum(n) FROM {DAILY} WHERE {where} GROUP BY 1, 2, 3",
                       params)
    series: dict[tuple[str, str], list[int]] = {}
    for finess, departement, day, count in rows:
        values = series.setdefault((finess, departement), [0] * scope.days)
        values[(day - scope.first_day).days] += int(count)
    return [(finess, departement, values) for (finess, departement), values in sorted(series.items()) if any(values)]


def by_establishment(store: AnalyticalStore, scope: Scope, names: dict[str, str]) -> list[tuple[str, str, int, float | None]]:
    where, params = scope.where()
    rows = store.query(
        f"""SELECT finess, sum(n), sum(hospitalised), sum(exits) FROM {DAILY} WHERE {where}
            GROUP BY finess HAVING sum(n) > 0 ORDER BY sum(n) DESC, finess""",
        params,
    )
    return [(finess, names.get(finess, finess), n, _ratio(hosp, exits)) for finess, n, hosp, exits in rows]


def by_departement(store: AnalyticalStore, scope: Scope) -> list[tuple[str, int]]:
    where, params = scope.where()
    return store.query(f"SELECT coalesce(departement, '?'), sum(n) FROM {DAILY} WHERE {where} GROUP BY 1 HAVING sum(n) > 0 ORDER BY 1",
                       params)


def _category(counts: dict[str, int], measures) -> list[int]:
    return [counts[name] for name, _sql in measures]


def age_bands(store: AnalyticalStore, scope: Scope, counts: dict[str, int] | None = None) -> list[tuple[str, int]]:
    row = _category(counts or totals(store, scope), AGE_MEASURES)
    return [(label, count) for (label, _c), count in zip(AGE_BANDS, row, strict=True)]


def ccmu(store: AnalyticalStore, scope: Scope, counts: dict[str, int] | None = None) -> list[tuple[str, int]]:
    return list(zip(CCMU_ORDER, _category(counts or totals(store, scope), CCMU_MEASURES), strict=True))


def transport(store: AnalyticalStore, scope: Scope, counts: dict[str, int] | None = None) -> list[tuple[str, int]]:
    row = _category(counts or totals(store, scope), TRANSPORT_MEASURES)
    return [(str(label), count) for label, count in zip(TRANSPORT_LABELS.values(), row, strict=True)]


def heatmap(store: AnalyticalStore, scope: Scope) -> list[list[int]]:
    """Passages by ISO weekday (Monday first) × hour of arrival."""
    where, params = scope.where()
    grid = [[0] * 24 for _d in range(7)]
    for weekday, *hours in store.query(
        f"SELECT isodow(jour), {_sums(name for name, _sql in HOUR_MEASURES)} FROM {DAILY} WHERE {where} GROUP BY 1", params
    ):
        grid[weekday - 1] = list(hours)
    return grid


# --- Syndromic surveillance ---------------------------------------------------------------------
def syndromes(store: AnalyticalStore, scope: Scope, *, history_years: int = 3) -> list[dict]:
    """Weekly counts of each group over the last ISO week of the scope, against the same week of earlier years.

    Alert when the last complete week exceeds the highest count of the same ISO week in each of the
    previous ``history_years`` years that have data (at least one earlier year is needed).
    """
    last = scope.last_day
    week_end = last - dt.timedelta(days=(last.isoweekday() % 7))  # last Sunday on or before last_day
    week_start = week_end - dt.timedelta(days=6)
    iso_year, iso_week, _d = week_start.isocalendar()
    base = Scope(week_start - dt.timedelta(days=366 * history_years + 7), week_end, scope.departement, scope.finess)
    where, params = base.where()
    definitions = syndrome_definitions()
    # Years with passages that week (the alert compares with years that have data, even without a case).
    years = {year for (year,) in store.query(
        f"SELECT DISTINCT isoyear(jour) FROM {DAILY} WHERE {where} AND week(jour) = ? AND n > 0", [*params, iso_week])}
    counts = {(year, code): n for year, code, n in store.query(
        f"SELECT isoyear(jour), code, sum(n) FROM {SYNDROMES} WHERE {where} AND week(jour) = ? GROUP BY 1, 2",
        [*params, iso_week],
    )}
    results = []
    for code, label, _prefixes, _age_max in definitions:
        current = counts.get((iso_year, code), 0)
        previous = [counts.get((y, code), 0) for y in range(iso_year - history_years, iso_year) if y in years]
        threshold = max(previous) if previous else None
        results.append({
            "code": code, "label": label, "week": f"{iso_year}-S{iso_week:02d}", "count": current,
            "previous": previous, "threshold": threshold, "alert": threshold is not None and current > threshold,
        })
    return results


def dashboard(scope: Scope, names: dict[str, str], store: AnalyticalStore | None = None) -> Dashboard:
    store = store or get_store()
    with store.session(read_only=True):
        counts = totals(store, scope)
        return Dashboard(
            scope=scope, summary=summary(store, scope, counts), daily=daily(store, scope),
            by_establishment=by_establishment(store, scope, names), by_departement=by_departement(store, scope),
            age_bands=age_bands(store, scope, counts), ccmu=ccmu(store, scope, counts), transport=transport(store, scope, counts),
            heatmap=heatmap(store, scope), syndromes=syndromes(store, scope),
            daily_series=daily_by_establishment(store, scope),
        )


def suppress_small(count: int) -> str:
    """The small-count rule of exports: 1–4 passages are shown as "< 5" (0 stays 0)."""
    return f"< {SMALL_COUNT}" if 0 < count < SMALL_COUNT else str(count)


def data_bounds(store: AnalyticalStore | None = None) -> tuple[dt.date | None, dt.date | None]:
    store = store or get_store()
    return tuple(store.query(f"SELECT min(jour), max(jour) FROM {DAILY}")[0])
