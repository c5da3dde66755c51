"""The demo hook: a week of RPU for each emergency department, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.observatory.demo import DEMO_DAYS, build_demo_rpu
from enrs.observatory.models import QuarantinedRecord

pytestmark = pytest.mark.django_db


def test_demo_rpu_is_ingested_and_idempotent(store):
    ej = directory.upsert_organisation({"finess": finess_complete("14000701"), "finess_kind": "EJ", "name": "CH Démo", "kind": "CH"}).obj
    site = directory.upsert_organisation({"finess": finess_complete("14000702"), "finess_kind": "ET", "kind": "CH",
                                          "name": "CH Démo — site principal", "legal_entity": ej, "commune_insee": "14118"}).obj
    files = build_demo_rpu([ej, site], seed=1, today=dt.date(2025, 3, 1))
    assert [f.finess for f in files] == [site.finess] and files[0].status == "accepted"
    assert files[0].first_day == dt.date(2025, 2, 22) and (files[0].last_day - files[0].first_day).days == DEMO_DAYS - 1
    state = (store.count(), QuarantinedRecord.objects.count())
    assert state[0] == files[0].accepted > 0
    build_demo_rpu([ej, site], seed=1, today=dt.date(2025, 3, 1))
    assert (store.count(), QuarantinedRecord.objects.count()) == state


def test_demo_antibio_is_imported_idempotently_and_feeds_the_indicators():
    from enrs.observatory.demo import build_demo_antibio
    from enrs.observatory.models import AntibioConsumption, AntibioImport, AntibioResistance

    ej = directory.upsert_organisation({"finess": finess_complete("14000701"), "finess_kind": "EJ", "name": "CH Démo", "kind": "CH"}).obj
    site = directory.upsert_organisation({"finess": finess_complete("14000702"), "finess_kind": "ET", "kind": "CH",
                                          "name": "CH Démo — site principal", "legal_entity": ej, "commune_insee": "14118"}).obj
    imports = build_demo_antibio([ej, site], seed=1, today=dt.date(2026, 3, 1))
    assert len(imports) == 4 and {i.status for i in imports} == {"accepted"} and {i.rejected for i in imports} == {0}
    assert {i.channel for i in imports} == {"demo"}
    state = (AntibioImport.objects.count(), AntibioConsumption.objects.count(), AntibioResistance.objects.count())
    assert state[1] > 0 and state[2] > 0
    build_demo_antibio([ej, site], seed=1, today=dt.date(2026, 3, 1))
    assert (AntibioImport.objects.count(), AntibioConsumption.objects.count(), AntibioResistance.objects.count()) == state
    assert set(AntibioConsumption.objects.values_list("year", flat=True)) == {2024, 2025}
