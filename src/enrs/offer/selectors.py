"""Reads of the care-offer directory: the TODS search, facets, capacity views.

The search is one SQL filter built from the criteria (written by hand: it is the hot
path, see ``offer_filter``), the same text on SQLite and PostgreSQL:

- coded criteria are equalities on indexed foreign keys, or ``id IN`` sub-queries
  for the many-valued ones (public, equipment, specialisation, telehealth);
- each full-text word is an ``id IN (offers having this stemmed term)`` on the
  indexed ``OfferTerm`` table (see ``enrs.offer.text``);
- a radius is a bounding box on the indexed latitude/longitude, then the exact
  great-circle test as a dot product of unit vectors (``enrs.offer.geo``),
  ordered by that dot product, i.e. by distance;
- facets are counted within the current results: the single-valued ones from the
  matching rows, public and telehealth by two ``GROUP BY`` in one statement.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from enrs.core.text import fold
from enrs.directory import selectors as directory_selectors
from enrs.offer import capacity_sql, geo, nomenclatures, text
from enrs.offer.models import Capacity, CodeSystem, Commune, Concept, Offer, OfferTerm, Place, TelehealthOffer
from enrs.offer import services
from enrs.offer.services import staleness

PAGE_SIZE = 20
MAX_PAGE = 500


@dataclass(frozen=True)
class OfferCriteria:
    """Validated criteria (codes are checked against the loaded nomenclatures)."""

    query: str = ""
    activity: str = ""
    care_mode: str = ""
    public: str = ""
    equipment: str = ""
    specialisation: str = ""
    telehealth: str = ""
    departement: str = ""
    centre: geo.Point | None = None
    radius_km: float | None = None
    centre_label: str = ""

    @property
    def is_empty(self) -> bool:
        coded = (self.activity, self.care_mode, self.public, self.equipment, self.specialisation, self.telehealth, self.departement)
        return not (self.query.strip() or any(coded) or self.centre)


CODED_CRITERIA = {
    # criterion -> (nomenclature role, how it filters)
    "activity": ("activity", "activity_id"),
    "care_mode": ("care_mode", "care_mode_id"),
    "public": ("public", "publics"),
    "equipment": ("equipment", "equipment"),
    "specialisation": ("specialisation", "specialisations"),
}


def _concept_id(role: str, code: str) -> int:
    return services.concept(role, code).pk


# --- The search, in SQL --------------------------------------------------------------------------
# The search is the hot path of TODS: its filter is written once as SQL (the same text on
# SQLite and PostgreSQL) instead of being rebuilt by the ORM on every request.
def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _through(relation: str) -> str:
    return _table(Offer._meta.get_field(relation).remote_field.through)


@dataclass(frozen=True)
class OfferFilter:
    """The ``WHERE`` clause (over ``o``, the offer table) of a search, its parameters and
    the distance expression when there is a centre (larger dot product = nearer)."""

    where: str
    params: tuple
    dot: str = ""
    dot_params: tuple = ()

    def order_by(self) -> tuple[str, tuple]:
        if self.dot:
            return f"{self.dot} DESC, o.name, o.id", self.dot_params
        return "o.name, o.id", ()


def offer_filter(criteria: OfferCriteria) -> OfferFilter:
    """Active offers matching every criterion: coded criteria are equalities on indexed
    columns or ``id IN`` the indexed link tables, each text word an ``id IN`` the term
    index, a radius a bounding box on (latitude, longitude) then the exact dot-product test."""
    clauses, params = ["o.active = %s"], [True]
    for name, (role, path) in CODED_CRITERIA.items():
        code = getattr(criteria, name)
        if code:
            column = f"o.{path} = %s" if path.endswith("_id") else f"o.id IN (SELECT offer_id FROM {_through(path)} WHERE concept_id = %s)"
            clauses.append(column)
            params.append(_concept_id(role, code))
    if criteria.telehealth:
        clauses.append(f"o.id IN (SELECT offer_id FROM {_table(TelehealthOffer)} WHERE kind = %s)")
        params.append(criteria.telehealth)
    if criteria.departement:
        clauses.append("o.departement = %s")
        params.append(criteria.departement)
    for term in text.query_terms(criteria.query):
        clauses.append(f"o.id IN (SELECT offer_id FROM {_table(OfferTerm)} WHERE term = %s)")
        params.append(term)
    if criteria.centre is None or not criteria.radius_km:
        return OfferFilter(" AND ".join(clauses), tuple(params))
    box = geo.bounding_box(criteria.centre, criteria.radius_km)
    vector = geo.unit_vector(criteria.centre.latitude, criteria.centre.longitude)
    dot = "(o.ux * %s + o.uy * %s + o.uz * %s)"
    clauses += ["o.latitude BETWEEN %s AND %s", "o.longitude BETWEEN %s AND %s", f"{dot} >= %s"]
    params += [box.min_lat, box.max_lat, box.min_lon, box.max_lon, *vector, geo.min_dot(criteria.radius_km)]
    return OfferFilter(" AND ".join(clauses), tuple(params), dot, vector)


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def matching_rows(found: OfferFilter) -> list[tuple[int, int, int, str]]:
    """``(id, activity_id, care_mode_id, departement)`` of every match, in result order."""
    order, order_params = found.order_by()
    sql = f"SELECT o.id, o.activity_id, o.care_mode_id, o.departement FROM {_table(Offer)} o WHERE {found.where} ORDER BY {order}"
    return _fetch(sql, (*found.params, *order_params))


# --- Facets -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Facets:
    activity: list[FacetValue]
    care_mode: list[FacetValue]
    public: list[FacetValue]
    telehealth: list[FacetValue]
    departement: list[FacetValue]

    @property
    def total(self) -> int:
        return sum(value.count for value in self.activity)


def _sorted(values) -> list[FacetValue]:
    return sorted(values, key=lambda value: (-value.count, value.label))


# Above this many matches the many-valued facets re-run the filter instead of listing the ids.
MAX_ID_LIST = 5_000


def _many_valued_counts(found: OfferFilter, ids: list[int]) -> tuple[dict[int, int], dict[str, int]]:
    """Matches by public and by telehealth kind, in one round trip (two ``GROUP BY``)."""
    if len(ids) <= MAX_ID_LIST:
        inside, params = f"IN ({_id_list(ids)})", ()
    else:
        inside, params = f"IN (SELECT o.id FROM {_table(Offer)} o WHERE {found.where})", found.params
    sql = (
        f"SELECT 'p', CAST(concept_id AS VARCHAR(20)), COUNT(*) FROM {_through('publics')} WHERE offer_id {inside} GROUP BY concept_id"
        f" UNION ALL SELECT 't', kind, COUNT(*) FROM {_table(TelehealthOffer)} WHERE offer_id {inside} GROUP BY kind"
    )
    by_public, by_kind = {}, {}
    for facet, key, count in _fetch(sql, (*params, *params)):
        if facet == "p":
            by_public[int(key)] = count
        else:
            by_kind[key] = count
    return by_public, by_kind


def facets(found: OfferFilter, slim: list[tuple]) -> Facets:
    """Counts within the matches by activity, care mode, public, telehealth and département.

    ``slim`` are the ``(id, activity_id, care_mode_id, departement)`` rows of the matches
    (see :func:`matching_rows`)."""
    by_activity, by_mode, by_dept = defaultdict(int), defaultdict(int), defaultdict(int)
    for _pk, activity, mode, dept in slim:
        by_activity[activity] += 1
        by_mode[mode] += 1
        by_dept[dept] += 1
    by_public, by_kind = _many_valued_counts(found, [row[0] for row in slim]) if slim else ({}, {})
    concepts = _concepts_by_pk({*by_activity, *by_mode, *by_public})
    coded = lambda counts: _sorted(FacetValue(concepts[pk].code, concepts[pk].label, n) for pk, n in counts.items())  # noqa: E731
    return Facets(
        activity=coded(by_activity),
        care_mode=coded(by_mode),
        public=coded(by_public),
        telehealth=_sorted(FacetValue(kind, str(TelehealthOffer.Kind(kind).label), n) for kind, n in by_kind.items()),
        departement=sorted((FacetValue(d, d, n) for d, n in by_dept.items() if d), key=lambda value: value.code),
    )


def _concepts_by_pk(pks) -> dict[int, Concept]:
    """The activity, care mode and public concepts by primary key (cached codes; codes
    deactivated since are read from the database)."""
    concepts = {c.pk: c for role in ("activity", "care_mode", "public") for c in services.active_codes(role).values()}
    missing = set(pks) - set(concepts)
    if missing:
        concepts.update({c.pk: c for c in Concept.objects.filter(pk__in=missing)})
    return concepts


# --- Result rows ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaceCapacity:
    available: int
    installed: int | None
    updated_at: dt.datetime
    stale: bool


@dataclass(frozen=True)
class OfferRow:
    """A result line, read as plain values (no model instances: the search is hot)."""

    pk: int
    identifier: str
    name: str
    establishment: str
    city: str
    latitude: float | None
    longitude: float | None
    activity: str
    care_mode: str
    place_id: int | None
    telehealth: tuple[str, ...]
    distance_km: float | None
    capacity: PlaceCapacity | None


@dataclass
class SearchResult:
    criteria: OfferCriteria
    rows: list[OfferRow]
    facets: Facets
    page: int
    pages: int
    total: int = field(init=False)

    def __post_init__(self):
        self.total = self.facets.total


def _id_list(ids) -> str:
    """Database ids inlined in SQL (integers: nothing to escape, no parameter limit)."""
    return ",".join(str(int(pk)) for pk in ids)


def capacity_by_place(place_ids) -> dict[int, PlaceCapacity]:
    """Current available and installed beds/places of each place, with their staleness."""
    place_ids = list(place_ids)
    if not place_ids:
        return {}
    statuses = services.active_codes("capacity_status")
    available, installed = statuses[nomenclatures.AVAILABLE].pk, statuses[nomenclatures.INSTALLED].pk
    current = services.active_codes("temporality")[nomenclatures.CURRENT].pk
    rows = _fetch(
        f"SELECT place_id, status_id, count, updated_at FROM {_table(Capacity)}"
        f" WHERE place_id IN ({_id_list(place_ids)}) AND temporality_id = %s AND status_id IN (%s, %s)",
        (current, available, installed),
    )
    grouped: dict[int, dict] = defaultdict(lambda: {"available": None, "installed": None, "oldest": None})
    for place_id, status, count, updated_at in rows:
        entry = grouped[place_id]
        key = "available" if status == available else "installed"
        entry[key] = (entry[key] or 0) + count
        updated_at = capacity_sql.moment(updated_at)
        entry["oldest"] = updated_at if entry["oldest"] is None else min(entry["oldest"], updated_at)
    threshold = timezone.now() - staleness()
    return {
        place_id: PlaceCapacity(entry["available"], entry["installed"], entry["oldest"], entry["oldest"] < threshold)
        for place_id, entry in grouped.items()
        if entry["available"] is not None
    }


TELEHEALTH_LABELS = dict(TelehealthOffer.Kind.choices)


def _page_values(page_ids: list[int]) -> dict[int, tuple]:
    establishment = _table(Offer._meta.get_field("establishment").related_model)  # the directory's table, read only
    sql = (f"SELECT o.id, o.identifier, o.name, e.name, o.city, o.latitude, o.longitude, o.activity_id, o.care_mode_id, o.place_id"
           f" FROM {_table(Offer)} o JOIN {establishment} e ON e.id = o.establishment_id WHERE o.id IN ({_id_list(page_ids)})")
    return {row[0]: row for row in _fetch(sql, ())}


def _rows(page_ids: list[int], centre: geo.Point | None) -> list[OfferRow]:
    if not page_ids:
        return []
    values = _page_values(page_ids)
    kinds: dict[int, list[str]] = defaultdict(list)
    for offer_id, kind in _fetch(f"SELECT offer_id, kind FROM {_table(TelehealthOffer)} WHERE offer_id IN ({_id_list(page_ids)}) ORDER BY kind", ()):
        kinds[offer_id].append(str(TELEHEALTH_LABELS[kind]))
    capacities = capacity_by_place({values[pk][9] for pk in page_ids if values[pk][9]})
    concepts = _concepts_by_pk({code for pk in page_ids for code in values[pk][7:9]})
    rows = []
    for pk in page_ids:
        _pk, identifier, name, establishment, city, lat, lon, activity, care_mode, place_id = values[pk]
        distance = geo.haversine_km(centre, geo.Point(lat, lon)) if centre is not None and lat is not None and lon is not None else None
        rows.append(OfferRow(pk, identifier, name, establishment, city, lat, lon, concepts[activity].label, concepts[care_mode].label,
                             place_id, tuple(kinds[pk]), distance, capacities.get(place_id)))
    return rows


def search(criteria: OfferCriteria, page: int = 1, page_size: int = PAGE_SIZE) -> SearchResult:
    """The matching offers' facets and one page of rows: the filter runs once (ordered
    slim rows), the many-valued facets are one more query, the page is read by id."""
    found = offer_filter(criteria)
    slim = matching_rows(found)
    counts = facets(found, slim)
    pages = max(1, -(-len(slim) // page_size))
    page = min(max(1, page), pages)
    page_ids = [row[0] for row in slim[(page - 1) * page_size : page * page_size]]
    return SearchResult(criteria=criteria, rows=_rows(page_ids, criteria.centre), facets=counts, page=page, pages=pages)


# --- Communes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResolvedCommune:
    label: str
    point: geo.Point


def resolve_commune(value: str) -> ResolvedCommune | None:
    """A commune typed as an INSEE code or a name (accents optional): its reference
    point, else the centre of the offer places located in it."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) == 5 and value[:2].isalnum() and value[2:].isdigit():
        commune = Commune.objects.filter(insee=value.upper()).first()
    else:
        folded = fold(value)
        commune = Commune.objects.filter(folded_name=folded).order_by("insee").first()
    if commune is not None:
        return ResolvedCommune(f"{commune.name} ({commune.insee})", geo.Point(commune.latitude, commune.longitude))
    places = Place.objects.filter(latitude__isnull=False, longitude__isnull=False).filter(
        Q(commune_insee=value) | Q(city__iexact=value)
    ).values_list("latitude", "longitude", "city")[:500]
    places = list(places)
    if not places:
        return None
    latitude = sum(p[0] for p in places) / len(places)
    longitude = sum(p[1] for p in places) / len(places)
    return ResolvedCommune(places[0][2] or value, geo.Point(latitude, longitude))


