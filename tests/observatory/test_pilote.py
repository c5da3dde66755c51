"""Pilot-e first slice: monthly activity from the services' own data, pluggable sources."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from enrs.access import services as access
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.core import audit
from enrs.observatory import pilote

pytestmark = pytest.mark.django_db


def test_monthly_activity_by_departement_and_a_plugged_source(hospitals, users):
    caen = hospitals["caen"]
    for actor in (users["pro"], users["pro"], users["staff"]):
        audit.record(actor=actor, action="read", channel="web", organisation_id=caen.pk, object_type="identity.Patient")
    today = dt.date.today()
    pilote.register_source(pilote.ActivitySource("essai", "Source d'essai", lambda first, last: [(first.replace(day=1), caen.pk, 7)]))
    try:
        table = pilote.monthly_activity(today.replace(day=1), today)
    finally:
        pilote._sources.pop("essai")
    month = today.replace(day=1)
    assert table.region["acces_donnees_sante"][month] == 3
    assert table.region["utilisateurs_actifs"][month] == 2
    assert table.by_departement["acces_donnees_sante"] == {"14": 3}
    assert table.region["essai"] == {month: 7} and table.labels["essai"] == "Source d'essai"


def test_pilote_page_is_for_regional_analysts(client, hospitals, users):
    regional = User.objects.create_user(username="pil", email="pil@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(regional, Role.OBSERVATORY_ANALYST)
    local = User.objects.create_user(username="loc", email="loc@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(local, Role.OBSERVATORY_ANALYST, organisation=hospitals["caen"])
    client.force_login(regional)
    response = client.get(reverse("observatory:pilote"))
    assert response.status_code == 200 and "Fichiers RPU intégrés" in response.content.decode()
    assert client.get(reverse("observatory:pilote"), {"debut": "2025-02-01", "fin": "2025-01-01"}).status_code == 400
    client.force_login(local)
    assert client.get(reverse("observatory:pilote")).status_code == 403
