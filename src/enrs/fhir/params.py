"""Search parameters declared as data, and how each FHIR type becomes a Django ``Q``.

A service declares, for each resource, parameters such as::

    StringParam("name", paths=("name", "short_name"), documentation=...)
    TokenParam("identifier", targets=(TokenTarget("finess", system=FINESS), ...))
    DateParam("date", paths=("start_date", "end_date"))
    ReferenceParam("organization", targets={"Organization": "organisation"})

The search engine (``enrs.fhir.search``) splits the query string; each
parameter turns one raw value (a comma-separated OR list) into a ``Q`` and
raises :class:`~enrs.fhir.errors.InvalidSearchValue` on a value it cannot
read. Repeating a parameter ANDs the ``Q`` objects.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from enrs.core import text
from enrs.fhir import dates
from enrs.fhir.errors import InvalidSearchValue

NOTHING = Q(pk__in=[])
NO_MATCH = object()  # returned by a TokenTarget converter: this code cannot match here
FHIR_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
MAX_VALUE_LENGTH = 1000
# Bounds on what one parameter may ask, so that a query stays a query: each
# value and each word becomes a condition in the SQL.
MAX_OR_VALUES = 50
MAX_WORDS = 10
_MAX_PK = 2**63 - 1


@dataclass(frozen=True)
class SearchContext:
    """What a parameter needs to know beyond its value."""

    model: type[models.Model]
    base_url: str = ""
    id_to_pk: Callable[[str, str], Any] | None = None  # (resource type, id) -> pk or None
    reference_type: str | None = None  # set by a reference parameter's ``:Type`` modifier


# --- Escaping (FHIR search §"Escaping search parameters") ------------------------


def split_escaped(value: str, separator: str) -> list[str]:
    """Split on ``separator`` unless escaped with a backslash; escapes are kept."""
    parts, current, index = [], [], 0
    while index < len(value):
        ch = value[index]
        if ch == "\\" and index + 1 < len(value):
            current.append(value[index : index + 2])
            index += 2
            continue
        if ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        index += 1
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return re.sub(r"\\([\\,|$])", r"\1", value)


def integer_pk(value: str) -> int | None:
    """Resource ids are the database keys; anything else cannot exist."""
    if not value.isdigit() or not value.isascii():
        return None
    number = int(value)
    return number if 0 < number <= _MAX_PK else None


# --- Model introspection ---------------------------------------------------------


def resolve_field(model: type[models.Model], path: str) -> models.Field:
    current, found = model, None
    for part in path.split("__"):
        found = current._meta.pk if part == "pk" else current._meta.get_field(part)
        if found.is_relation and found.related_model is not None:
            current = found.related_model
    return found


def path_spans_many(model: type[models.Model], path: str) -> bool:
    current = model
    for part in path.split("__"):
        found = current._meta.pk if part == "pk" else current._meta.get_field(part)
        if found.many_to_many or found.one_to_many:
            return True
        if found.is_relation and found.related_model is not None:
            current = found.related_model
    return False


def presence(model: type[models.Model], path: str) -> Q:
    """Q for "this path has a value": not NULL, and not blank for text."""
    q = Q(**{f"{path}__isnull": False})
    if isinstance(resolve_field(model, path), (models.CharField, models.TextField)):
        q &= ~Q(**{path: ""})
    return q


def _any_of(queries) -> Q:
    result = NOTHING
    for q in queries:
        result = q if result is NOTHING else result | q
    return result


def _all_of(queries) -> Q:
    result = Q()
    for q in queries:
        result &= q
    return result


# --- Parameters ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SearchParam(ABC):
    """Base of every parameter type: name, documentation, OR lists, ``:missing``."""

    name: str
    documentation: str = ""
    type: ClassVar[str] = ""
    modifiers: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self):
        if not re.fullmatch(r"_?[a-z][a-z0-9\-]*", self.name) and self.name != "_lastUpdated":
            raise ValueError(f"invalid FHIR search parameter name: {self.name!r}")

    @property
    @abstractmethod
    def paths(self) -> tuple[str, ...]:
        """The ORM paths the parameter searches."""

    def filter(self, raw: str, modifier: str | None, ctx: SearchContext) -> Q | None:
        """The ``Q`` for one occurrence ``name[:modifier]=raw``; None when empty."""
        if modifier == "missing":
            return self._missing(raw, ctx)
        if modifier is not None and modifier not in self.modifiers:
            raise InvalidSearchValue(
                _("Modificateur « :%(modifier)s » non pris en charge pour ce paramètre.") % {"modifier": modifier},
                "not-supported",
            )
        values = [value for value in split_escaped(raw, ",") if value.strip()]
        if not values:
            return None
        if len(values) > MAX_OR_VALUES:
            raise InvalidSearchValue(_("Trop de valeurs (au plus %(max)d séparées par des virgules).") % {"max": MAX_OR_VALUES})
        return _any_of(self.match(value, modifier, ctx) for value in values)

    @abstractmethod
    def match(self, value: str, modifier: str | None, ctx: SearchContext) -> Q:
        """The ``Q`` for one value of an OR list."""

    def _missing(self, raw: str, ctx: SearchContext) -> Q:
        if raw not in ("true", "false"):
            raise InvalidSearchValue(_("Le modificateur :missing attend « true » ou « false »."))
        present = _any_of(presence(ctx.model, path) for path in self.paths)
        return ~present if raw == "true" else present

    def spans_many(self, model) -> bool:
        return any(path_spans_many(model, path) for path in self.paths)


@dataclass(frozen=True, kw_only=True)
class StringParam(SearchParam):
    """Default: every word of the value starts a word of one of the paths, ignoring
    case and accents (FHIR "starts with", per word). ``:contains`` finds the value
    anywhere; ``:exact`` compares the whole field, case and accents included."""

    string_paths: tuple[str, ...]
    type: ClassVar[str] = "string"
    modifiers: ClassVar[frozenset[str]] = frozenset({"exact", "contains"})

    @property
    def paths(self):
        return self.string_paths

    def match(self, value, modifier, ctx):
        value = unescape(value)
        if modifier == "exact":
            return _any_of(Q(**{path: value}) for path in self.paths)
        if modifier == "contains":
            pattern = text.contains_regex(value.strip())
            return _any_of(Q(**{f"{path}__iregex": pattern}) for path in self.paths)
        search_words = text.words(value)
        if not search_words:
            raise InvalidSearchValue(_("La valeur « %(value)s » ne contient aucun mot à chercher.") % {"value": value})
        if len(search_words) > MAX_WORDS:
            raise InvalidSearchValue(_("Trop de mots (au plus %(max)d).") % {"max": MAX_WORDS})
        return _all_of(
            _any_of(Q(**{f"{path}__iregex": text.word_start_regex(word)}) for path in self.paths) for word in search_words
        )


def normalise_system(system: str) -> str:
    """Systems compared without the http/https difference, the host's case or a
    trailing slash (FR guides use both ``http://`` and ``https://`` forms)."""
    match = re.match(r"^https?://([^/]*)(.*)$", system, flags=re.IGNORECASE)
    if not match:
        return system
    return "//" + match.group(1).lower() + match.group(2).rstrip("/")


@dataclass(frozen=True)
class TokenTarget:
    """One place a token can match: an ORM path, the code system it belongs to
    (None for codes without a system), older system URIs accepted on input,
    and a converter from the searched code to the stored value (return
    ``NO_MATCH`` when the code cannot exist here, raise InvalidSearchValue
    when it is malformed)."""

    path: str
    system: str | None = None
    aliases: tuple[str, ...] = ()
    convert: Callable[[str], Any] | None = None

    def accepts(self, system: str) -> bool:
        if self.system is None:
            return False
        wanted = normalise_system(system)
        return any(normalise_system(known) == wanted for known in (self.system, *self.aliases))

    def to_db(self, code: str):
        return self.convert(code) if self.convert else code


@dataclass(frozen=True, kw_only=True)
class TokenParam(SearchParam):
    """``code``, ``system|code``, ``|code`` (no system), ``system|`` (any code of
    the system). Codes are compared exactly (FHIR tokens are case-sensitive).
    ``:not`` negates the whole OR list (resources without the value match)."""

    targets: tuple[TokenTarget, ...]
    type: ClassVar[str] = "token"
    modifiers: ClassVar[frozenset[str]] = frozenset({"not"})

    @property
    def paths(self):
        return tuple(dict.fromkeys(target.path for target in self.targets))

    def filter(self, raw, modifier, ctx):
        if modifier == "not":
            q = super().filter(raw, None, ctx)
            return None if q is None else ~q
        return super().filter(raw, modifier, ctx)

    def _targets_for(self, system: str | None) -> list[TokenTarget]:
        if system is None:
            return list(self.targets)
        if system == "":
            return [target for target in self.targets if target.system is None]
        return [target for target in self.targets if target.accepts(system)]

    def match(self, value, modifier, ctx):
        parts = split_escaped(value, "|")
        if len(parts) > 2:
            raise InvalidSearchValue(_("Jeton invalide « %(value)s » : un seul « | » est permis.") % {"value": value})
        system, code = (None, unescape(parts[0])) if len(parts) == 1 else (unescape(parts[0]), unescape(parts[1]))
        if system == "" and code == "":
            raise InvalidSearchValue(_("Jeton vide : indiquez un système, un code ou les deux."))
        queries = []
        for target in self._targets_for(system):
            if code == "":
                queries.append(presence(ctx.model, target.path))
                continue
            stored = target.to_db(code)
            if stored is not NO_MATCH:
                queries.append(Q(**{target.path: stored}))
        return _any_of(queries)


def boolean_code(code: str) -> bool:
    if code == "true":
        return True
    if code == "false":
        return False
    raise InvalidSearchValue(_("Valeur booléenne attendue : « true » ou « false »."))


def boolean_token(name: str, path: str, documentation: str = "") -> TokenParam:
    return TokenParam(name=name, targets=(TokenTarget(path, convert=boolean_code),), documentation=documentation)


@dataclass(frozen=True, kw_only=True)
class DateParam(SearchParam):
    """One path (DateTimeField: an instant; DateField: a whole day) or two paths
    (start, end) of a period. Prefixes eq ne gt lt ge le sa eb."""

    date_paths: tuple[str, ...]
    type: ClassVar[str] = "date"

    def __post_init__(self):
        super().__post_init__()
        if len(self.date_paths) not in (1, 2):
            raise ValueError("a date parameter maps to one field or to a (start, end) pair")

    @property
    def paths(self):
        return self.date_paths

    def target(self, model):
        fields = [resolve_field(model, path) for path in self.date_paths]
        if len(fields) == 2:
            whole_days = not isinstance(fields[0], models.DateTimeField)
            return dates.PeriodTarget(self.date_paths[0], self.date_paths[1], whole_days)
        if isinstance(fields[0], models.DateTimeField):
            return dates.InstantTarget(self.date_paths[0])
        return dates.DayTarget(self.date_paths[0])

    def match(self, value, modifier, ctx):
        prefix, rest = dates.split_prefix(value.strip())
        return dates.condition(self.target(ctx.model), prefix, dates.parse_date(rest))


_REFERENCE_RE = re.compile(
    r"^(?:(?P<base>https?://\S+?)/)?(?:(?P<type>[A-Z][A-Za-z]+)/)?(?P<id>[A-Za-z0-9\-.]{1,64})$"
)


@dataclass(frozen=True, kw_only=True)
class ReferenceParam(SearchParam):
    """``Type/id``, ``id`` or ``[base]/Type/id``; ``:Type`` restricts the target.
    ``targets`` maps each target resource type to the foreign key holding it.
    Chaining (``organization.name=``) is not supported."""

    targets: Mapping[str, str]
    type: ClassVar[str] = "reference"

    @property
    def paths(self):
        return tuple(self.targets.values())

    def filter(self, raw, modifier, ctx):
        if modifier is not None and modifier in self.targets:
            return super().filter(raw, None, replace(ctx, reference_type=modifier))
        return super().filter(raw, modifier, ctx)

    def match(self, value, modifier, ctx):
        restricted = ctx.reference_type
        found = _REFERENCE_RE.match(value.strip())
        if found is None:
            raise InvalidSearchValue(_("Référence invalide « %(value)s » (attendu : Type/id ou id).") % {"value": value})
        base, type_name, resource_id = found.group("base"), found.group("type"), found.group("id")
        if base and ctx.base_url and base.rstrip("/") != ctx.base_url.rstrip("/"):
            return NOTHING  # a resource of another server is never here
        if type_name and type_name not in self.targets:
            raise InvalidSearchValue(
                _("Le type « %(type)s » n'est pas admis ici (attendu : %(allowed)s).")
                % {"type": type_name, "allowed": ", ".join(self.targets)}
            )
        wanted = [t for t in self.targets if (type_name in (None, t)) and (restricted in (None, t))]
        queries = []
        for target_type in wanted:
            pk = ctx.id_to_pk(target_type, resource_id) if ctx.id_to_pk else integer_pk(resource_id)
            if pk is not None:
                queries.append(Q(**{self.targets[target_type]: pk}))
        return _any_of(queries)


@dataclass(frozen=True, kw_only=True)
class NumberParam(SearchParam):
    """Decimal comparison with prefixes; ``eq`` honours the implicit precision
    of the value (``100`` matches [99.5, 100.5))."""

    number_paths: tuple[str, ...]
    type: ClassVar[str] = "number"

    @property
    def paths(self):
        return self.number_paths

    def match(self, value, modifier, ctx):
        prefix, rest = dates.split_prefix(value.strip())
        try:
            number = Decimal(rest)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number.as_tuple().exponent) > 30 or number.adjusted() > 30:
            raise InvalidSearchValue(_("Nombre invalide « %(value)s ».") % {"value": rest})
        half = Decimal(5) * Decimal(10) ** (number.as_tuple().exponent - 1)
        low, high = number - half, number + half
        per_path = []
        for path in self.paths:
            equal = Q(**{f"{path}__gte": low, f"{path}__lt": high})
            per_path.append(
                {
                    "eq": equal,
                    "ne": ~equal & Q(**{f"{path}__isnull": False}),
                    "gt": Q(**{f"{path}__gt": number}),
                    "sa": Q(**{f"{path}__gt": number}),
                    "lt": Q(**{f"{path}__lt": number}),
                    "eb": Q(**{f"{path}__lt": number}),
                    "ge": Q(**{f"{path}__gte": number}),
                    "le": Q(**{f"{path}__lte": number}),
                }[prefix]
            )
        return _any_of(per_path)


