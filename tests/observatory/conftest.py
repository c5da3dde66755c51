"""Two emergency departments in the directory and a private DuckDB file per test."""

from __future__ import annotations

import datetime as dt

import pytest

from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.observatory.generator import file_xml, synthetic_record
from enrs.observatory.store import DuckDBStore

FIRST_DAY = dt.date(2025, 1, 6)


@pytest.fixture
def store(tmp_path, settings):
    settings.ENRS_OBSERVATORY_DUCKDB = str(tmp_path / "oru.duckdb")
    return DuckDBStore(tmp_path / "oru.duckdb")


@pytest.fixture
def hospitals(db):
    caen = directory.upsert_organisation(
        {"finess": finess_complete("14000601"), "finess_kind": "ET", "name": "CHU de Caen (urgences)", "kind": "CH",
         "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}
    ).obj
    rouen = directory.upsert_organisation(
        {"finess": finess_complete("76000602"), "finess_kind": "ET", "name": "CHU de Rouen (urgences)", "kind": "CH",
         "commune_insee": "76540", "postal_code": "76000", "city": "Rouen"}
    ).obj
    return {"caen": caen, "rouen": rouen}


def record(**overrides) -> dict:
    """A valid passage entering on FIRST_DAY at 10:00, changed by ``overrides``."""
    import random

    base = synthetic_record(FIRST_DAY, random.Random(7))
    base.update({"ENTREE": "06/01/2025 10:00", "SORTIE": "06/01/2025 12:30", "NAISSANCE": "02/03/1970", "SEXE": "F",
                 "MODE_ENTREE": "8", "PROVENANCE": "5", "GRAVITE": "2", "DP": "R074", "DA": [], "ACTE": [],
                 "MODE_SORTIE": "8", "DESTINATION": "", "ORIENT": ""})
    base.update(overrides)
    return {key: value for key, value in base.items() if value != ""}  # the parser drops empty elements


def rpu_bytes(finess: str, records: list[dict], first=FIRST_DAY, last=FIRST_DAY) -> bytes:
    return file_xml(finess, first, last, records).encode("utf-8")
