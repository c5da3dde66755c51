"""Identity matching: French-aware normalisation, blocking keys, Fellegi–Sunter scoring, batch detection.

Public API (the identity services, the batch command and the benchmark use only these):

* :class:`Traits` — the traits of one identity;
* :func:`blocking_keys` — the keys under which an identity is filed for candidate search;
* :func:`score` — posterior probability in [0, 1] that two identities are the same person;
* :func:`decide` — ``"link"``, ``"review"`` or None for a scored pair;
* :func:`find_duplicates` — batch detection over many identities.

The model, the keys and the measured figures are documented in
``docs/services/identity.md`` (section "Matching and batch detection").
"""

from enrs.identity.matching.batch import BatchStats, find_duplicates
from enrs.identity.matching.blocking import blocking_keys
from enrs.identity.matching.scoring import decide, high_threshold, low_threshold, score
from enrs.identity.matching.traits import Traits, ins_is_valid

__all__ = [
    "BatchStats",
    "Traits",
    "blocking_keys",
    "decide",
    "find_duplicates",
    "high_threshold",
    "ins_is_valid",
    "low_threshold",
    "score",
]
