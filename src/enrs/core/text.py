"""Case- and accent-insensitive string matching that runs the same on SQLite and PostgreSQL.

Shared by the directory search screens and the FHIR string search parameters.

Neither database folds accents without an extension (PostgreSQL's
``unaccent`` needs a migration and a superuser), so the search value is
folded in Python and turned into a regular expression whose letters are
classes of every accented form: ``helene`` becomes ``h[eéèêë...]l[eéèêë...]ne``.
Django's ``iregex`` runs it with Python's ``re`` on SQLite and ``~*`` on
PostgreSQL; the syntax used here is common to both. Upper-case accented
letters are listed explicitly because PostgreSQL's case folding of non-ASCII
letters depends on the database locale.
"""

from __future__ import annotations

import re
import unicodedata

_VARIANTS = {
    "a": "aàâäáãåAÀÂÄÁÃÅ",
    "c": "cçCÇ",
    "e": "eéèêëEÉÈÊË",
    "i": "iîïíìIÎÏÍÌ",
    "n": "nñNÑ",
    "o": "oôöóòõOÔÖÓÒÕ",
    "u": "uùûüúUÙÛÜÚ",
    "y": "yÿýYŸÝ",
}
_LIGATURES = {"oe": "œŒ", "ae": "æÆ"}
_FOLDED_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
# Characters that start a new word inside a field value: names such as
# "Saint-Lô", "d'Harcourt" or "C.H.U. (site nord)" are split on them.
WORD_SEPARATORS = " -'’.,/()"
_WORD_START = "(?:^|[- '’.,/()])"
_INTERCHANGEABLE_SEPARATORS = frozenset("-'’ ")
_SEPARATOR_CLASS = "[-'’ ]"
_SPLIT_RE = re.compile(r"[\s\-'’.,/()]+")


def fold(text: str) -> str:
    """Lower-case, without accents or ligatures: ``"Cœur-Hélène"`` → ``"coeur-helene"``."""
    for ligature, letters in _FOLDED_LIGATURES.items():
        text = text.replace(ligature, letters)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    return [word for word in _SPLIT_RE.split(fold(text)) if word]


def _char_pattern(ch: str) -> str:
    if ch in _INTERCHANGEABLE_SEPARATORS:
        # "Jean Pierre" finds "Jean-Pierre", "d ornano" finds "d'Ornano".
        return _SEPARATOR_CLASS
    if ch in _VARIANTS:
        return f"[{_VARIANTS[ch]}]"
    if ch.isascii():
        return ch if ch.isalnum() else "\\" + ch
    upper = ch.upper()
    return f"[{ch}{upper}]" if len(upper) == 1 and upper != ch else ch


def folded_pattern(folded: str) -> str:
    """A regular expression matching ``folded`` in any accented or ligatured spelling."""
    parts: list[str] = []
    index = 0
    while index < len(folded):
        pair = folded[index : index + 2]
        if pair in _LIGATURES:
            parts.append(f"(?:{_char_pattern(pair[0])}{_char_pattern(pair[1])}|[{_LIGATURES[pair]}])")
            index += 2
            continue
        parts.append(_char_pattern(folded[index]))
        index += 1
    return "".join(parts)


def word_start_regex(word: str) -> str:
    """Matches a value with a word starting with ``word`` (already folded)."""
    return _WORD_START + folded_pattern(word)


def contains_regex(text: str) -> str:
    return folded_pattern(fold(text))
