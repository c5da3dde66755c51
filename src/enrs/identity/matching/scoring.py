"""Scoring two identities: a Fellegi–Sunter model on the strict traits, with French-aware levels.

Model. Each trait is compared at a few ordered *levels* (exact, one typo,
phonetic, shortened compound, transposed day/month, used name in place of the
birth name, …). A level carries the log2 Bayes factor ``log2(m/u)`` where ``m``
is the probability of that level for two records of the same person and ``u``
for two records of different people (Fellegi & Sunter, 1969). Traits are
assumed independent given the match status, so the weights add up:
``W = Σ log2(m/u)``; the score is the posterior match probability
``1 / (1 + 2^-(W + log2 prior odds))``.

Why this and not a weighted average of similarities: the weights have a
meaning (evidence in bits), an absent trait weighs 0 instead of dragging an
average down, a *disagreement* counts as evidence against (a different sex or
a different valid INS), and the m/u values below can be re-estimated (EM) on a
new region without changing code. The m values follow the synthetic error
model of ``matching.synthetic`` (which mimics the error kinds reported by
identity-vigilance teams); u values are the chance of agreement between two
random people of a French population (about 1 birth date in 30,000, a
surname shared by 0.3% of people, a first name by 1%).

One departure from independence, written down: two different first names
between records that agree on name, date and place is the signature of twins,
not of a random pair, so that level weighs more than its random-pair value
(``first_names.different``) and :func:`decide` never links it automatically.
"""

from __future__ import annotations

import math

from django.conf import settings
from rapidfuzz.distance import OSA, JaroWinkler

from enrs.identity.matching.traits import Prepared, Traits, prepare


def _bits(m: float, u: float) -> float:
    return math.log2(m / u)


# Level weights in bits, from the (m, u) of each level.
WEIGHTS = {
    "name": {
        "exact": _bits(0.80, 0.003),
        "typo": _bits(0.08, 0.002),
        "compound": _bits(0.04, 0.001),  # "Martin-Dubois" vs "Martin"
        "phonetic": _bits(0.03, 0.004),
        "used": _bits(0.06, 0.002),  # used name where the other has the birth name
        # A married name typed as the birth name, the used name left empty: frequent for women.
        "different": _bits(0.05, 0.99),
    },
    "first_names": {
        "exact": _bits(0.70, 0.01),
        "first": _bits(0.15, 0.006),  # same first first name, list truncated or extended
        "reordered": _bits(0.08, 0.004),  # same names, other order / shortened compound / used first name
        "typo": _bits(0.05, 0.003),
        "different": _bits(0.0001, 0.98),  # see the twins note above
    },
    "birth_date": {
        "exact": _bits(0.90, 1 / 30_000),
        "transposed": _bits(0.04, 1 / 30_000),
        "partial": _bits(0.02, 1 / 3_000),  # compatible with a 00 month/day
        "one_part": _bits(0.03, 0.0006),  # one of day, month, year differs by a typo
        "different": _bits(0.01, 0.999),
    },
    "sex": {"same": _bits(0.98, 0.5), "different": _bits(0.01, 0.5)},
    "birth_place": {
        "same": _bits(0.90, 0.01),
        "same_departement": _bits(0.04, 0.10),
        "different": _bits(0.04, 0.89),
    },
    "ins": {
        "same": _bits(0.999, 1e-9),
        "typo": _bits(0.05, 1e-6),  # one mistyped character, key invalid on one side
        "different": _bits(1e-6, 0.999),  # two different valid INS: two people
    },
}
# Prior odds that two records of one regional base are the same person,
# before looking at them (about 1 in a million).
PRIOR_BITS = -20.0
DEFAULT_HIGH = 0.999
DEFAULT_LOW = 0.5


def high_threshold() -> float:
    """Score from which a pair is linked automatically (setting ``ENRS_IDENTITY_MATCH_HIGH``)."""
    return float(getattr(settings, "ENRS_IDENTITY_MATCH_HIGH", DEFAULT_HIGH))


def low_threshold() -> float:
    """Score from which a pair goes to the duplicates worklist (setting ``ENRS_IDENTITY_MATCH_LOW``)."""
    return float(getattr(settings, "ENRS_IDENTITY_MATCH_LOW", DEFAULT_LOW))


# --- Comparisons -------------------------------------------------------------------------
def _one_typo(x: str, y: str) -> bool:
    """At most one edit (insertion, deletion, substitution, adjacent transposition) on a word of 4+ letters."""
    if not x or not y or min(len(x), len(y)) < 4:
        return False
    return OSA.distance(x, y, score_cutoff=1) <= 1 or JaroWinkler.similarity(x, y) >= 0.94


