"""The ``enrs demo`` management command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrs.demo.personas import PERSONAS
from enrs.directory.models import Organisation
from enrs.identity import services as identity_services
from enrs.identity.models import LocalIdentifier, Patient


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_accounts_option_prints_the_french_table_and_writes_nothing(monkeypatch):
    monkeypatch.delenv("ENRS_DEMO_PASSWORD", raising=False)
    out, _err = _run("--accounts")
    header = out.splitlines()[0]
    for column in ("Rôle", "E-mail", "Mot de passe", "À essayer"):
        assert column in header
    for persona in PERSONAS:
        assert persona.email in out
    assert out.count("demo-enrs-2026") == len(PERSONAS)
    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_accounts_table_shows_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENRS_DEMO_PASSWORD", "mot-de-passe-de-recette")
    out, _err = _run("--accounts")
    assert "mot-de-passe-de-recette" in out and "demo-enrs-2026" not in out


@pytest.mark.django_db
def test_build_then_rebuild_reports_created_then_unchanged():
    out, err = _run("--professionals", "5", "--patients", "8", "--seed", "11")
    assert "Patients : 8 (créés 8, mis à jour 0, inchangés 0)" in out
    assert "Structures :" in out and "generaliste@demo.enrs.invalid" in out
    assert "Patients" in err  # progress bar on stderr
    again, _err = _run("--professionals", "5", "--patients", "8", "--seed", "11", "--verbosity", "0")
    assert "Patients : 8 (créés 0, mis à jour 0, inchangés 8)" in again
    assert "créés 0, mis à jour 0" in again.splitlines()[1]
    # Besides the 8 generated people and the 2 patient personas, the identity-vigilance seed may add
    # second identities of a few of them (potential duplicates, tagged with the demo IPP authority).
    twins = LocalIdentifier.objects.filter(authority=identity_services.DEMO_LOCAL_AUTHORITY).values("patient_id")
    assert Patient.objects.filter(source="demo").exclude(pk__in=twins).count() == 8 + 2


@pytest.mark.django_db
def test_negative_sizes_give_a_french_error():
    with pytest.raises(CommandError, match="positif ou nul"):
        _run("--patients", "-3")


@pytest.mark.django_db
def test_conflict_with_real_data_is_reported_in_french_and_nothing_is_stored():
    from enrs.demo.generators import organisation_catalogue

    finess = next(spec.data["finess"] for spec in organisation_catalogue(3) if "finess" in spec.data)
    Organisation.objects.create(finess=finess, name="Établissement réel", source="finess")
    with pytest.raises(CommandError, match="rien n'a été enregistré") as caught:
        _run("--seed", "3", "--professionals", "1", "--patients", "1", "--verbosity", "0")
    assert finess in str(caught.value)
    assert Organisation.objects.count() == 1 and Patient.objects.count() == 0
