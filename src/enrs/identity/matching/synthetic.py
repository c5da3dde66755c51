"""Synthetic French identities with a documented error model, for the matching benchmark and tests.

People are invented: names and first names are drawn from Faker's ``fr_FR``
person lists (with our own seeded ``random.Random`` rather than a Faker
instance, which is 10× faster at a million records and gives the same
records for the same seed). Nobody is real.

Population (one *person* gives one *record*, or several when duplicated):

* sex F/M evenly; birth name from Faker, 8% composed (``Martin-Dubois``),
  3% with a particle (``de``, ``Le``, ``d'``); 1 to 3 birth first names, 15%
  of them compound (``Jean-Pierre``);
* birth date uniform over 1925–2024; 1% of people have an unknown day (``00``)
  and 0.3% an unknown month and day;
* birth place: 35% a commune of the demo region (few codes, so many shared
  places), 55% an INSEE-like commune code elsewhere in France
  (``<département><3 digits>``, Corsica 2A/2B included), 10% a ``99xxx``
  country;
* 45% of women have a used (married) name; 8% of people a used first name;
* every person has a check-digit-valid NIR consistent with sex, birth year,
  month and place (not real: the order number is random);
* 0.3% of people have a twin: same birth name, date, place, different first
  names and INS — a classic collision trap, never a duplicate.

Duplicates: 10% of people get 1, 2 or 3 more records (equally likely). Each
extra record is the person re-entered by another desk, where each error below
happens independently with the given probability:

============================================ ======
error                                         rate
============================================ ======
typo in the birth name (substitution, deletion, insertion, transposition)  25%
accents dropped and case changed in names     50%
composed birth name shortened to its first part  50% of composed
used name typed as the birth name             40% of people with a used name
birth name and first name inverted             3%
first names reordered                         10% of multi-name lists
first-name list truncated to the first name   30% of multi-name lists
compound first name shortened (``Jean``)      40% of compounds
hyphen of a compound written as a space        30% of compounds
typo in the first first name                  15%
day and month transposed                       8% (when day ≤ 12)
one digit of the birth date mistyped           3%
day recorded as unknown (``00``)               2%
sex missing                                    3%
birth place missing                           15%
birth place replaced by a commune of the same département  3%
INS missing                                   40%
INS mistyped (one digit)                       5%
============================================ ======

The first record of a person keeps the INS with a probability of 60% and a
missing birth place with 10% (identities are rarely complete everywhere).
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from faker.providers.person.fr_FR import Provider as _FrenchPeople

from enrs.identity.matching.normalise import fold
from enrs.identity.matching.traits import Traits

LAST_NAMES = tuple(dict.fromkeys(_FrenchPeople.last_names))
FIRST_NAMES = {"F": tuple(dict.fromkeys(_FrenchPeople.first_names_female)), "M": tuple(dict.fromkeys(_FrenchPeople.first_names_male))}
PARTICLES = ("de ", "Le ", "d'", "de La ", "Du ")
COUNTRIES = ("99100", "99109", "99127", "99131", "99134", "99139", "99212", "99216", "99231", "99350", "99351", "99352", "99404")
DEPARTEMENTS = tuple(f"{d:02d}" for d in range(1, 96) if d != 20) + ("2A", "2B")
DUPLICATED_SHARE = 0.10
TWIN_SHARE = 0.003


@dataclass(frozen=True)
class SyntheticRecord:
    id: str
    person: int  # the truth: records of one person share it
    traits: Traits


REGION_DEPARTEMENTS = ("14", "27", "50", "61", "76")


def _region_communes() -> tuple[str, ...]:
    """Communes of the demo region known to the identity server's COG file (sorted: deterministic)."""
    from enrs.identity.cog import known_codes

    found = sorted(code for code, (kind, _name) in known_codes().items() if kind == "commune" and code[:2] in REGION_DEPARTEMENTS)
    return tuple(found) or ("14118", "76540")