def _tokens_meet(tokens_a, tokens_b) -> bool:
    """A part of a composed name equal to (or one typo from) a part of the other ("Léger-Schmitt" / "Lger")."""
    if tokens_a & tokens_b:
        return True
    return any(_one_typo(x, y) for x in tokens_a for y in tokens_b)


def _surname_level(full_a: str, core_a: str, tokens_a, ph_a: str, full_b: str, core_b: str, tokens_b, ph_b: str) -> str:
    if full_a == full_b or core_a == core_b:
        return "exact"
    if _one_typo(core_a, core_b) or _one_typo(full_a, full_b):
        return "typo"
    if tokens_a and tokens_b and (len(tokens_a) > 1 or len(tokens_b) > 1) and _tokens_meet(tokens_a, tokens_b):
        return "compound"
    if ph_a and ph_a == ph_b:
        return "phonetic"
    return "different"


def name_level(a: Prepared, b: Prepared) -> str:
    if not a.name_full or not b.name_full:
        return "missing"
    level = _surname_level(a.name_full, a.name_core, a.name_tokens, a.name_phonetic, b.name_full, b.name_core, b.name_tokens, b.name_phonetic)
    if level in {"exact", "typo"}:
        return level
    # Used name on one side (married name entered as birth name), or both used names.
    for x_full, x_core, x_tokens, x_ph, y_full, y_core, y_tokens, y_ph in (
        (a.used_full, a.used_core, a.used_tokens, a.used_phonetic, b.name_full, b.name_core, b.name_tokens, b.name_phonetic),
        (a.name_full, a.name_core, a.name_tokens, a.name_phonetic, b.used_full, b.used_core, b.used_tokens, b.used_phonetic),
        (a.used_full, a.used_core, a.used_tokens, a.used_phonetic, b.used_full, b.used_core, b.used_tokens, b.used_phonetic),
    ):
        if x_full and y_full and _surname_level(x_full, x_core, x_tokens, x_ph, y_full, y_core, y_tokens, y_ph) in {"exact", "typo"}:
            return "used"
    return level


def first_names_level(a: Prepared, b: Prepared) -> str:
    if not a.first_names or not b.first_names:
        return "missing"
    if a.first_glued == b.first_glued:
        return "exact"
    first_a, first_b = a.first_names[0], b.first_names[0]
    if first_a == first_b or a.first_glued.startswith(b.first_glued) or b.first_glued.startswith(a.first_glued):
        return "first"
    names_a, names_b = set(a.first_names), set(b.first_names)
    if (
        first_a in names_b
        or first_b in names_a
        or (a.used_first and a.used_first in names_b)
        or (b.used_first and b.used_first in names_a)
        or (a.first_parts & b.first_parts and (first_a in b.first_parts or first_b in a.first_parts or a.first_parts <= b.first_parts or b.first_parts <= a.first_parts))
    ):
        return "reordered"
    if _one_typo(first_a, first_b) or _one_typo(a.first_glued, b.first_glued):
        return "typo"
    if a.first_phonetic and a.first_phonetic == b.first_phonetic:
        return "typo"
    # A typo on top of a reordering, a truncation or a shortened compound (of the first first name).
    if any(_one_typo(first_a, y) for y in b.first_parts | names_b) or any(
        _one_typo(first_b, x) for x in a.first_parts | names_a
    ):
        return "typo"
    return "different"


def _one_part_typo(x: int, y: int) -> bool:
    """Two numbers that differ by one digit (``1983``/``1988``, ``12``/``21``)."""
    sx, sy = f"{x:04d}", f"{y:04d}"
    return sum(cx != cy for cx, cy in zip(sx, sy, strict=True)) == 1 or (sorted(sx) == sorted(sy) and OSA.distance(sx, sy) == 1)


def birth_date_level(a: Prepared, b: Prepared) -> str:
    if not a.year or not b.year:
        return "missing"
    same_year, same_month, same_day = a.year == b.year, a.month == b.month, a.day == b.day
    if same_year and same_month and same_day:
        return "exact"
    if same_year and a.month and a.day and (a.month, a.day) == (b.day, b.month):
        return "transposed"
    if same_year and (
        (same_month and (not a.day or not b.day)) or (not a.month or not b.month)
    ):
        return "partial"
    differing = (not same_year) + (not same_month) + (not same_day)
    if differing == 1:
        if not same_year and _one_part_typo(a.year, b.year):
            return "one_part"
        if not same_month and _one_part_typo(a.month, b.month):
            return "one_part"
        if not same_day and _one_part_typo(a.day, b.day):
            return "one_part"
    return "different"


def sex_level(a: Prepared, b: Prepared) -> str:
    if not a.sex or not b.sex:
        return "missing"
    return "same" if a.sex == b.sex else "different"


