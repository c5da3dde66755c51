"""What the demo region contains (one build shared by the module: these tests only read)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from enrs.core import validators as v
from enrs.demo import generators as gen
from enrs.demo.personas import DEFAULT_DEMO_PASSWORD, DEMO_ROLES, PERSONAS
from enrs.directory.models import Organisation, PracticeSituation, Professional
from enrs.identity import services as identity_services
from enrs.identity.models import Patient

from .conftest import SMALL

pytestmark = pytest.mark.django_db


def test_region_has_the_requested_sizes_and_every_row_is_marked_demo(shared_region):
    personas = sum(1 for persona in PERSONAS if persona.is_professional)
    patients = sum(1 for persona in PERSONAS if persona.kind == "patient")
    assert Professional.objects.count() == SMALL["professionals"] + personas
    # The identity-vigilance seed adds a few second identities of demo people (potential duplicates).
    assert Patient.objects.count() == SMALL["patients"] + patients + identity_services.DEMO_DUPLICATES
    assert Organisation.objects.count() == len(gen.organisation_catalogue(SMALL["seed"]))
    assert get_user_model().objects.count() == len(PERSONAS)
    for model in (Organisation, Professional, PracticeSituation, Patient):
        assert set(model.objects.values_list("source", flat=True)) == {"demo"}


def test_stored_identifiers_validate_and_hierarchies_hold(shared_region):
    for organisation in Organisation.objects.exclude(finess=None):
        assert v.validate_finess(organisation.finess) == organisation.finess
        assert organisation.departement == organisation.commune_insee[:2]
    establishments = Organisation.objects.exclude(legal_entity=None)
    assert establishments.exists()
    assert set(establishments.values_list("legal_entity__finess_kind", flat=True)) == {"EJ"}
    ght = Organisation.objects.get(name="GHT Caen – Bessin – Pays d'Auge")
    assert ght.ght_members.filter(name="CHU de Caen Normandie").exists()
    for professional in Professional.objects.all():
        assert v.validate_rpps(professional.rpps) == professional.rpps
        assert professional.idnat_ps == "8" + professional.rpps
        v.validate_mssante_address(professional.mssante_address)
        assert professional.situations.exists()


def test_same_seed_gives_the_same_identifiers_in_another_database(shared_region):
    rpps = set(Professional.objects.values_list("rpps", flat=True))
    expected = {spec.data["rpps"] for spec in gen.professional_specs(2026, SMALL["professionals"],
                                                                     gen.organisation_catalogue(2026))}
    assert expected <= rpps


def test_demo_accounts_log_in_by_email_and_are_linked(shared_region, client):
    User = get_user_model()
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        assert user.kind == persona.kind and user.check_password(DEFAULT_DEMO_PASSWORD)
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (persona.email, True, True)
        assert DEMO_ROLES[persona.email] == persona.role
    assert all(user.first_name and user.last_name for user in User.objects.all())
    admin = User.objects.get(email="admin@demo.enrs.invalid")
    assert admin.is_staff and admin.is_superuser and admin.kind == "agency"
    assert not User.objects.filter(is_superuser=True).exclude(pk=admin.pk).exists()
    gp = Professional.objects.get(user__email="generaliste@demo.enrs.invalid")
    assert gp.situations.get().organisation.name == "MSP du Bocage"
    assert gp.situations.get().specialty_code == "SM54"
    assert (gp.user.first_name, gp.user.last_name) == (gp.first_name, gp.last_name)
    nurse = Professional.objects.get(user__email="infirmiere.ehpad@demo.enrs.invalid")
    assert nurse.situations.get().organisation.college == "C"
    assert Patient.objects.get(user__email="patiente@demo.enrs.invalid").sex == "F"
    assert Patient.objects.get(user__email="patient@demo.enrs.invalid").sex == "M"
    response = client.post("/comptes/login/", {"login": "Generaliste@demo.enrs.invalid",
                                               "password": DEFAULT_DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(gp.user_id)