def _nir(rng: random.Random, sex: str, year: int, month: int, place: str) -> str:
    sex_digit = "2" if sex == "F" else "1"
    place = place or "99100"
    body = f"{sex_digit}{year % 100:02d}{month or 99:02d}{place}{rng.randrange(1, 1000):03d}"
    numeric = body.replace("2A", "19", 1) if body[5:7] == "2A" else body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    return f"{body}{97 - int(numeric) % 97:02d}"


def _birth_place(rng: random.Random, region: tuple[str, ...]) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(region)
    if roll < 0.90:
        return f"{rng.choice(DEPARTEMENTS)}{rng.randrange(1, 700):03d}"
    return rng.choice(COUNTRIES)


def _birth_name(rng: random.Random) -> str:
    roll = rng.random()
    name = rng.choice(LAST_NAMES)
    if roll < 0.08:
        return f"{name}-{rng.choice(LAST_NAMES)}"
    if roll < 0.11:
        return rng.choice(PARTICLES) + name
    return name


def _first_names(rng: random.Random, sex: str) -> tuple[str, ...]:
    pool = FIRST_NAMES[sex]
    count = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
    names = []
    while len(names) < count:
        name = rng.choice(pool)
        if rng.random() < 0.15:
            name = f"{name}-{rng.choice(pool)}"
        if name not in names:
            names.append(name)
    return tuple(names)


def _birth_date(rng: random.Random) -> tuple[int, int, int]:
    year, month, day = rng.randrange(1925, 2025), rng.randrange(1, 13), rng.randrange(1, 29)
    roll = rng.random()
    if roll < 0.003:
        return year, 0, 0
    if roll < 0.013:
        return year, month, 0
    return year, month, day


def _date(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


def person(rng: random.Random, region: tuple[str, ...]) -> Traits:
    sex = rng.choice("FM")
    year, month, day = _birth_date(rng)
    place = _birth_place(rng, region)
    firsts = _first_names(rng, sex)
    used_name = rng.choice(LAST_NAMES) if sex == "F" and rng.random() < 0.45 else ""
    used_first = rng.choice(firsts[1:]) if len(firsts) > 1 and rng.random() < 0.08 else ""
    return Traits(
        birth_name=_birth_name(rng),
        first_names=firsts,
        birth_date=_date(year, month, day),
        sex=sex,
        birth_place=place,
        used_name=used_name,
        used_first_name=used_first,
        ins=_nir(rng, sex, year, month, place),
    )


def twin_of(rng: random.Random, t: Traits) -> Traits:
    sex = rng.choice("FM")
    firsts = _first_names(rng, sex)
    while set(fold(" ".join(firsts)).split()) & set(fold(" ".join(t.first_names)).split()):
        firsts = _first_names(rng, sex)
    year, month, _ = (int(part) for part in t.birth_date.split("-"))
    return replace(
        t,
        sex=sex,
        first_names=firsts,
        used_name=rng.choice(LAST_NAMES) if sex == "F" and rng.random() < 0.45 else "",
        used_first_name="",
        ins=_nir(rng, sex, year, month, t.birth_place),
    )


# --- Error model -------------------------------------------------------------------------
def typo(rng: random.Random, word: str) -> str:
    """One keyboard error: substitution, deletion, insertion or adjacent transposition."""
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)  # desks rarely get the first letter wrong
    kind = rng.randrange(4)
    letter = rng.choice(string.ascii_lowercase)
    if kind == 0:
        return word[:i] + letter + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + letter + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _unaccented(rng: random.Random, text: str) -> str:
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return plain.upper() if rng.random() < 0.7 else plain.lower()


def _shorten_compound(name: str) -> str:
    return name.split("-")[0] if "-" in name else name


def _date_errors(rng: random.Random, date: str) -> str:
    year, month, day = (int(part) for part in date.split("-"))
    if month and day and day <= 12 and day != month and rng.random() < 0.08:
        month, day = day, month
    elif rng.random() < 0.03:
        text = list(_date(year, month, day).replace("-", ""))
        for _ in range(20):
            position = rng.choice((2, 3, 5, 7))  # decade, unit of year, month unit, day unit
            candidate = text.copy()
            candidate[position] = rng.choice("0123456789")
            year, month, day = int("".join(candidate[:4])), int("".join(candidate[4:6])), int("".join(candidate[6:]))
            if 1 <= month <= 12 and 1 <= day <= 28 and candidate != text and 1900 < year < 2025:
                return _date(year, month, day)
        year, month, day = (int(part) for part in date.split("-"))
    elif day and rng.random() < 0.02:
        day = 0
    return _date(year, month, day)


