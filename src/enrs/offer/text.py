"""Full-text words of the offer search: folded, stop words removed, French-stemmed.

One implementation for both databases: the words are computed in Python when an
offer is saved (into ``OfferTerm`` rows) and when a query is typed, so
"Douleurs", "douleur" and "DOULEUR" all become ``douleur`` and "pédiatrie"
matches "pediatrique" through the stem ``pediatr``. Accents are removed
*before* stemming so that the stem never depends on how the user typed them.
"""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

from enrs.core.text import words

MAX_QUERY_WORDS = 8
MAX_WORD_LENGTH = 40
STOP_WORDS = frozenset(
    "a au aux avec ce ces d dans de des du en et l la le les leur ou par pas pour qu que qui s sa se ses son sur un une".split()
)
_stemmer = snowballstemmer.stemmer("french")


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)[:MAX_WORD_LENGTH]


def terms(text: str) -> list[str]:
    """The distinct index terms of ``text``, in order of appearance."""
    found = (stem(word[:MAX_WORD_LENGTH]) for word in words(text or "") if word not in STOP_WORDS)
    return list(dict.fromkeys(term for term in found if term))


def query_terms(query: str) -> list[str]:
    return terms(query)[:MAX_QUERY_WORDS]
