"""Break-glass, grants, care team services, the web pages and the patient's oppositions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from enrs.access import selectors, services
from enrs.access.models import BreakGlassAccess, PatientConsent
from enrs.core import permissions
from enrs.core.models import AccessEvent, Notification

from .builders import make_organisation, make_patient, make_patient_account, make_professional, make_user

pytestmark = pytest.mark.django_db
REASON = "Patient inconscient aux urgences, pas de proche joignable"


# --- Services ---------------------------------------------------------------------------------
def test_break_glass_opens_four_hours_and_notifies_team_and_patient(
    pro, org, patient_account, django_capture_on_commit_callbacks
):
    user, patient = patient_account
    member = make_professional(org)
    services.add_care_team_member(patient, member, organisation=org, referent=True)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        access = services.break_glass(pro, patient, REASON)
    assert services.BREAK_GLASS_DURATION == dt.timedelta(hours=4)
    assert before + dt.timedelta(hours=4) <= access.expires_at <= timezone.now() + dt.timedelta(hours=4)
    # One message per person: nobody sees the others' addresses; the opener gets none.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([member.email, user.email])
    assert all(len(m.to) == 1 and "Accès en urgence" in m.subject and REASON in m.body for m in mail.outbox)
    notified = Notification.objects.filter(kind="break_glass")
    assert sorted(n.recipient_id for n in notified) == sorted([member.pk, user.pk])


def test_break_glass_mails_a_patient_without_account_at_his_address(pro, org):
    patient = make_patient(email="sans.compte@test.invalid")
    services.break_glass(pro, patient, REASON)
    assert [m.to for m in mail.outbox] == [["sans.compte@test.invalid"]]
    assert not Notification.objects.exists()
    event = AccessEvent.objects.get()
    assert event.break_glass and event.justification == REASON and event.patient_id == patient.pk


@pytest.mark.parametrize("reason", ["", "   ", "urgence", "x" * (services.BREAK_GLASS_MIN_REASON - 1)])
def test_break_glass_needs_a_real_reason(pro, patient_account, reason):
    with pytest.raises(ValidationError, match="motif est obligatoire"):
        services.break_glass(pro, patient_account[1], reason)
    assert not BreakGlassAccess.objects.exists() and not mail.outbox and not AccessEvent.objects.exists()


def test_only_care_roles_may_break_glass(patient_account):
    for outsider in (make_user("patient"), make_user("pro"), make_user("agency")):
        with pytest.raises(ValidationError, match="professionnel ou un coordinateur"):
            services.break_glass(outsider, patient_account[1], REASON)


def test_a_mail_failure_does_not_block_the_emergency(pro, patient_account, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    access = services.break_glass(pro, patient_account[1], REASON)
    assert permissions.can(pro, "read", patient_account[1]) and access.pk


def test_grants_are_bounded_and_given_by_the_care_team(pro, org, patient_account):
    patient = patient_account[1]
    member, grantee = make_professional(org), make_professional(org)
    in_a_day = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.grant_access(patient, grantee, granted_by=pro, reason="avis spécialisé", expires_at=in_a_day)
    services.add_care_team_member(patient, member, organisation=org)
    with pytest.raises(ValidationError, match="futur"):
        services.grant_access(patient, grantee, granted_by=member, reason="avis spécialisé", expires_at=timezone.now())
    with pytest.raises(ValidationError, match="90 jours"):
        services.grant_access(patient, grantee, granted_by=member, reason="avis spécialisé",
                              expires_at=timezone.now() + dt.timedelta(days=91))  # fmt: skip
    with pytest.raises(ValidationError, match="motif"):
        services.grant_access(patient, grantee, granted_by=member, reason="", expires_at=in_a_day)
    grant = services.grant_access(patient, grantee, granted_by=member, reason="avis spécialisé", expires_at=in_a_day)
    assert permissions.can(grantee, "read", patient)
    services.revoke_grant(grant)
    assert not permissions.can(grantee, "read", patient)


def test_care_team_membership_is_idempotent_and_ends(pro, org, patient_account):
    patient = patient_account[1]
    first = services.add_care_team_member(patient, pro, organisation=org)
    assert services.add_care_team_member(patient, pro, organisation=org) == first
    with pytest.raises(ValidationError):
        services.add_care_team_member(patient, make_user("patient"))
    with pytest.raises(ValidationError, match="précéder"):
        services.end_care_team_member(first, at=first.start - dt.timedelta(days=1))
    services.end_care_team_member(first)
    assert not permissions.can(pro, "read", patient)
    assert list(selectors.care_team(patient)) == []


def test_only_the_patient_sets_his_oppositions(pro, patient_account):
    user, patient = patient_account
    with pytest.raises(PermissionDenied):
        services.set_consent(patient, by=pro, opposes_sharing=True, opposes_break_glass=True)
    services.set_consent(patient, by=user, opposes_sharing=True, opposes_break_glass=False)
    consent = PatientConsent.objects.get(patient=patient)
    assert consent.opposes_sharing and not consent.opposes_break_glass
    assert AccessEvent.objects.get().object_type == "access.PatientConsent"


# --- Document masking (TRE_A07) ------------------------------------------------------------------
def test_visibility_codes_mask_each_audience(pro, org, patient_account):
    user, patient = patient_account
    from enrs.access.rules import can_see_document

    services.add_care_team_member(patient, pro, organisation=org)
    coordinator = make_user("pro")
    services.assign_role(coordinator, "coordinator")
    services.add_care_team_member(patient, coordinator, organisation=org)
    vigilance = make_user("pro")
    services.assign_role(vigilance, "identity_vigilance")
    cases = {
        (): {user: True, pro: True, coordinator: True},
        ("INVISIBLE_PATIENT",): {user: False, pro: True, coordinator: True},
        ("MASQUE_PS",): {user: True, pro: False, coordinator: True},
        ("MASQUE_PSOCIAL",): {user: True, pro: True, coordinator: False},
        ("INVISIBLE_REPRESENTANTS_LEGAUX",): {user: True, pro: True, coordinator: True},
        ("MASQUE_PT",): {user: True, pro: True, coordinator: True},
        ("masque_ps", "INVISIBLE_PATIENT"): {user: False, pro: False, coordinator: True},
        ("CODE_INCONNU",): {user: False, pro: False, coordinator: False},
    }
    for codes, expected in cases.items():
        for viewer, visible in expected.items():
            assert can_see_document(viewer, patient, codes, author_organisation_id=org.pk) is visible, (codes, viewer)
        assert not can_see_document(vigilance, patient, codes), "identity duties never open documents"
        assert not can_see_document(make_professional(org), patient, codes), "no link, no document"


def test_pure_visibility_function_covers_every_code():
    from enrs.access.rules import MASKED_FROM, Audience, visible_to

    for code, masked in MASKED_FROM.items():
        for audience in Audience:
            assert visible_to(audience, [code]) is (audience != masked)
    assert all(visible_to(audience, []) for audience in Audience)


def test_opposition_to_sharing_limits_documents_to_the_author_organisation(pro, org, patient_account):
    from enrs.access.rules import can_see_document

    user, patient = patient_account
    elsewhere = make_organisation()
    services.add_care_team_member(patient, pro, organisation=org)
    services.set_consent(patient, by=user, opposes_sharing=True, opposes_break_glass=False)
    assert can_see_document(pro, patient, [], author_organisation_id=org.pk)
    assert not can_see_document(pro, patient, [], author_organisation_id=elsewhere.pk)
    assert not can_see_document(pro, patient, [])
    assert can_see_document(user, patient, [], author_organisation_id=elsewhere.pk), "the patient sees his own documents"
    outsider = make_professional(elsewhere)
    services.break_glass(outsider, patient, REASON)
    assert can_see_document(outsider, patient, [], author_organisation_id=org.pk), "break-glass has its own opposition"


# --- Web pages ----------------------------------------------------------------------------------
def test_break_glass_journey(client, pro, org, patient_account):
    patient = patient_account[1]
    make_patient(birth_name=patient.birth_name, birth_first_names="Homonyme", birth_date=patient.birth_date + dt.timedelta(days=1))
    client.force_login(pro)
    search = reverse("access:break_glass_search")
    assert client.get(search).status_code == 200
    prefix = client.get(search, {"last_name": patient.birth_name[:3], "birth_date": patient.birth_date.isoformat()})
    assert prefix.status_code == 200 and patient.birth_first_names not in prefix.content.decode(), "exact match only"
    found = client.get(search, {"last_name": patient.birth_name.lower(), "birth_date": patient.birth_date.strftime("%d/%m/%Y")})
    page = found.content.decode()
    assert patient.birth_first_names in page and "Homonyme" not in page
    assert AccessEvent.objects.filter(action="search", patient_id=patient.pk, actor_id=pro.pk).exists()
    identity = reverse("access:patient_identity", args=[patient.pk])
    assert client.get(identity).status_code == 403
    data = {"patient": patient.pk, "last_name": patient.birth_name, "birth_date": patient.birth_date.isoformat(), "reason": REASON}
    response = client.post(reverse("access:break_glass_open"), data)
    assert response.status_code == 302 and response.url == identity
    page = client.get(identity)
    assert page.status_code == 200 and "Accès en urgence jusqu" in page.content.decode()
    assert AccessEvent.objects.filter(action="read", patient_id=patient.pk, break_glass=True, channel="web").exists()


def test_break_glass_refuses_an_id_that_does_not_match_the_search(client, pro, patient_account):
    other = make_patient()
    client.force_login(pro)
    patient = patient_account[1]
    data = {"patient": other.pk, "last_name": patient.birth_name, "birth_date": patient.birth_date.isoformat(), "reason": REASON}
    response = client.post(reverse("access:break_glass_open"), data)
    assert response.status_code == 400 and "Aucun patient ne correspond" in response.content.decode()
    assert not BreakGlassAccess.objects.exists()
    assert client.get(reverse("access:break_glass_open")).status_code == 405


def test_break_glass_refused_when_the_patient_opposed(client, pro, patient_account):
    user, patient = patient_account
    services.set_consent(patient, by=user, opposes_sharing=False, opposes_break_glass=True)
    client.force_login(pro)
    data = {"patient": patient.pk, "last_name": patient.birth_name, "birth_date": patient.birth_date.isoformat(), "reason": REASON}
    response = client.post(reverse("access:break_glass_open"), data)
    assert response.status_code == 403 and "opposé" in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_patients_cannot_use_break_glass_pages(client, patient_account):
    client.force_login(patient_account[0])
    assert client.get(reverse("access:break_glass_search")).status_code == 403
    assert client.post(reverse("access:break_glass_open"), {}).status_code == 403


def test_identity_page_for_care_team_and_patient(client, pro, org, patient_account):
    user, patient = patient_account
    url = reverse("access:patient_identity", args=[patient.pk])
    services.add_care_team_member(patient, pro, organisation=org, role="Médecin traitant")
    client.force_login(pro)
    assert "Médecin traitant" in client.get(url).content.decode()
    client.force_login(user)
    assert client.get(url).status_code == 200
    assert client.get(reverse("access:patient_identity", args=[patient.pk + 1000])).status_code == 404


def test_patient_sets_oppositions_from_his_space(client, patient_account):
    user, patient = patient_account
    client.force_login(user)
    home = client.get(reverse("portal:patient_home")).content.decode()
    assert reverse("access:my_consent") in home
    url = reverse("access:my_consent")
    assert client.get(url).status_code == 200
    response = client.post(url, {"opposes_sharing": "non", "opposes_break_glass": "oui"})
    assert response.status_code == 302
    consent = PatientConsent.objects.get(patient=patient)
    assert consent.opposes_break_glass and not consent.opposes_sharing
    bad = client.post(url, {"opposes_sharing": "peut-être"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()


def test_consent_page_is_for_patients_only(client, pro):
    client.force_login(pro)
    assert client.get(reverse("access:my_consent")).status_code == 403
    orphan = make_user("patient")
    client.force_login(orphan)
    assert client.get(reverse("access:my_consent")).status_code == 404


def test_exact_patient_search_ignores_case_and_accents_but_not_length():
    from enrs.access.selectors import find_patients_exactly

    patient = make_patient(birth_name="LEFÈVRE", birth_first_names="Anaïs", birth_date=dt.date(1961, 4, 2))
    for typed in ("lefèvre", "Lefevre", "  LEFÈVRE "):
        assert list(find_patients_exactly(typed, dt.date(1961, 4, 2))) == [patient], typed
    assert not find_patients_exactly("LEF", dt.date(1961, 4, 2)).exists()
    assert not find_patients_exactly("LEFÈVRES", dt.date(1961, 4, 2)).exists()
    assert not find_patients_exactly("lefèvre", dt.date(1961, 4, 3)).exists()
