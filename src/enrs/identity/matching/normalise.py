"""French-aware normalisation of identity traits.

Every comparison and every blocking key works on the forms computed here, so
that two spellings a registration desk would consider the same person compare
equal:

* case, accents, ligatures (``Œ``, ``Æ``, ``ß``) and every non-letter are
  folded away: ``"d'Hérouville-Saint-Clair"`` → tokens ``D HEROUVILLE SAINT CLAIR``;
* names keep two forms: ``full`` (all tokens glued: ``LEGOFF``) and ``core``
  (particles dropped: ``GOFF``), because desks write ``Le Goff``, ``LEGOFF`` or
  ``Goff (Le)``; particles are ``PARTICLES`` below;
* a list of first names is split on spaces (distinct first names, INSEE rule)
  while the hyphen of a compound first name is kept inside one item
  (``Anne-Laure`` → ``ANNELAURE``), since FR Core allows ``Anne-Laure`` and
  ``Anne Laure`` for the same compound, comparisons also look at the glued list;
* birth dates are ``YYYY-MM-DD`` strings where ``00`` marks an unknown month
  or day; :func:`date_variants` adds the day/month transposition when it is a
  valid date.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from functools import lru_cache

_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
# Particles and articles of French (and neighbouring) surnames. They are
# dropped in the ``core`` form only: "DE LA FONTAINE" and "LAFONTAINE" share
# the core "FONTAINE".
PARTICLES = frozenset({"DE", "DU", "DES", "D", "LE", "LA", "LES", "L", "DA", "DI", "DOS", "DEL", "DELLA", "VAN", "VON", "DER", "DEN", "ST", "STE"})
UNKNOWN = "00"


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Upper case, no accent, no punctuation, single spaces: ``" Hélène-Zoé "`` → ``"HELENE ZOE"``."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_LIGATURES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    return _NON_ALNUM.sub(" ", stripped).strip()


def tokens(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


@lru_cache(maxsize=200_000)
def name_forms(name: str) -> tuple[str, str, frozenset[str]]:
    """``(full, core, core tokens)`` of a surname: ``"de la Fontaine"`` → ``("DELAFONTAINE", "FONTAINE", {"FONTAINE"})``."""
    parts = tokens(name)
    significant = tuple(part for part in parts if part not in PARTICLES) or parts
    return "".join(parts), "".join(significant), frozenset(significant)


def first_name_list(first_names: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Ordered, folded first names; a compound keeps its parts glued (``Jean-Marc`` → ``JEANMARC``)."""
    if isinstance(first_names, str):
        first_names = first_names.split()
    return _first_name_list(tuple(first_names))


@lru_cache(maxsize=200_000)
def _first_name_list(first_names: tuple[str, ...]) -> tuple[str, ...]:
    result = []
    for item in first_names:
        glued = fold(item).replace(" ", "")
        if glued:
            result.append(glued)
    return tuple(result)


@lru_cache(maxsize=200_000)
def compound_parts(first_names: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Every part of every first name: ``("Anne-Laure", "Marie")`` → ``{ANNE, LAURE, MARIE}`` (shortened compounds)."""
    return frozenset(part for item in first_names for part in tokens(item))


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@lru_cache(maxsize=100_000)
def parse_birth_date(value: str) -> tuple[int, int, int] | None:
    """``(year, month, day)`` with 0 for an unknown part, or None when the text is not a plausible birth date.

    Accepted: ``YYYY-MM-DD`` where a known month/day must make a real date
    (``1980-02-31`` is refused), ``00`` marks an unknown month or day, and an
    unknown month implies an unknown day (``1980-00-12`` is refused).
    """
    match = _DATE.match((value or "").strip())
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if year < 1850 or month > 12 or (month == 0 and day != 0):
        return None
    if month and day:
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
    elif day > 31:
        return None
    return year, month, day


def format_date(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


@lru_cache(maxsize=100_000)
def date_variants(value: str) -> tuple[str, ...]:
    """The date itself and, when it is also a valid date, its day/month transposition."""
    parsed = parse_birth_date(value)
    if parsed is None:
        return ()
    year, month, day = parsed
    variants = [format_date(year, month, day)]
    if month and day and month != day and day <= 12:
        variants.append(format_date(year, day, month))
    return tuple(variants)
