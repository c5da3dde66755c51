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
``n:<phonetic name>|<phonetic first name>|<year>``
    catches a mistyped or partly unknown (``00``) day or month;
``p:<place>|<phonetic name>|<phonetic first name>``
    catches a mistyped year when the birth place is known.

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
    for date in date_variants(birth_date):
        for code in names | ({first} if first else set()):
            keys.add(f"d:{date}|{code}")
    if first and p.year:
        for code in names:
            keys.add(f"n:{code}|{first}|{p.year}")
    if first and p.place:
        for code in names:
            keys.add(f"p:{p.place}|{code}|{first}")
    return {key[:MAX_KEY_LENGTH] for key in keys}


def blocking_keys(t: Traits) -> set[str]:
    """The blocking keys of an identity (each prefixed by its kind and at most 64 characters)."""
    return keys_of_prepared(prepare(t), t.birth_date)

