"""A French phonetic key for names: Soundex2 (Frédéric Brouard, 2000) without its truncation.

Soundex2 is the usual French adaptation of Soundex (the original is tuned for
English). Its steps, applied to the folded name (upper case, no accent, letters
only), are kept in order:

1. hard C/G/Q become K: ``GUI→KI, GUE→KE, GA→KA, GO→KO, GU→K, CA→KA, CO→KO,
   CU→KU, Q→K, CC→K, CK→K``;
2. every vowel but ``Y`` becomes ``A``, except the first letter;
3. prefixes are rewritten: ``MAC→MCC, ASA→AZA, KN→NN, PF→FF, SCH→SSS, PH→FF``;
4. ``H`` is dropped unless it follows ``C`` or ``S``;
5. ``Y`` is dropped unless it follows ``A``;
6. a final ``A``, ``D``, ``T`` or ``S`` is dropped (silent endings);
7. every ``A`` but a leading one is dropped;
8. runs of the same letter collapse to one.

Departures from the published algorithm, each for a French spelling habit:
``PH`` anywhere (not only as a prefix) becomes ``F`` (``Joseph``/``Josef``),
``W`` becomes ``V`` and ``Z`` becomes ``S`` (``Wagner``/``Vagner``,
``Lopez``/``Lopes``), ``C`` before ``E``/``I``/``Y`` becomes ``S``
(``Lucie``/``Lussie``), a leading ``EAU``/``AU`` becomes ``O``, and step 6
removes a final ``X`` too (``Giraud``/``Giraux``). Soundex2 cuts the key to 4
characters; a blocking key combined with a birth date needs more selectivity, so
the key keeps up to :data:`MAX_LENGTH` characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

from enrs.identity.matching.normalise import fold

MAX_LENGTH = 12
_HARD_SOUNDS = (
    ("GUI", "KI"), ("GUE", "KE"), ("GA", "KA"), ("GO", "KO"), ("GU", "K"),
    ("CA", "KA"), ("CO", "KO"), ("CU", "KU"), ("Q", "K"), ("CC", "K"), ("CK", "K"),
)
_PREFIXES = (("MAC", "MCC"), ("ASA", "AZA"), ("KN", "NN"), ("PF", "FF"), ("SCH", "SSS"))
_SOFT_C = re.compile(r"C(?=[EIY])")
_VOWELS_AFTER_FIRST = re.compile(r"(?<!^)[EIOU]")
_SILENT_H = re.compile(r"(?<![CS])H")
_SILENT_Y = re.compile(r"(?<!A)Y")
_SILENT_ENDING = re.compile(r"[ADTSX]+$")
_INNER_A = re.compile(r"(?<!^)A")
_REPEATS = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def phonetic(name: str) -> str:
    """The phonetic key of a name (all its words glued); ``""`` for a name without letters."""
    word = "".join(ch for ch in fold(name) if "A" <= ch <= "Z")
    if not word:
        return ""
    word = word.replace("PH", "F").replace("W", "V").replace("Z", "S")
    if word.startswith("EAU"):
        word = "O" + word[3:]
    elif word.startswith("AU"):
        word = "O" + word[2:]
    word = _SOFT_C.sub("S", word)
    for sound, replacement in _HARD_SOUNDS:
        word = word.replace(sound, replacement)
    word = _VOWELS_AFTER_FIRST.sub("A", word)
    for prefix, replacement in _PREFIXES:
        if word.startswith(prefix):
            word = replacement + word[len(prefix):]
            break
    word = _SILENT_H.sub("", word)
    word = _SILENT_Y.sub("", word)
    word = _SILENT_ENDING.sub("", word) or word[:1]
    word = _INNER_A.sub("", word)
    word = _REPEATS.sub(r"\1", word)
    return word[:MAX_LENGTH]
