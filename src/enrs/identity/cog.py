"""The INSEE Code officiel géographique (COG) codes the identity server knows.

The project ships no full COG: ``data/cog.csv`` lists the communes of the demo
region, a few others used by tests (Paris, Corsica, overseas) and the ``99xxx``
countries we need. The check stays honest: a well-formed code that is not in
the file is refused as unknown, never silently accepted. A deployment points
``ENRS_IDENTITY_COG_FILE`` at the full INSEE file (same three columns:
code, kind, name) to know every code.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DEFAULT_COG_FILE = Path(__file__).resolve().parent / "data" / "cog.csv"


def cog_file() -> Path:
    return Path(getattr(settings, "ENRS_IDENTITY_COG_FILE", "") or DEFAULT_COG_FILE)


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"].strip().upper(): (row["kind"].strip(), row["name"].strip()) for row in csv.DictReader(handle)}


def known_codes() -> dict[str, tuple[str, str]]:
    return _load(cog_file())


def is_known(code: str) -> bool:
    return code.upper() in known_codes()


def place_name(code: str) -> str:
    entry = known_codes().get((code or "").upper())
    return entry[1] if entry else ""


def is_country(code: str) -> bool:
    return (code or "").startswith("99")
