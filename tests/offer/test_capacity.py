"""Capacity rules: counts, dates, staleness; the form and the connector API; the crisis dashboard."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from enrs.accounts.models import User
from enrs.connectors import services as connectors
from enrs.connectors.scopes import DIRECTORY_READ, OFFER_CAPACITY
from enrs.directory import services as directory
from enrs.offer import selectors, services
from enrs.offer.models import Capacity

NOW = timezone.now


def figure(count, when=None, status="02", **extra):
    return {"capacity_type": "01", "status": status, "count": count, "source_type": "SAISIE", "updated_at": when or NOW(), **extra}


@pytest.mark.django_db
def test_negative_late_future_and_naive_figures_are_refused(region):
    place = region["places"]["caen"]
    first = NOW() - dt.timedelta(hours=1)
    assert services.update_capacity(place, figure(5, first)).status == "created"
    for data, field, words in (
        (figure(-1), "count", "négative"),
        (figure("douze"), "count", "entier"),
        (figure(3, first - dt.timedelta(minutes=1)), "updated_at", "plus ancienne"),
        (figure(3, NOW() + dt.timedelta(days=1)), "updated_at", "futur"),
        (figure(3, dt.datetime(2026, 1, 1, 12, 0)), "updated_at", "Fuseau"),
        (figure(3, status="99"), "status", "99"),
        (figure(3, capacity_type=""), "capacity_type", "obligatoire"),
    ):
        with pytest.raises(ValidationError) as info:
            services.update_capacity(place, data)
        assert words in " ".join(info.value.message_dict[field]), (field, info.value.message_dict)
    stored = Capacity.objects.get()
    assert (stored.count, stored.updated_at) == (5, first)
    assert services.update_capacity(place, figure(5, first)).status == "unchanged"
    assert services.update_capacity(place, figure(2, NOW())).status == "updated"


@pytest.mark.django_db
def test_a_batch_is_all_or_nothing(region):
    place = region["places"]["caen"]
    with pytest.raises(ValidationError) as info:
        services.update_capacities(place, [figure(4), figure(-2, status="03")])
    assert "2.count" in info.value.message_dict
    assert not Capacity.objects.exists()


@pytest.mark.django_db
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(min_value=-5, max_value=50), st.integers(min_value=0, max_value=600)), min_size=1, max_size=8))
def test_the_stored_figure_is_the_latest_valid_one(region_for_hypothesis, updates):
    place = region_for_hypothesis
    Capacity.objects.all().delete()  # the fixture is shared by the examples: start each from nothing
    base = NOW() - dt.timedelta(days=1)
    latest = None
    for count, minutes in updates:
        when = base + dt.timedelta(minutes=minutes)
        try:
            services.update_capacity(place, figure(count, when))
        except ValidationError:
            assert count < 0 or (latest is not None and when < latest[1])
            continue
        assert count >= 0 and (latest is None or when >= latest[1])
        latest = (count, when)
    stored = Capacity.objects.first()
    assert (stored.count, stored.updated_at) == latest if latest else stored is None


@pytest.fixture
def region_for_hypothesis(region):
    return region["places"]["caen"]


@pytest.mark.django_db
def test_stale_figures_are_flagged_and_counted_on_the_dashboard(region, settings):
    settings.ENRS_OFFER_CAPACITY_STALE_HOURS = 6
    services.update_capacity(region["places"]["caen"], figure(5, NOW() - dt.timedelta(hours=7)))
    services.update_capacity(region["places"]["bayeux"], figure(3, NOW() - dt.timedelta(hours=1)))
    services.update_capacity(region["places"]["bayeux"], figure(20, status="01"))
    services.update_capacity(region["places"]["rouen"], figure(9))
    by_place = selectors.capacity_by_place([region["places"][k].pk for k in ("caen", "bayeux")])
    assert by_place[region["places"]["caen"].pk].stale and not by_place[region["places"]["bayeux"].pk].stale
    rows = {(r.departement, r.capacity_type): r for r in selectors.crisis_dashboard()}
    calvados = rows[("14", "Lit")]
    assert (calvados.available, calvados.installed, calvados.places, calvados.stale) == (8, 20, 2, 1)
    assert rows[("76", "Lit")].available == 9


@pytest.mark.django_db
def test_the_dashboard_is_for_agency_staff(region, client, users):
    client.force_login(users["pro"])
    assert client.get(reverse("offer:dashboard")).status_code == 403
    client.force_login(users["staff"])
    services.update_capacity(region["places"]["rouen"], figure(9))
    response = client.get(reverse("offer:dashboard"))
    assert response.status_code == 200 and 'data-row="76:Lit"' in response.content.decode()


@pytest.mark.django_db
def test_the_form_stores_for_the_staff_of_the_establishment_only(region, client):
    from enrs.core.validators import luhn_complete

    user = User.objects.create_user(username="cadre", email="cadre@test.invalid", password="x" * 12, kind="pro")
    nurse = directory.upsert_professional({"rpps": luhn_complete("1000005432"), "last_name": "Cadre", "first_name": "Anne", "profession_code": "60"}).obj
    directory.upsert_situation(nurse, region["establishments"]["caen"], {"mode": "S"})
    directory.link_user(nurse, user)
    client.force_login(user)
    page = client.get(reverse("offer:capacity"))
    assert page.status_code == 200 and "LIEU-caen" in page.content.decode() and "LIEU-rouen" not in page.content.decode()
    bad = client.post(reverse("offer:capacity"), {"place": "LIEU-caen", "capacity_type": "01", "status": "02", "count": "-3"})
    assert bad.status_code == 400 and not Capacity.objects.exists()
    other = client.post(reverse("offer:capacity"), {"place": "LIEU-rouen", "capacity_type": "01", "status": "02", "count": "3"})
    assert other.status_code == 400 and not Capacity.objects.exists()
    good = client.post(reverse("offer:capacity"), {"place": "LIEU-caen", "capacity_type": "01", "status": "02", "count": "3"})
    assert good.status_code == 302 and Capacity.objects.get().count == 3
    assert Capacity.objects.get().updated_by == user and Capacity.objects.get().channel == "formulaire"


def _token(client, connector, secret, scope):
    response = client.post("/oauth/token/", {"grant_type": "client_credentials", "scope": scope},
                           HTTP_AUTHORIZATION="Basic " + __import__("base64").b64encode(f"{connector.application.client_id}:{secret}".encode()).decode())
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _push(client, identifier, payload, token):
    return client.post(reverse("api:push_capacities", kwargs={"identifier": identifier}), json.dumps(payload),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_the_connector_api_checks_scope_organisation_and_values(region, client):
    connector, secret = connectors.create_connector(name="SIH Caen", organisation=region["establishments"]["caen"],
                                                    scopes=[OFFER_CAPACITY, DIRECTORY_READ])
    token = _token(client, connector, secret, OFFER_CAPACITY)
    when = NOW().isoformat()
    ok = _push(client, "LIEU-caen", {"capacites": [{"capacity_type": "01", "status": "02", "count": 6, "updated_at": when}]}, token)
    assert ok.status_code == 200 and ok.json()["capacites"][0]["result"] == "created"
    assert Capacity.objects.get().channel == "api" and Capacity.objects.get().source_type.code == "FLUX"
    assert _push(client, "LIEU-rouen", {"capacites": [{"capacity_type": "01", "status": "02", "count": 6, "updated_at": when}]}, token).status_code == 403
    assert _push(client, "LIEU-nulle-part", {"capacites": [{"capacity_type": "01", "status": "02", "count": 6, "updated_at": when}]}, token).status_code == 404
    negative = _push(client, "LIEU-caen", {"capacites": [{"capacity_type": "01", "status": "02", "count": -6, "updated_at": when}]}, token)
    assert negative.status_code == 422 and negative.json()["erreurs"][0]["champ"] == "1.count"
    older = _push(client, "LIEU-caen", {"capacites": [{"capacity_type": "01", "status": "02", "count": 1,
                                                        "updated_at": (NOW() - dt.timedelta(days=2)).isoformat()}]}, token)
    assert older.status_code == 422 and "plus ancienne" in older.json()["erreurs"][0]["message"]
    assert Capacity.objects.get().count == 6
    read_only = _token(client, connector, secret, DIRECTORY_READ)
    refused = _push(client, "LIEU-caen", {"capacites": [{"capacity_type": "01", "status": "02", "count": 6, "updated_at": when}]}, read_only)
    assert refused.status_code == 403 and "offre:capacite" in refused.json()["detail"]


@pytest.mark.django_db
def test_offer_upsert_rejects_unknown_codes_and_bad_coordinates_naming_the_field(region):
    base = {"identifier": "OFF-X", "name": "X", "establishment": region["establishments"]["caen"], "activity": "004", "care_mode": "20"}
    for changes, field, code in (({"activity": "999"}, "activity", "999"), ({"care_mode": "77"}, "care_mode", "77"),
                                 ({"publics": ["07", "42"]}, "publics", "42"), ({"equipment": ["LASER"]}, "equipment", "LASER")):
        with pytest.raises(ValidationError) as info:
            services.upsert_offer({**base, **changes})
        assert code in " ".join(info.value.message_dict[field])
    with pytest.raises(ValidationError) as info:
        services.upsert_place({"identifier": "L-X", "name": "X", "establishment": region["establishments"]["caen"], "latitude": 95, "longitude": 2})
    assert "hors limites" in " ".join(info.value.message_dict["latitude"])
    with pytest.raises(ValidationError):
        services.upsert_offer({**base, "telehealth": [{"kind": "telepathie", "channel": "web", "address": "x"}]})
    assert services.upsert_offer(base).status == "created"
    assert services.upsert_offer(base).status == "unchanged"