def _first_name_errors(rng: random.Random, firsts: tuple[str, ...]) -> tuple[str, ...]:
    names = list(firsts)
    if len(names) > 1 and rng.random() < 0.10:
        rng.shuffle(names)
    if len(names) > 1 and rng.random() < 0.30:
        names = names[:1]
    result = []
    for name in names:
        if "-" in name and rng.random() < 0.40:
            name = _shorten_compound(name)
        elif "-" in name and rng.random() < 0.30:
            name = name.replace("-", " ")
        result.append(name)
    if result and rng.random() < 0.15:
        result[0] = typo(rng, result[0])
    return tuple(result)


def _ins_errors(rng: random.Random, ins: str) -> str:
    roll = rng.random()
    if roll < 0.40 or not ins:
        return ""
    if roll < 0.45:
        i = rng.randrange(len(ins))
        digit = rng.choice([d for d in "0123456789" if d != ins[i]])
        return ins[:i] + digit + ins[i + 1 :]
    return ins


def _place_errors(rng: random.Random, place: str) -> str:
    roll = rng.random()
    if roll < 0.15:
        return ""
    if roll < 0.18 and not place.startswith("99"):
        return f"{place[:2]}{rng.randrange(1, 700):03d}"
    return place


def degrade(rng: random.Random, t: Traits) -> Traits:
    """The same person entered again by another desk (the error model above)."""
    birth_name = t.birth_name
    if "-" in birth_name and rng.random() < 0.5:
        birth_name = _shorten_compound(birth_name)
    if t.used_name and rng.random() < 0.40:
        birth_name = t.used_name
    if rng.random() < 0.25:
        birth_name = typo(rng, birth_name)
    firsts = _first_name_errors(rng, t.first_names)
    if firsts and rng.random() < 0.03:
        birth_name, firsts = firsts[0], (birth_name, *firsts[1:])
    used_name, used_first = t.used_name, t.used_first_name
    if rng.random() < 0.50:
        birth_name = _unaccented(rng, birth_name)
        firsts = tuple(_unaccented(rng, name) for name in firsts)
        used_name = _unaccented(rng, used_name)
    return Traits(
        birth_name=birth_name,
        first_names=firsts,
        birth_date=_date_errors(rng, t.birth_date),
        sex="" if rng.random() < 0.03 else t.sex,
        birth_place=_place_errors(rng, t.birth_place),
        used_name=used_name if rng.random() < 0.7 else "",
        used_first_name=used_first,
        ins=_ins_errors(rng, t.ins),
    )


def _first_entry(rng: random.Random, t: Traits) -> Traits:
    return replace(t, ins=t.ins if rng.random() < 0.60 else "", birth_place=t.birth_place if rng.random() < 0.90 else "")


def generate(n: int, seed: int) -> Iterator[SyntheticRecord]:
    """``n`` records (people and their duplicates), deterministic for a seed; ids are ``P<number>``."""
    rng = random.Random(f"identity-matching:{seed}")
    region = _region_communes()
    produced = 0
    person_number = 0

    def emit(traits: Traits, person_id: int) -> SyntheticRecord:
        nonlocal produced
        produced += 1
        return SyntheticRecord(id=f"P{produced:08d}", person=person_id, traits=traits)

    while produced < n:
        person_number += 1
        this_person = person_number
        truth = person(rng, region)
        yield emit(_first_entry(rng, truth), this_person)
        if produced < n and rng.random() < TWIN_SHARE:
            person_number += 1
            yield emit(_first_entry(rng, twin_of(rng, truth)), person_number)
        if rng.random() < DUPLICATED_SHARE:
            for _ in range(rng.randint(1, 3)):
                if produced >= n:
                    break
                yield emit(degrade(rng, truth), this_person)
