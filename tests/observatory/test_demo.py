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
