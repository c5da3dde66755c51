"""Identity-vigilance screens: reserved to identity duties, traced, decisions through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.core.models import AccessEvent
from enrs.identity import services
from enrs.identity.models import (
    IdentityCollision,
    IdentityMerge,
    Patient,
    PotentialDuplicate,
)

from .conftest import traits

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    a = services.create_identity(traits(), actor=None, channel="hl7", local_ids=[("CH-CAEN", "A1")]).patient
    b = services.create_identity(
        traits(birth_first_names=["Jeanne"], birth_place_insee="14366", birth_date="1950-02-03"),
        actor=None, channel="hl7", local_ids=[("CH-LISIEUX", "B1")],
    ).patient
    return a, b, PotentialDuplicate.objects.get()


@pytest.mark.parametrize("name", ["identity:worklist", "identity:search"])
def test_pages_are_reserved_to_identity_duties(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403


def test_detail_pages_refuse_outsiders(client, outsider, pair):
    a, _b, duplicate = pair
    client.force_login(outsider)
    assert client.get(reverse("identity:identity_detail", args=[a.pk])).status_code == 403
    assert client.get(reverse("identity:duplicate", args=[duplicate.pk])).status_code == 403
    response = client.post(reverse("identity:merge"), {"duplicate": duplicate.pk, "survivor": "a", "reason": "test"})
    assert response.status_code == 403 and not IdentityMerge.objects.exists()


def test_worklist_compare_merge_and_unmerge(client, officer, pair):
    a, b, duplicate = pair
    client.force_login(officer)
    page = client.get(reverse("identity:worklist")).content.decode()
    assert "Doublons potentiels" in page and reverse("identity:duplicate", args=[duplicate.pk]) in page
    compare = client.get(reverse("identity:duplicate", args=[duplicate.pk])).content.decode()
    assert "différent" in compare and "JEANNE MARIE" not in compare and "Jeanne Marie" in compare and "A1 (CH-CAEN)" in compare
    read = AccessEvent.objects.filter(actor_id=officer.pk, action="read", object_type="identity.Patient")
    assert set(read.values_list("patient_id", flat=True)) == {a.pk, b.pk}

    response = client.post(reverse("identity:merge"), {"duplicate": duplicate.pk, "survivor": "a", "reason": "CNI vue"})
    assert response.status_code == 302 and response["Location"] == reverse("identity:identity_detail", args=[a.pk])
    assert Patient.objects.get(pk=b.pk).merged_into_id == a.pk
    detail = client.get(response["Location"]).content.decode()
    assert "B1 (CH-LISIEUX)" in detail and "Fusion" in detail and "Annuler cette fusion" in detail
    merge = IdentityMerge.objects.get()
    response = client.post(reverse("identity:unmerge"), {"merge": merge.pk, "reason": "erreur de rapprochement"})
    assert response.status_code == 302
    assert Patient.objects.get(pk=b.pk).merged_into_id is None


def test_dismiss_and_resolve_collision(client, officer, pair):
    a, _b, duplicate = pair
    client.force_login(officer)
    assert client.post(reverse("identity:dismiss"), {"duplicate": duplicate.pk, "reason": "homonymes"}).status_code == 302
    assert PotentialDuplicate.objects.get().status == "dismissed"
    client.post(reverse("identity:report_collision"), {"patient": a.pk, "description": "deux personnes, un IPP"})
    page = client.get(reverse("identity:worklist")).content.decode()
    assert "deux personnes, un IPP" in page
    collision_pk = IdentityCollision.objects.get().pk
    response = client.post(reverse("identity:resolve"), {"kind": "collision", "item": collision_pk, "resolution": "scindée"})
    assert response.status_code == 302
    assert "deux personnes, un IPP" not in client.get(reverse("identity:worklist")).content.decode()


def test_bad_decisions_are_french_400s(client, officer, pair):
    _a, _b, duplicate = pair
    client.force_login(officer)
    response = client.post(reverse("identity:merge"), {"duplicate": duplicate.pk, "survivor": "c", "reason": ""})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    response = client.post(reverse("identity:merge"), {"duplicate": 999999, "survivor": "a", "reason": "ok ok"})
    assert response.status_code == 400 and "existe pas" in response.content.decode()
    assert client.get(reverse("identity:worklist"), {"page": "x"}).status_code == 400
    assert not IdentityMerge.objects.exists()


def test_search_by_local_id_ins_and_name(client, officer, pair):
    a, b, _d = pair
    client.force_login(officer)
    found = client.get(reverse("identity:search"), {"authority": "CH-LISIEUX", "value": "B1"}).content.decode()
    assert reverse("identity:identity_detail", args=[b.pk]) in found
    by_name = client.get(reverse("identity:search"), {"birth_name": "martin", "birth_date": "02/03/1950"}).content.decode()
    assert reverse("identity:identity_detail", args=[a.pk]) in by_name
    bad = client.get(reverse("identity:search"), {"ins": "123"})
    assert bad.status_code == 400 and "15 caractères" in bad.content.decode()
    assert client.get(reverse("identity:search"), {"birth_name": "martin"}).status_code == 400


def test_insi_button(client, officer):
    patient = services.create_identity(
        traits(birth_name="Testins", birth_first_names=["Paul"], sex="M", birth_date="1985-11-02", birth_place_insee="14366"),
        actor=None, channel="web",
    ).patient
    client.force_login(officer)
    response = client.post(reverse("identity:insi"), {"patient": patient.pk}, follow=True)
    assert "INSi a trouvé l&#x27;identité" in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).identity_status == "RECUP"


def test_anonymous_is_sent_to_login_and_patients_are_refused(client, pair):
    from .conftest import make_user

    _a, _b, duplicate = pair
    response = client.get(reverse("identity:duplicate", args=[duplicate.pk]))
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]
    client.force_login(make_user("patient"))
    assert client.get(reverse("identity:worklist")).status_code == 403
    assert client.post(reverse("identity:dismiss"), {"duplicate": duplicate.pk, "reason": "x" * 5}).status_code == 403
    assert PotentialDuplicate.objects.get().status == "open"