@dataclass(frozen=True, kw_only=True)
class UriParam(SearchParam):
    """Exact URI comparison (``:below`` / ``:above`` are not supported)."""

    uri_paths: tuple[str, ...]
    type: ClassVar[str] = "uri"

    @property
    def paths(self):
        return self.uri_paths

    def match(self, value, modifier, ctx):
        return _any_of(Q(**{path: unescape(value.strip())}) for path in self.paths)


@dataclass(frozen=True, kw_only=True)
class IdParam(SearchParam):
    """``_id``: the logical ids of the resource, a comma list."""

    resource_type: str
    type: ClassVar[str] = "token"

    @property
    def paths(self):
        return ("pk",)

    def _missing(self, raw, ctx):
        raise InvalidSearchValue(_("Le modificateur :missing n'a pas de sens pour _id."), "not-supported")

    def match(self, value, modifier, ctx):
        value = value.strip()
        if not FHIR_ID_RE.match(value):
            raise InvalidSearchValue(_("Identifiant de ressource invalide « %(value)s ».") % {"value": value})
        pk = ctx.id_to_pk(self.resource_type, value) if ctx.id_to_pk else integer_pk(value)
        return NOTHING if pk is None else Q(pk=pk)


@dataclass(frozen=True)
class Include:
    """An ``_include`` the resource supports: ``Source:param`` follows the foreign
    key ``path`` to resources of type ``target``."""

    param: str
    target: str
    path: str


def string(name: str, *paths: str, documentation: str = "") -> StringParam:
    return StringParam(name=name, string_paths=paths, documentation=documentation)


def token(name: str, *targets: TokenTarget, documentation: str = "") -> TokenParam:
    return TokenParam(name=name, targets=targets, documentation=documentation)


def date(name: str, *paths: str, documentation: str = "") -> DateParam:
    return DateParam(name=name, date_paths=paths, documentation=documentation)


def reference(name: str, targets: Mapping[str, str], documentation: str = "") -> ReferenceParam:
    return ReferenceParam(name=name, targets=dict(targets), documentation=documentation)


def number(name: str, *paths: str, documentation: str = "") -> NumberParam:
    return NumberParam(name=name, number_paths=paths, documentation=documentation)


def uri(name: str, *paths: str, documentation: str = "") -> UriParam:
    return UriParam(name=name, uri_paths=paths, documentation=documentation)


__all__ = [
    "NO_MATCH", "DateParam", "IdParam", "Include", "NumberParam", "ReferenceParam", "SearchContext", "SearchParam",
    "StringParam", "TokenParam", "TokenTarget", "UriParam", "boolean_token", "date", "number", "reference", "string",
    "token", "uri",
]
