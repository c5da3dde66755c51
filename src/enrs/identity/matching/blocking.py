"""Blocking keys: the few strings under which an identity is filed so that its likely duplicates share one.

Two records are compared only when they share at least one key. A key must be
selective (a handful of identities per key in a base of a million people) and
each error of the error model must leave at least one key intact:

``i:<13 digits>``
    the INS without its control key (a mistyped key still blocks);
``d:<date>|<phonetic>``
    for each birth-date variant (the date and its day/month transposition) and
    each of the phonetic keys of the birth name, the used name and the first
    first name. Because the name and first-name keys share one kind, a record
    whose birth name and first name were inverted still meets the original;
    one typo in the name keeps the first-name key, a first-name typo keeps the
    name key, a used name in place of the birth name keeps the first-name key;
``di:<date>|<initial of name><initial of first name>``
    survives typos in both the name and the first name (desks rarely get the
    first letter wrong);
``ym:``, ``yd:`` ``<phonetic name>|<first initial>|<year and month or day>``
    survive a mistyped or unknown (``00``) day or month, even together with a
    first-name error;
``md:<phonetic name>|<phonetic first name>|<month-day>``
    survives a mistyped year (without the year, a day is shared by a century
    of people, so the whole first name is part of the key);
``dp:<date>|<place>``
    survives a changed name and first name together (used name and used first
    name) when the birth place is known.

The phonetic key is the French Soundex2 variant of :mod:`.phonetic`; names are
taken in their ``core`` form (particles dropped), and each part of a composed
name gives its own key so that a shortened composed name still blocks.
Every key is at most 64 characters.
"""

from __future__ import annotations

from functools import lru_cache

from enrs.identity.matching.normalise import (
    date_variants,
    first_name_list,
    name_forms,
    parse_birth_date,
)
from enrs.identity.matching.phonetic import phonetic
from enrs.identity.matching.traits import Traits

MAX_KEY_LENGTH = 64
KeyParts = tuple[str, ...]


@lru_cache(maxsize=200_000)
def _name_info(birth_name: str, used_name: str) -> tuple[frozenset[str], frozenset[str]]:
    """Phonetic codes (birth name, used name, each part of a composed name) and initials of the names."""
    codes: set[str] = set()
    initials: set[str] = set()
    for name in (birth_name, used_name):
        full, core, core_tokens = name_forms(name)
        if not full:
            continue
        initials.add(full[0])
        codes.add(phonetic(core))
        if len(core_tokens) > 1:
            codes.update(phonetic(token) for token in core_tokens if len(token) > 2)
    codes.discard("")
    return frozenset(codes), frozenset(initials)


def _first_info(first_names: tuple[str, ...]) -> tuple[str, str]:
    """Phonetic code and initial of the first first name."""
    for name in first_names:
        info = _first_name_info(name)
        if info[0]:
            return info
    return "", ""


@lru_cache(maxsize=200_000)
def _first_name_info(name: str) -> tuple[str, str]:
    # Cached per single first name: lists are mostly distinct, first names are not.
    folded = first_name_list((name,))
    return (phonetic(folded[0]), folded[0][0]) if folded else ("", "")


@lru_cache(maxsize=200_000)
def _date_info(birth_date: str) -> tuple[tuple[str, ...], str, str, str]:
    """Date variants, and the year-month, month-day, year-day parts ("" when a part is unknown)."""
    year, month, day = parse_birth_date(birth_date) or (0, 0, 0)
    if not year:
        return (), "", "", ""
    return (
        date_variants(birth_date),
        f"{year}-{month}" if month else "",
        f"{month}-{day}" if month and day else "",
        f"{year}-{day}" if day else "",
    )


def key_parts(t: Traits) -> set[KeyParts]:
    """The blocking keys of ``t`` as tuples ``(kind, part, …)``; :func:`blocking_keys` formats them.

    The batch hashes these tuples directly: their strings come from the caches
    above, and Python caches a string's hash in the string, so a record's keys
    cost a few tuple hashes instead of a dozen string formats.
    """
    parts: set[KeyParts] = set()
    ins = (t.ins or "").replace(" ", "").upper()
    if len(ins) >= 13:
        parts.add(("i", ins[:13]))
    codes, initials = _name_info(t.birth_name or "", t.used_name or "")
    first, first_initial = _first_info(t.first_names)
    variants, year_month, month_day, year_day = _date_info(t.birth_date or "")
    place = (t.birth_place or "").strip().upper()
    name_like = codes | {first} if first else codes
    for date in variants:
        for code in name_like:
            parts.add(("d", date, code))
        if first:
            for initial in initials:
                parts.add(("di", date, initial + first_initial))
        if place:
            parts.add(("dp", date, place))
    # One mistyped or unknown part of the date: two of its three parts, with the name.
    if first:
        for code in codes:
            for kind, date_part in (("ym", year_month), ("yd", year_day)):
                if date_part:
                    parts.add((kind, code, first_initial, date_part))
            if month_day:
                # Without the year a date is shared by a century of people: the whole first name is needed.
                parts.add(("md", code, first, month_day))
    return parts


def format_key(parts: KeyParts) -> str:
    kind, *values = parts
    return f"{kind}:{'|'.join(values)}"[:MAX_KEY_LENGTH]


def blocking_keys(t: Traits) -> set[str]:
    """The blocking keys of an identity (each prefixed by its kind and at most 64 characters)."""
    return {format_key(parts) for parts in key_parts(t)}