# --- Choices for the forms ----------------------------------------------------------------------
def choices(role: str) -> list[tuple[str, str]]:
    """Active codes of a role's nomenclature, by label."""
    return sorted(((c.code, c.label) for c in services.active_codes(role).values()), key=lambda item: item[1])


def departement_choices() -> list[tuple[str, str]]:
    codes = Offer.objects.filter(active=True).exclude(departement="").values_list("departement", flat=True).distinct()
    return [(code, code) for code in sorted(codes)]


def code_systems() -> QuerySet[CodeSystem]:
    return CodeSystem.objects.annotate(concept_count=Count("concepts")).order_by("key")


# --- Details and capacity ------------------------------------------------------------------------
def offer_detail(pk: int) -> Offer:
    return get_object_or_404(
        Offer.objects.select_related("activity", "care_mode", "activity_field", "expertise_level", "establishment", "unit", "place")
        .prefetch_related("publics", "acts", "competences", "specialisations", "equipment", "opening_hours",
                          "closures__kind", "contacts__purpose", "telehealth__professional"),
        pk=pk, active=True,
    )


def is_agency(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_staff or user.kind == user.Kind.AGENCY)


def can_search_as_professional(user) -> bool:
    return directory_selectors.can_search_directory(user)


def establishments_managed_by(user) -> list:
    """Establishments whose capacity ``user`` may update: agency staff all those with
    places; a professional those where he practises and their legal entity's establishments."""
    if not getattr(user, "is_authenticated", False):
        return []
    if is_agency(user):
        return list({p.establishment for p in Place.objects.filter(active=True).select_related("establishment")})
    organisations = directory_selectors.organisations_of(directory_selectors.professional_of_user(user))
    allowed = {o.pk: o for o in organisations}
    for organisation in organisations:
        for establishment in directory_selectors.establishments_of(organisation):
            allowed.setdefault(establishment.pk, establishment)
    ids = set(Place.objects.filter(active=True, establishment_id__in=list(allowed)).values_list("establishment_id", flat=True))
    return sorted((allowed[pk] for pk in ids), key=lambda o: o.name)


