"""Search: read the query string strictly, filter, sort, page and collect _include.

Rules (see docs/services/fhir.md):
- a comma inside a value is OR, a repeated parameter is AND;
- unknown parameters and modifiers are refused (400) unless the client sends
  ``Prefer: handling=lenient``, in which case they are ignored and reported
  in an OperationOutcome entry of the Bundle;
- invalid values are always refused, every problem is reported at once;
- paging is by offset: ``_page`` (from 1) with ``_count`` results per page, in
  a total order (the requested ``_sort`` keys, then the id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from enrs.fhir.errors import FhirError, InvalidSearchValue, Issue
from enrs.fhir.params import MAX_VALUE_LENGTH, Include, SearchContext
from enrs.fhir.registry import Registry, ResourceType

RESULT_PARAMS = ("_count", "_page", "_sort", "_include", "_total", "_format", "_pretty")
SINGLE_VALUED = {"_count", "_page", "_sort", "_total", "_format", "_pretty"}
MAX_PAGE = 1_000_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_SUPPORTED_COMMON = {"_summary", "_elements", "_revinclude", "_contained", "_containedType", "_has", "_list",
                         "_text", "_content", "_query", "_filter", "_security", "_tag", "_profile", "_source", "_type"}


@dataclass
class SearchQuery:
    resource_type: ResourceType
    filters: list[tuple[str, str, Q]] = field(default_factory=list)  # (key, raw value, Q)
    count: int = 0
    page: int = 1
    sort_keys: list[str] = field(default_factory=list)
    includes: list[tuple[str, Include]] = field(default_factory=list)
    total: str = "accurate"
    ignored: list[str] = field(default_factory=list)
    echoed: list[tuple[str, str]] = field(default_factory=list)  # _format, _pretty: kept in links
    spans_many: bool = False

    def link_params(self, page: int) -> list[tuple[str, str]]:
        """The query as understood by the server, for the Bundle's links."""
        pairs = [(key, raw) for key, raw, _q in self.filters]
        if self.sort_keys:
            pairs.append(("_sort", ",".join(self.sort_keys)))
        pairs += [("_include", spec) for spec, _inc in self.includes]
        if self.total != "accurate":
            pairs.append(("_total", self.total))
        pairs += self.echoed
        pairs += [("_count", str(self.count)), ("_page", str(page))]
        return pairs


@dataclass
class SearchResult:
    query: SearchQuery
    matches: list[Model]
    included: list[tuple[ResourceType, Model]]
    total: int | None
    has_next: bool


class _Problems:
    """Collects every problem of a query so that the client sees them all at once."""

    def __init__(self):
        self.issues: list[Issue] = []

    def invalid(self, name: str, message: str, code: str = "invalid") -> None:
        self.issues.append(Issue(code, message, expression=(name,)))

    def raise_if_any(self) -> None:
        if self.issues:
            raise FhirError(400, self.issues)


def _check_raw(name: str, values: list[str], problems: _Problems) -> bool:
    for value in values:
        if _CONTROL_CHARS.search(value):
            problems.invalid(name, _("Le paramètre « %(name)s » contient des caractères de contrôle.") % {"name": name})
            return False
        if len(value) > MAX_VALUE_LENGTH:
            problems.invalid(
                name, _("Le paramètre « %(name)s » dépasse %(max)d caractères.") % {"name": name, "max": MAX_VALUE_LENGTH}
            )
            return False
    return True


def _single(name: str, values: list[str], problems: _Problems) -> str | None:
    if len(values) > 1:
        problems.invalid(name, _("Le paramètre « %(name)s » ne peut figurer qu'une fois.") % {"name": name})
        return None
    return values[0].strip()


def _parse_int(name: str, value: str, low: int, high: int | None, problems: _Problems) -> int | None:
    if not re.fullmatch(r"\d{1,9}", value) or int(value) < low or (high is not None and int(value) > high):
        bound = _("entier entre %(low)d et %(high)d") % {"low": low, "high": high} if high else _("entier supérieur ou égal à %(low)d") % {"low": low}
        problems.invalid(name, _("Valeur invalide pour « %(name)s » : « %(value)s » (attendu : %(bound)s).") % {
            "name": name, "value": value, "bound": bound})
        return None
    return int(value)


def _parse_count(values: list[str], query: SearchQuery, problems: _Problems) -> None:
    query.count = settings.ENRS_FHIR_DEFAULT_COUNT
    if not values or (raw := _single("_count", values, problems)) is None or raw == "":
        return
    count = _parse_int("_count", raw, 0, None, problems)
    if count is not None:
        # FHIR lets a server return fewer results than asked: clamp, and the
        # self link shows the page size actually used.
        query.count = min(count, settings.ENRS_FHIR_MAX_COUNT)


def _parse_page(values: list[str], query: SearchQuery, problems: _Problems) -> None:
    if values and (raw := _single("_page", values, problems)) not in (None, ""):
        page = _parse_int("_page", raw, 1, MAX_PAGE, problems)
        query.page = page or 1


def _parse_sort(values: list[str], query: SearchQuery, problems: _Problems) -> None:
    if not values or not (raw := _single("_sort", values, problems)):
        return
    for key in (part.strip() for part in raw.split(",")):
        if not key:
            continue
        if key.lstrip("-") not in query.resource_type.all_sorts:
            problems.invalid("_sort", _("Clé de tri inconnue « %(key)s » (admises : %(allowed)s).") % {
                "key": key, "allowed": ", ".join(query.resource_type.all_sorts)})
        elif key not in query.sort_keys:
            query.sort_keys.append(key)