def birth_place_level(a: Prepared, b: Prepared) -> str:
    if not a.place or not b.place:
        return "missing"
    if a.place == b.place:
        return "same"
    if a.place[:2] == b.place[:2] and not a.place.startswith("99"):
        return "same_departement"
    return "different"


def ins_level(a: Prepared, b: Prepared) -> str:
    if not a.ins or not b.ins:
        return "missing"
    if a.ins == b.ins:
        return "same" if a.ins_valid else "typo"
    if a.ins_valid and b.ins_valid:
        return "different"
    if OSA.distance(a.ins, b.ins, score_cutoff=2) <= 1:
        return "typo"
    return "missing"  # an invalid INS far from the other says nothing


COMPARISONS = (
    ("name", name_level),
    ("first_names", first_names_level),
    ("birth_date", birth_date_level),
    ("sex", sex_level),
    ("birth_place", birth_place_level),
    ("ins", ins_level),
)


def levels(a: Prepared, b: Prepared) -> dict[str, str]:
    """The level of every trait comparison (``"missing"`` when a side lacks the trait)."""
    return {trait: compare(a, b) for trait, compare in COMPARISONS}


def _weight_of(found: dict[str, str]) -> float:
    return sum(WEIGHTS[trait].get(level, 0.0) for trait, level in found.items())


def _swapped(p: Prepared) -> Prepared | None:
    """The record with birth name and first first name exchanged (a classic desk inversion)."""
    if not p.first_names or not p.name_full:
        return None
    from dataclasses import replace

    from enrs.identity.matching.normalise import name_forms
    from enrs.identity.matching.phonetic import phonetic

    first = p.first_names[0]
    full, core, toks = name_forms(first)
    return replace(
        p,
        name_full=full,
        name_core=core,
        name_tokens=toks,
        name_phonetic=phonetic(core),
        first_names=(p.name_full, *p.first_names[1:]),
        first_glued=p.name_full + "".join(p.first_names[1:]),
        first_parts=frozenset({p.name_full, *p.first_names[1:]}),
        first_phonetic=p.name_phonetic,
    )


def _may_be_inverted(a: Prepared, b: Prepared) -> bool:
    """Cheap pre-check: one side's birth name sounds like the other's first name."""
    return bool(
        (a.name_phonetic and a.name_phonetic == b.first_phonetic) or (b.name_phonetic and b.name_phonetic == a.first_phonetic)
    )


# An inversion is itself a desk error: a small penalty keeps it below the straight reading.
INVERSION_PENALTY_BITS = 2.0


def match_weight(a: Prepared, b: Prepared) -> tuple[float, dict[str, str]]:
    """Total weight in bits and the levels behind it; name/first-name inversion tried when it helps."""
    found = levels(a, b)
    weight = _weight_of(found)
    if found["name"] == "different" and found["first_names"] == "different" and _may_be_inverted(a, b):
        # Both readings are tried so that the score stays symmetric.
        for left, right in ((a, _swapped(b)), (_swapped(a), b)):
            if left is None or right is None:
                continue
            inverted = levels(left, right)
            inverted_weight = _weight_of(inverted) - INVERSION_PENALTY_BITS
            if inverted_weight > weight:
                weight, found = inverted_weight, inverted
    return weight, found


def probability(weight: float) -> float:
    exponent = -(weight + PRIOR_BITS)
    if exponent > 1000:
        return 0.0
    return 1.0 / (1.0 + 2.0**exponent) if exponent > -1000 else 1.0


def score_prepared(a: Prepared, b: Prepared) -> float:
    return probability(match_weight(a, b)[0])


def score(a: Traits, b: Traits) -> float:
    """Posterior probability in [0, 1] that ``a`` and ``b`` are the same person (symmetric)."""
    return score_prepared(prepare(a), prepare(b))


def decide_prepared(
    a: Prepared, b: Prepared, s: float, *, high: float | None = None, low: float | None = None, found: dict[str, str] | None = None
) -> str | None:
    """The decision for a scored pair; ``found`` are the levels behind the score when the caller has them."""
    high = high_threshold() if high is None else high
    low = low_threshold() if low is None else low
    if a.ins and a.ins_valid and a.ins == b.ins:
        return "link"
    if s >= high:
        found = found if found is not None else match_weight(a, b)[1]
        # The twins guard: different first names are never linked without a human.
        return "review" if found["first_names"] == "different" else "link"
    if s >= low:
        return "review"
    return None


def decide(a: Traits, b: Traits, s: float) -> str | None:
    """``"link"`` (same valid INS, or ``s`` ≥ high threshold), ``"review"`` (``s`` ≥ low threshold) or None."""
    return decide_prepared(prepare(a), prepare(b), s)
