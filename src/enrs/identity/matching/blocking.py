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
``ym:``, ``yd:``, ``md:`` ``<phonetic name>|<first initial>|<two date parts>``
    survive a mistyped or unknown (``00``) part of the date, even together
    with a first-name error;
``dp:<date>|<place>``
    survives a changed name and first name together (used name and used first
    name) when the birth place is known.

The phonetic key is the French Soundex2 variant of :mod:`.phonetic`; names are
taken in their ``core`` form (particles dropped), and each part of a composed
name gives its own key so that a shortened composed name still blocks.
Every key is at most 64 characters.
"""

from __future__ import annotations

from enrs.identity.matching.normalise import date_variants
from enrs.identity.matching.phonetic import phonetic
from enrs.identity.matching.traits import Prepared, Traits, prepare

MAX_KEY_LENGTH = 64


def _name_codes(p: Prepared) -> set[str]:
    """Phonetic codes of the birth name, the used name, and each part of a composed name."""
    codes = {p.name_phonetic, p.used_phonetic}
    for part_tokens in (p.name_tokens, p.used_tokens):
        if len(part_tokens) > 1:
            codes.update(phonetic(token) for token in part_tokens if len(token) > 2)
    codes.discard("")
    return codes


def keys_of_prepared(p: Prepared, birth_date: str) -> set[str]:
    keys: set[str] = set()
    if p.ins and len(p.ins) >= 13:
        keys.add(f"i:{p.ins[:13]}")
    names = _name_codes(p)
    first = p.first_phonetic
    variants = date_variants(birth_date)
    for date in variants:
        for code in names | ({first} if first else set()):
            keys.add(f"d:{date}|{code}")
    # Initials survive typos (desks rarely miss the first letter), a place survives name changes.
    initials = {code[0] for code in (p.name_full, p.used_full) if code}
    for date in variants:
        if first:
            for initial in initials:
                keys.add(f"di:{date}|{initial}{p.first_names[0][0]}")
        if p.place:
            keys.add(f"dp:{date}|{p.place}")
    # One mistyped or unknown part of the date: two of its three parts, with the name.
    if first and p.year:
        for code in names:
            stem = f"{code}|{first[0]}"
            if p.month:
                keys.add(f"ym:{stem}|{p.year}-{p.month}")
                if p.day:
                    keys.add(f"md:{stem}|{p.month}-{p.day}")
            if p.day:
                keys.add(f"yd:{stem}|{p.year}-{p.day}")
    return {key[:MAX_KEY_LENGTH] for key in keys}


def blocking_keys(t: Traits) -> set[str]:
    """The blocking keys of an identity (each prefixed by its kind and at most 64 characters)."""
    return keys_of_prepared(prepare(t), t.birth_date)

