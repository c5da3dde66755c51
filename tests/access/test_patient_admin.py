"""The Patient admin goes through the permission API and leaves a trail (channel "admin")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from enrs.core.models import AccessEvent

from .builders import make_patient, make_user

pytestmark = pytest.mark.django_db


def test_agency_admin_opens_and_changes_a_patient_with_trail(client):
    admin = make_user("agency", is_staff=True, is_superuser=True)
    patient = make_patient(birth_place_insee="")
    client.force_login(admin)
    assert client.get(reverse("admin:identity_patient_changelist")).status_code == 200
    url = reverse("admin:identity_patient_change", args=[patient.pk])
    assert client.get(url).status_code == 200
    data = {
        "birth_name": "NOUVEAU", "birth_first_names": patient.birth_first_names, "birth_date": patient.birth_date.isoformat(),
        "sex": "F", "birth_place_insee": "", "used_name": "", "used_first_name": "", "commune_insee": "", "city": "",
        "email": "", "phone": "", "user": "", "source": "",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert patient.birth_name == "NOUVEAU"
    actions = list(AccessEvent.objects.filter(channel="admin").order_by("sequence").values_list("action", "patient_id"))
    assert actions == [("search", None), ("read", patient.pk), ("update", patient.pk)]


def test_staff_without_an_identity_role_sees_no_patient(client):
    clerk = make_user("pro", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_patient", "change_patient", "delete_patient"]))
    patient = make_patient()
    client.force_login(clerk)
    listing = client.get(reverse("admin:identity_patient_changelist"))
    assert listing.status_code == 403 or patient.birth_name not in listing.content.decode()
    response = client.get(reverse("admin:identity_patient_change", args=[patient.pk]))
    assert response.status_code in {302, 403, 404}
    assert client.post(reverse("admin:identity_patient_delete", args=[patient.pk]), {"post": "yes"}).status_code in {302, 403, 404}
    assert type(patient).objects.filter(pk=patient.pk).exists()
    assert not AccessEvent.objects.filter(patient_id=patient.pk).exists()
