"""Télésoin professions checked against the directory; e-RCP meetings, cases, documents,
decisions and their PDF; acts counted per type and month."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from enrs.telehealth import documents, selectors, services
from enrs.telehealth.clock import FakeClock
from enrs.telehealth.models import Act, CaseDocument

from . import builders

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2026, 4, 10, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("profession, allowed", [("60", True), ("21", True), ("70", True), ("91", True), ("10", False), ("93", False), ("40", False)])
def test_telesoin_is_for_pharmacists_and_auxiliaires_medicaux(profession, allowed):
    user = builders.professional(profession=profession, specialty="")
    patient = builders.care(user, builders.patient())
    if allowed:
        act = services.record_telesoin(user, patient, clock=FakeClock(WHEN))
        assert act.kind == "telesoin" and act.billing_code == ""  # no code known for télésoin: kept as data
    else:
        with pytest.raises(ValidationError) as error:
            services.record_telesoin(user, patient, clock=FakeClock(WHEN))
        assert "réservé aux pharmaciens" in error.value.message_dict["professional"][0]
        assert not Act.objects.exists()


def test_telesoin_professions_are_configurable(settings, tmp_path):
    from enrs.telehealth import config

    text = (config.DATA / "telehealth.yaml").read_text(encoding="utf-8").replace('telesoin_professions: ["21",', 'telesoin_professions: ["93", "21",')
    path = tmp_path / "telehealth.yaml"
    path.write_text(text, encoding="utf-8")
    settings.ENRS_TELEHEALTH_REFERENCE = str(path)
    assert services.telesoin_allowed(builders.professional(profession="93", specialty=""))


def test_telesoin_needs_access_to_the_patient():
    nurse = builders.professional(profession="60", specialty="")
    with pytest.raises(PermissionDenied):
        services.record_telesoin(nurse, builders.patient())


@pytest.fixture
def meeting(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                            "OPTIONS": {"location": str(tmp_path)}}}
    oncologist, surgeon, radiologist = (builders.professional(n) for n in ("oncologue", "chirurgien", "radiologue"))
    meeting = services.schedule_meeting(oncologist, kind="rcp", title="RCP digestive", scheduled_at=WHEN, participants=[surgeon, radiologist])
    patient = builders.care(oncologist, builders.patient("COLON"))
    return {"meeting": meeting, "organiser": oncologist, "surgeon": surgeon, "patient": patient}


def test_cases_documents_decisions_and_pdf(meeting):
    case = services.add_case(meeting["organiser"], meeting["meeting"], patient=meeting["patient"], question="Chirurgie première ?")
    services.attach_case_document(meeting["organiser"], case, name="scanner.png", data=builders.png())
    assert CaseDocument.objects.get(case=case).media_type == "image/png"
    services.record_decision(meeting["surgeon"], case, decision="Colectomie droite puis chimiothérapie adjuvante.", clock=FakeClock(WHEN))
    case.refresh_from_db()
    assert case.decided_by == meeting["surgeon"] and case.decided_at == WHEN
    cases = list(selectors.cases_of(meeting["surgeon"], meeting["meeting"]))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(documents.decisions_pdf(meeting["meeting"], cases))).pages)
    assert "RCP digestive" in text and "Colectomie droite" in text and "COLON" in text


def test_outsiders_cannot_add_or_decide(meeting):
    outsider = builders.professional("intrus")
    with pytest.raises(PermissionDenied):
        services.add_case(outsider, meeting["meeting"], patient=meeting["patient"], question="?")
    case = services.add_case(meeting["organiser"], meeting["meeting"], patient=meeting["patient"], question="?")
    with pytest.raises(PermissionDenied):
        services.record_decision(outsider, case, decision="Non")
    with pytest.raises(ValidationError):
        services.record_decision(meeting["surgeon"], case, decision="  ")
    assert not selectors.cases_of(outsider, meeting["meeting"]).exists()


def test_a_participant_cannot_put_a_patient_he_does_not_reach(meeting):
    stranger_patient = builders.patient("INCONNU")
    with pytest.raises(PermissionDenied):
        services.add_case(meeting["surgeon"], meeting["meeting"], patient=stranger_patient, question="?")


def test_a_bad_document_is_refused(meeting):
    case = services.add_case(meeting["organiser"], meeting["meeting"], patient=meeting["patient"], question="?")
    with pytest.raises(ValidationError) as error:
        services.attach_case_document(meeting["organiser"], case, name="cr.pdf", data=b"%PDF-1.4\ntruncated")
    assert error.value.message_dict["document"] and not CaseDocument.objects.exists()


def test_act_counts_per_month_and_type(meeting):
    nurse = builders.professional(profession="60", specialty="")
    patient = builders.care(nurse, builders.patient())
    for day in (WHEN, WHEN + dt.timedelta(days=1), WHEN + dt.timedelta(days=40)):
        services.record_telesoin(nurse, patient, clock=FakeClock(day))
    rows = selectors.act_counts(nurse, year=2026)
    assert [(r["month"].month, r["kind"], r["count"]) for r in rows] == [(4, "telesoin", 2), (5, "telesoin", 1)]
    assert selectors.act_counts(meeting["organiser"], year=2026) == []  # one's own acts only
