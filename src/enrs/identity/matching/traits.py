"""The identity traits compared by the matcher, and their prepared (normalised) form."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from enrs.identity.matching.normalise import (
    compound_parts,
    first_name_list,
    fold,
    name_forms,
    parse_birth_date,
)
from enrs.identity.matching.phonetic import phonetic


@dataclass(frozen=True, slots=True)
class Traits:
    """Strict and complementary traits of one identity, as a desk or a feed gives them.

    ``first_names`` is the ordered list of birth first names; ``birth_date`` is
    ``YYYY-MM-DD`` with ``00`` for an unknown month or day; ``sex`` is
    ``F``/``M``/``I`` or ``""``; ``birth_place`` an INSEE COG code (commune, or
    ``99xxx`` for a country) or ``""``; ``ins`` the INS matricule (NIR or NIA,
    15 characters) or ``""``.
    """

    birth_name: str
    first_names: tuple[str, ...]
    birth_date: str
    sex: str = ""
    birth_place: str = ""
    used_name: str = ""
    used_first_name: str = ""
    ins: str = ""


def ins_is_valid(ins: str) -> bool:
    """NIR/NIA format and key: 15 characters, key = 97 − (13 first as integer mod 97), 2A→19, 2B→18."""
    value = (ins or "").replace(" ", "").upper()
    if len(value) != 15 or value[0] not in "12378":
        return False
    body = value[:13]
    corsica = {"2A": "19", "2B": "18"}.get(body[5:7])
    if corsica:
        body = body[:5] + corsica + body[7:]
    if not (body.isdigit() and value[13:].isdigit()):
        return False
    return 97 - int(body) % 97 == int(value[13:])


@dataclass(frozen=True, slots=True)
class Prepared:
    """Normalised forms of a :class:`Traits`, computed once per record (batch) or per query."""

    name_full: str
    name_core: str
    name_tokens: frozenset[str]
    name_phonetic: str
    used_full: str
    used_core: str
    used_tokens: frozenset[str]
    used_phonetic: str
    first_names: tuple[str, ...]
    first_glued: str
    first_parts: frozenset[str]
    first_phonetic: str
    used_first: str
    year: int
    month: int
    day: int
    sex: str
    place: str
    ins: str
    ins_valid: bool


@lru_cache(maxsize=4096)
def prepare(traits: Traits) -> Prepared:
    name_full, name_core, name_tokens = name_forms(traits.birth_name)
    used_full, used_core, used_tokens = name_forms(traits.used_name)
    if used_full == name_full:  # a used name equal to the birth name brings nothing
        used_full = used_core = ""
        used_tokens = frozenset()
    firsts = first_name_list(traits.first_names)
    year, month, day = parse_birth_date(traits.birth_date) or (0, 0, 0)
    ins = (traits.ins or "").replace(" ", "").upper()
    sex = (traits.sex or "").upper()
    return Prepared(
        name_full=name_full,
        name_core=name_core,
        name_tokens=name_tokens,
        name_phonetic=phonetic(name_core),
        used_full=used_full,
        used_core=used_core,
        used_tokens=used_tokens,
        used_phonetic=phonetic(used_core) if used_core else "",
        first_names=firsts,
        first_glued="".join(firsts),
        first_parts=compound_parts(tuple(traits.first_names)),
        first_phonetic=phonetic(firsts[0]) if firsts else "",
        used_first=fold(traits.used_first_name).replace(" ", ""),
        year=year,
        month=month,
        day=day,
        sex=sex if sex in {"F", "M"} else "",
        place=(traits.birth_place or "").strip().upper(),
        ins=ins,
        ins_valid=ins_is_valid(ins),
    )
