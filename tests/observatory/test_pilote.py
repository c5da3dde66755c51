"""Pilot-e first slice: monthly activity from the services' own data, pluggable sources."""

from __future__ import annotations

import datetime as dt
import io

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


def make_member(name: str, number: int):
    from enrs.core.validators import finess_complete
    from enrs.directory import services as directory
    from enrs.membership import services as membership

    organisation = directory.upsert_organisation({
        "finess": finess_complete(f"14{number:06d}"), "finess_kind": "ET", "name": name, "kind": "EHPAD",
        "commune_insee": "14118", "postal_code": "14000", "city": "Caen"}).obj
    return membership.apply(organisation, category="C", on=dt.date(2025, 1, 10))


def make_referent(organisation):
    user = User.objects.create_user(username="ref", email="ref@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(user, Role.ACCOUNT_REFERENT, organisation=organisation)
    return user


def _member_with_activity(hospitals):
    member = make_member("Clinique des Essais", 990001)
    actor = User.objects.create_user(username="act", email="act@test.invalid", password="x-mot-de-passe-1", kind="pro")
    for _n in range(4):
        audit.record(actor=actor, action="read", channel="web", organisation_id=member.organisation_id,
                     object_type="identity.Patient")
    audit.record(actor=actor, action="read", channel="web", organisation_id=hospitals["caen"].pk, object_type="identity.Patient")
    return member


def test_member_report_counts_only_the_members_organisations(hospitals):
    member = _member_with_activity(hospitals)
    month = dt.date.today().replace(day=1)
    report = pilote.member_report(member, month)
    lines = {label: (value, previous, total, region) for label, value, previous, total, region, _h in report.lines}
    assert lines["Accès à des données de santé (piste d'accès)"] == (4, 0, 4, 5)
    assert lines["Utilisateurs actifs (ayant accédé à des données)"][0] == 1
    assert len(report.months) == 12 and report.months[-1] == month


def test_declared_sources_stay_off_when_their_service_is_absent():
    missing = pilote.DeclaredSource("x", "X", "nowhere.Model", "created_at")
    assert missing.model_class() is None
    codes = {source.code for source in pilote.sources()}
    for declared in pilote.DECLARED_SOURCES:
        assert (declared.code in codes) == (declared.model_class() is not None)


def test_every_declared_source_reads_its_service_table(db):
    """The services of issue 10's list are all installed now: each source must name a real model and fields."""
    first, last = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    for declared in pilote.DECLARED_SOURCES:
        assert declared.model_class() is not None, declared.model
        assert declared.monthly(first, last) is not None


def test_member_pdf_for_the_referent_and_the_agency_only(client, hospitals):
    from pypdf import PdfReader

    member = _member_with_activity(hospitals)
    month = dt.date.today().strftime("%Y-%m")
    url = reverse("observatory:pilote_report", args=[member.pk])
    client.force_login(make_referent(member.organisation))
    response = client.get(url, {"mois": month})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Clinique des Essais" in text and "Accès à des données de santé" in text
    assert client.get(url, {"mois": "2026-13"}).status_code == 400
    page = client.get(reverse("observatory:pilote"))  # the referent's Pilot-e page is scoped to his member
    assert page.status_code == 200 and "Par mois — Clinique des Essais" in page.content.decode()
    other = User.objects.create_user(username="oth", email="oth@test.invalid", password="x-mot-de-passe-1", kind="pro")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(reverse("observatory:pilote_members")).status_code == 403


def test_cli_writes_every_members_report(hospitals, tmp_path):
    from django.core.management import call_command

    first, second = _member_with_activity(hospitals), make_member("Second adhérent", 990002)
    out = io.StringIO()
    call_command("pilote", "rapports", "--mois", dt.date.today().strftime("%Y-%m"), "--out", str(tmp_path), stdout=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"adherent-{first.pk}.pdf", f"adherent-{second.pk}.pdf"])
    assert "2 rapport(s)" in out.getvalue()


@pytest.mark.parametrize("month", [dt.date(2026, m, 1) for m in range(1, 13)] + [dt.date(2024, 2, 1), dt.date(2024, 3, 1)])
def test_member_report_always_covers_twelve_calendar_months(hospitals, month):
    """Was 13 months for December (335 days back from the 1st lands on the previous December)."""
    report = pilote.member_report(_member_with_activity(hospitals), month)
    assert len(report.months) == 12 and report.months[-1] == month
    assert report.months[0] == dt.date(month.year - (month.month < 12), (month.month % 12) + 1, 1)


def test_telehealth_acts_are_counted_by_organisation_of_the_professional(db):
    from django.utils import timezone

    from enrs.core.validators import finess_complete, luhn_complete
    from enrs.directory import services as directory
    from enrs.identity.models import Patient
    from enrs.telehealth.models import Act

    def organisation(n, name):
        return directory.upsert_organisation({"finess": finess_complete(f"1400{n:04d}"), "name": name, "kind": "CH"}).obj

    def professional(n, org):
        user = User.objects.create_user(username=f"tele{n}", email=f"tele{n}@test.invalid", password="x" * 12, kind="pro")
        record = directory.upsert_professional({"rpps": luhn_complete(f"1000{n:06d}"), "last_name": f"Tele{n}",
                                                "first_name": "Prénom", "profession_code": "10"}).obj
        directory.upsert_situation(record, org, {"specialty_code": "SM54", "mode": "S"})
        directory.link_user(record, user)
        return user

    clinic, hospital = organisation(9101, "Clinique téléconsultante"), organisation(9102, "CH expert")
    consultant, expert = professional(9101, clinic), professional(9102, hospital)
    nowhere = User.objects.create_user(username="sans-structure", email="s@test.invalid", password="x" * 12, kind="pro")
    patient = Patient.objects.create(birth_name="MARTIN", birth_first_names="Claire", birth_date=dt.date(1948, 1, 2), sex="F")
    now = timezone.now()
    for professional, kind, party in ((consultant, "teleconsultation", "professional"),
                                      (consultant, "teleconsultation", "professional"),
                                      (nowhere, "teleconsultation", "professional"),
                                      (expert, "teleexpertise", "expert"), (consultant, "teleexpertise", "requester")):
        Act.objects.create(kind=kind, patient=patient, professional=professional, party=party, performed_at=now)
    today = timezone.localdate()
    month = today.replace(day=1)
    table = pilote.monthly_activity(month, today)
    assert table.region["teleconsultations"] == {month: 3}
    assert table.region["teleexpertises"] == {month: 1}  # the expert's act only
    only_clinic = pilote.monthly_activity(month, today, {clinic.pk})
    assert only_clinic.region["teleconsultations"] == {month: 2}
    assert only_clinic.region.get("teleexpertises", {}) == {}
    assert pilote.monthly_activity(month, today, {hospital.pk}).region["teleexpertises"] == {month: 1}
