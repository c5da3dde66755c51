"""Reads of the directory: search and detail queries for the screens.

Name search is accent- and case-insensitive on SQLite and PostgreSQL alike,
without a normalised column or the ``unaccent`` extension: each search term is
turned into a regular expression whose letters are character classes of every
accented and cased variant (``helene`` -> ``[hH][eéèêëEÉÈÊË]...``). Both
databases evaluate such a class natively (SQLite through Django's Python REGEXP
function), so "helene lefevre", "HÉLÈNE" and "Lefèvre" all find "Hélène
Lefèvre" (the pattern builder is shared with FHIR: ``enrs.core.text``). The price is a sequential scan; at regional scale (tens of thousands
of rows) that stays in the tens of milliseconds. A trigram index on an
unaccented expression is the PostgreSQL upgrade path if volumes grow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from enrs.core.text import fold, folded_pattern
from enrs.directory.models import Organisation, PracticeSituation, Professional

MAX_TERMS = 6
MAX_TERM_LENGTH = 40



def accent_insensitive_pattern(term: str) -> str:
    """A regular expression matching ``term`` whatever its accents, case and separators."""
    return folded_pattern(fold(term))


def search_terms(query: str) -> list[str]:
    """Split a free-text query into at most MAX_TERMS bounded terms."""
    terms = [t[:MAX_TERM_LENGTH] for t in re.split(r"\s+", fold(query or "").strip()) if t]
    return terms[:MAX_TERMS]


def _matches_any(fields: tuple[str, ...], term: str) -> Q:
    pattern = accent_insensitive_pattern(term)
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__iregex": pattern})
    return condition


# --- Search ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DirectoryFilters:
    """Validated search criteria (the form guarantees the codes are known)."""

    query: str = ""
    profession: str = ""
    departement: str = ""
    kind: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.query.strip() or self.profession or self.departement or self.kind)


def _active_situations_prefetch() -> Prefetch:
    return Prefetch(
        "situations",
        queryset=PracticeSituation.objects.filter(active=True).select_related("organisation"),
        to_attr="active_situations",
    )


def search_professionals(filters: DirectoryFilters) -> QuerySet[Professional]:
    """Active professionals matching every term (name or identifier) and filter."""
    qs = Professional.objects.filter(active=True)
    for term in search_terms(filters.query):
        condition = _matches_any(("last_name", "first_name"), term)
        if term.isdigit():
            condition |= Q(rpps__startswith=term) | Q(adeli__startswith=term)
        qs = qs.filter(condition)
    if filters.profession:
        qs = qs.filter(profession_code=filters.profession)
    if filters.departement or filters.kind:
        # Both organisation filters must hold for the same active situation.
        situations = PracticeSituation.objects.filter(active=True, organisation__active=True)
        if filters.departement:
            situations = situations.filter(organisation__departement=filters.departement)
        if filters.kind:
            situations = situations.filter(organisation__kind=filters.kind)
        qs = qs.filter(pk__in=situations.values("professional_id"))
    return qs.order_by("last_name", "first_name", "pk").prefetch_related(_active_situations_prefetch())


def search_organisations(filters: DirectoryFilters) -> QuerySet[Organisation]:
    """Active organisations matching every term (name, commune or FINESS) and filter."""
    qs = Organisation.objects.filter(active=True)
    for term in search_terms(filters.query):
        condition = _matches_any(("name", "short_name", "city"), term)
        if term.isalnum() and any(c.isdigit() for c in term):
            condition |= Q(finess__startswith=term.upper()) | Q(siret__startswith=term)
        qs = qs.filter(condition)
    if filters.departement:
        qs = qs.filter(departement=filters.departement)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.profession:
        qs = qs.filter(
            pk__in=PracticeSituation.objects.filter(
                active=True, professional__active=True, professional__profession_code=filters.profession
            ).values("organisation_id")
        )
    return qs.order_by("name", "pk")


@dataclass(frozen=True)
class ProfessionalRow:
    """A result line: the professional and what his active situations say."""

    professional: Professional
    specialties: list[str]
    communes: list[str]


def _distinct(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def summarise_situations(professionals) -> list[ProfessionalRow]:
    """Result lines for professionals fetched by ``search_professionals``."""
    rows = []
    for professional in professionals:
        situations = getattr(professional, "active_situations", [])
        rows.append(
            ProfessionalRow(
                professional=professional,
                specialties=_distinct(s.specialty_label for s in situations),
                communes=_distinct(s.organisation.city for s in situations),
            )
        )
    return rows


def departement_choices() -> list[tuple[str, str]]:
    """Départements present in the directory, for the search filter."""
    codes = (
        Organisation.objects.filter(active=True)
        .exclude(departement="")
        .values_list("departement", flat=True)
        .distinct()
        .order_by("departement")
    )
    return [(code, code) for code in codes]


# --- Details ----------------------------------------------------------------------------
def organisation_detail(pk: int) -> Organisation:
    """The organisation with its legal entity and GHT, or Http404."""
    return get_object_or_404(Organisation.objects.select_related("legal_entity", "ght"), pk=pk)


def establishments_of(organisation: Organisation) -> QuerySet[Organisation]:
    return organisation.establishments.filter(active=True).order_by("name", "pk")


def situations_in(organisation: Organisation) -> QuerySet[PracticeSituation]:
    """Active practice situations of active professionals in ``organisation``."""
    return (
        organisation.situations.filter(active=True, professional__active=True)
        .select_related("professional")
        .order_by("professional__last_name", "professional__first_name", "pk")
    )


def professional_detail(pk: int) -> Professional:
    """The professional with his active situations prefetched, or Http404."""
    return get_object_or_404(Professional.objects.prefetch_related(_active_situations_prefetch()), pk=pk)


# --- Links between accounts and the directory ----------------------------------------------
def professional_of_user(user) -> Professional | None:
    """The directory record linked to ``user``'s account, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Professional.objects.filter(user=user)
        .prefetch_related(_active_situations_prefetch())
        .first()
    )


def organisations_of(professional: Professional | None) -> list[Organisation]:
    """Distinct organisations where ``professional`` has an active situation."""
    if professional is None:
        return []
    situations = getattr(professional, "active_situations", None)
    if situations is None:
        situations = professional.situations.filter(active=True).select_related("organisation")
    seen: dict[int, Organisation] = {}
    for situation in situations:
        if situation.organisation.active:
            seen.setdefault(situation.organisation_id, situation.organisation)
    return sorted(seen.values(), key=lambda o: o.name)


def can_search_directory(user) -> bool:
    """Professionals and agency staff use the directory; patients do not."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.kind in {user.Kind.PROFESSIONAL, user.Kind.AGENCY}


def active_professional_by_idnat(idnat_ps: str) -> Professional | None:
    """The active professional with this national identifier (8 + RPPS, 0 + ADELI), with his account."""
    return Professional.objects.select_related("user").filter(idnat_ps=idnat_ps, active=True).first()