def _parse_includes(values: list[str], query: SearchQuery, registry: Registry, problems: _Problems) -> None:
    rt = query.resource_type
    for raw in values:
        for spec in (part.strip() for part in raw.split(",")):
            if not spec:
                continue
            parts = spec.split(":")
            base = ":".join(parts[:2])
            include = rt.include_specs.get(base)
            if include is None or len(parts) > 3 or (len(parts) == 3 and parts[2] != include.target):
                allowed = ", ".join(rt.include_specs) or _("aucun")
                problems.invalid("_include", _("_include non pris en charge « %(spec)s » (admis : %(allowed)s).") % {
                    "spec": spec, "allowed": allowed}, "not-supported")
            elif include.target not in registry:
                problems.invalid("_include", _("Le type %(type)s n'est pas servi ici.") % {"type": include.target}, "not-supported")
            elif all(spec != seen for seen, _inc in query.includes):
                query.includes.append((spec, include))


def _parse_total(values: list[str], query: SearchQuery, problems: _Problems) -> None:
    if values and (raw := _single("_total", values, problems)):
        if raw not in ("none", "estimate", "accurate"):
            problems.invalid("_total", _("_total attend none, estimate ou accurate."))
        else:
            query.total = "none" if raw == "none" else "accurate"


def _unknown(name: str, rt: ResourceType, problems: _Problems, lenient: bool, query: SearchQuery) -> None:
    if lenient:
        query.ignored.append(name)
        return
    if "." in name.split(":")[0]:
        message = _("Le chaînage de paramètres (« %(name)s ») n'est pas pris en charge.") % {"name": name}
    elif name.split(":")[0] in _NOT_SUPPORTED_COMMON:
        message = _("Le paramètre « %(name)s » n'est pas pris en charge par ce serveur.") % {"name": name}
    else:
        message = _("Paramètre de recherche inconnu pour %(type)s : « %(name)s » (admis : %(allowed)s).") % {
            "type": rt.name, "name": name, "allowed": ", ".join(rt.all_params)}
    problems.invalid(name, message, "not-supported")


def parse_search(
    rt: ResourceType, params: MultiValueDict, ctx: SearchContext, registry: Registry, *, lenient: bool = False
) -> SearchQuery:
    """Read every parameter; raise one FhirError(400) listing all the problems."""
    query = SearchQuery(resource_type=rt)
    problems = _Problems()
    for key in params:
        values = params.getlist(key)
        if not _check_raw(key, values, problems):
            continue
        name, _sep, modifier = key.partition(":")
        if name in RESULT_PARAMS:
            if modifier:
                problems.invalid(key, _("Modificateur non pris en charge sur « %(name)s ».") % {"name": name}, "not-supported")
            elif name in ("_format", "_pretty"):
                query.echoed += [(name, value) for value in values]
            continue
        param = rt.all_params.get(name)
        if param is None:
            _unknown(key, rt, problems, lenient, query)
            continue
        for raw in values:
            try:
                q = param.filter(raw, modifier or None, ctx)
            except InvalidSearchValue as exc:
                if exc.code == "not-supported" and lenient and modifier:
                    query.ignored.append(key)
                    break
                problems.invalid(key, _("Paramètre « %(name)s » : %(message)s") % {"name": key, "message": exc}, exc.code)
                continue
            if q is not None:
                query.filters.append((key, raw, q))
                query.spans_many |= param.spans_many(ctx.model)
    _parse_count(params.getlist("_count"), query, problems)
    _parse_page(params.getlist("_page"), query, problems)
    _parse_sort(params.getlist("_sort"), query, problems)
    _parse_includes(params.getlist("_include"), query, registry, problems)
    _parse_total(params.getlist("_total"), query, problems)
    problems.raise_if_any()
    return query


def _ordering(query: SearchQuery) -> list[Any]:
    rt = query.resource_type
    keys = query.sort_keys or list(rt.default_sort)
    ordering, used = [], set()
    for key in keys:
        descending = key.startswith("-")
        paths = rt.all_sorts.get(key.lstrip("-"), (key.lstrip("-"),))
        for path in paths:
            expression = F(path)
            # NULLs last either way, so that SQLite and PostgreSQL page alike.
            ordering.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
            used.add(path)
    if "pk" not in used:
        ordering.append(F("pk").asc())
    return ordering


def _included(rows: list[Model], query: SearchQuery, request: HttpRequest | None, registry: Registry):
    rt = query.resource_type
    seen = {(rt.name, obj.pk) for obj in rows}
    found: list[tuple[ResourceType, Model]] = []
    for _spec, include in query.includes:
        target = registry.get(include.target)
        attname = rows[0]._meta.get_field(include.path).attname if rows else None
        wanted = {getattr(obj, attname) for obj in rows} - {None} if attname else set()
        wanted -= {pk for type_name, pk in seen if type_name == target.name}
        if not wanted:
            continue
        for obj in target.queryset(request).filter(pk__in=wanted).order_by("pk"):
            if (target.name, obj.pk) not in seen:
                seen.add((target.name, obj.pk))
                found.append((target, obj))
    return found


def execute(query: SearchQuery, base: QuerySet, request: HttpRequest | None, registry: Registry) -> SearchResult:
    queryset = base
    for _key, _raw, q in query.filters:
        # One filter() per occurrence: on multi-valued relations each
        # repeated parameter may be satisfied by a different related row.
        queryset = queryset.filter(q)
    if query.spans_many:
        queryset = queryset.distinct()
    queryset = queryset.order_by(*_ordering(query))
    total = queryset.count() if query.total != "none" else None
    rows: list[Model] = []
    has_next = False
    if query.count:
        offset = (query.page - 1) * query.count
        rows = list(queryset[offset : offset + query.count + 1])
        has_next = len(rows) > query.count
        rows = rows[: query.count]
    return SearchResult(query, rows, _included(rows, query, request, registry), total, has_next)