def places_of_establishments(establishment_ids) -> QuerySet[Place]:
    return Place.objects.filter(establishment_id__in=establishment_ids, active=True).select_related("establishment").order_by("name", "pk")


def capacities_of(place: Place) -> QuerySet[Capacity]:
    return place.capacities.select_related("capacity_type", "status", "temporality", "source_type").order_by(
        "capacity_type__code", "status__code", "temporality__code"
    )


def place_by_identifier(identifier: str) -> Place | None:
    return Place.objects.select_related("establishment").filter(identifier=identifier).first()


@dataclass(frozen=True)
class DashboardRow:
    departement: str
    capacity_type: str
    available: int
    installed: int
    occupied: int
    places: int
    stale: int


def crisis_dashboard() -> list[DashboardRow]:
    """Current capacity by département and nature (lit, place…), with the stale figures counted."""
    threshold = timezone.now() - staleness()
    rows = (
        Capacity.objects.filter(temporality__code=nomenclatures.CURRENT)
        .values("departement", "capacity_type__label", "status__code")
        .annotate(total=Sum("count"), places=Count("place", distinct=True), stale=Count("pk", filter=Q(updated_at__lt=threshold)))
        .order_by("departement", "capacity_type__label")
    )
    table: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["departement"] or "—", row["capacity_type__label"])
        entry = table.setdefault(key, {"available": 0, "installed": 0, "occupied": 0, "places": 0, "stale": 0})
        status = row["status__code"]
        if status == nomenclatures.AVAILABLE:
            entry["available"] += row["total"] or 0
            entry["places"] = max(entry["places"], row["places"])
            entry["stale"] += row["stale"]
        elif status == nomenclatures.INSTALLED:
            entry["installed"] += row["total"] or 0
        elif status == "03":  # TRE_R330 Occupé
            entry["occupied"] += row["total"] or 0
    return [DashboardRow(d, t, **values) for (d, t), values in sorted(table.items())]


def stale_capacities() -> QuerySet[Capacity]:
    return (
        Capacity.objects.filter(updated_at__lt=timezone.now() - staleness(), status__code=nomenclatures.AVAILABLE)
        .select_related("place__establishment", "capacity_type")
        .order_by("updated_at")
    )


def validation_messages(exc: ValidationError) -> dict[str, list[str]]:
    return getattr(exc, "message_dict", None) or {"__all__": exc.messages}
