"""IDOR sweep: every URL pattern that takes an object id, requested with another user's ids.

Routes are discovered from the resolver (like tests/test_bad_input.py). The
victim's objects get primary keys from a reserved high range, so an attacker
can never hit one of his own rows by coincidence; the attackers' own rows get
pks from another reserved range (rows created by other code, such as trail
events, keep their automatic low pks). Each route is requested with
every victim id by two attackers who may not see them: a professional outside
the victim's care team and another patient. The answer must disclose nothing:
403, 404, 405, 401 (API without token) or a redirect to a login page.
Public-by-design routes are allow-listed below with their reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from enrs.accounts.models import User
from enrs.core import audit
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.directory.models import ImportRun
from enrs.fhir.registry import registry as fhir_registry
from enrs.identity.models import Patient

# Route name (or "fhir route:ResourceType") -> why anyone signed in may read it.
PUBLIC_BY_DESIGN = {
    "directory:organisation": "directory details: public professional data (Annuaire Santé, FINESS)",
    "directory:professional": "directory details: public professional data (Annuaire Santé)",
    "api:organisation_by_finess": "directory API: public organisation data keyed by FINESS",
    "api:professional_by_idnat": "directory API: public professional data keyed by idNatPS",
    "account_confirm_email": "the kwarg is a secret key, not an object id; a wrong key shows an 'invalid link' page",
    "account_reset_password_from_key": "the kwargs are a secret token, not an object id; a wrong one shows an 'invalid link' page",
    # Type-level FHIR search: the URL names a type, not an object; rows are filtered by the permission
    # API (an outsider gets an empty searchset: tests/identity/feeds/test_fhir_patient.py).
    "fhir:type:Patient": "type-level search, no object id; results filtered by permissions.filter_allowed",
    "fhir:search:Patient": "type-level search, no object id; results filtered by permissions.filter_allowed",
    "fhir:type:Appointment": "type-level search, no object id; results filtered by permissions.filter_allowed",
    "fhir:search:Appointment": "type-level search, no object id; results filtered by permissions.filter_allowed",
    "fhir:type:QuestionnaireResponse": "type-level search, no object id; results filtered by permissions.filter_allowed (telehealth)",
    "fhir:search:QuestionnaireResponse": "type-level search, no object id; results filtered by permissions.filter_allowed (telehealth)",
    # Coordination record (issue 5): type-level searches filtered by permissions.filter_allowed
    # (an outsider gets an empty searchset: tests/coordination/test_fhir.py).
    **{f"fhir:{route}:{name}": "type-level search, no object id; results filtered by permissions.filter_allowed"
       for route in ("type", "search") for name in ("DocumentReference", "CarePlan", "CareTeam", "Task")},
}
# Present only when an OpenID Connect provider is configured (not checked for presence).
PUBLIC_BY_DESIGN_WHEN_CONFIGURED = {
    "openid_connect_login": "provider id of the login page, public configuration",
    "openid_connect_callback": "OIDC callback: answers with a login-error page, no object behind the id",
}
FHIR_PUBLIC_TYPES = {"Organization", "Practitioner", "PractitionerRole",  # the FHIR directory: public by design
                     "HealthcareService", "Location",  # the care offer (ROR): public by design (docs/services/offer.md)
                     "Schedule"}  # published agendas (e-RDV): public by design (docs/services/agenda.md)
DENIED = {401, 403, 404, 405}
LOGIN_PATHS = ("/comptes/login/", "/admin/login/")
VICTIM_BASE = 900_000
ATTACKER_BASE = 800_000
_ids = itertools.count(VICTIM_BASE + 1)
_attacker_ids = itertools.count(ATTACKER_BASE + 1)


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name, pattern


def _kwarg_names(route: str, pattern: URLPattern) -> list[str]:
    regex_groups = list(pattern.pattern.regex.groupindex)
    return regex_groups or list(getattr(pattern.pattern, "converters", {}))


def routes_with_object_ids() -> list[tuple[str, list[str]]]:
    found: dict[str, list[str]] = {}
    for route, name, pattern in _walk(get_resolver().url_patterns):
        names = _kwarg_names(route, pattern)
        if names and name not in found:
            found[name] = names
    return sorted(found.items())


def test_the_sweep_discovers_the_id_routes():
    names = dict(routes_with_object_ids())
    for expected in ("access:patient_identity", "directory:import_detail", "admin:identity_patient_change", "fhir:instance"):
        assert expected in names
    for allowed in PUBLIC_BY_DESIGN:
        # FHIR keys name a route and a resource type ("fhir:type:Patient"): the route must exist.
        route = allowed.rsplit(":", 1)[0] if allowed.startswith("fhir:") else allowed
        assert route in names, f"allow-listed route {allowed} no longer exists: remove it"


# --- The victim and his objects --------------------------------------------------------------
def _victim_objects(staff) -> dict[str, object]:
    """Objects owned by (or about) the victim, each with a pk from the reserved range."""
    from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, PatientConsent, RoleAssignment

    victim = User.objects.create_user(
        id=next(_ids), username="victim", email="victim@test.invalid", password="mot-de-passe-solide-1", kind="patient"
    )
    patient = Patient.objects.create(
        id=next(_ids), birth_name="VICTIME", birth_first_names="Alice", birth_date=dt.date(1960, 5, 5), sex="F", user=victim
    )
    doctor = User.objects.create_user(id=next(_ids), username="doc", email="doc@test.invalid", password="x" * 12, kind="pro")
    record = directory.upsert_professional(
        {"rpps": luhn_complete("1000009999"), "last_name": "Soignant", "first_name": "Paul", "profession_code": "10"}
    ).obj
    directory.link_user(record, doctor)
    later = timezone.now() + dt.timedelta(days=1)
    objects = {
        "accounts.User": victim,
        "identity.Patient": patient,
        "directory.ImportRun": ImportRun.objects.create(id=next(_ids), kind="finess", file_name="v.csv", started_by=staff),
        "core.AccessEvent": audit.record(actor=doctor, action="read", channel="web", patient_id=patient.pk),
        "access.CareRelationship": CareRelationship.objects.create(id=next(_ids), patient=patient, professional=doctor),
        "access.AccessGrant": AccessGrant.objects.create(
            id=next(_ids), patient=patient, grantee=doctor, reason="avis", expires_at=later
        ),
        "access.BreakGlassAccess": BreakGlassAccess.objects.create(
            id=next(_ids), patient=patient, user=doctor, reason="r" * 30, expires_at=later
        ),
        "access.PatientConsent": PatientConsent.objects.create(id=next(_ids), patient=patient, opposes_sharing=True),
        "access.RoleAssignment": RoleAssignment.objects.create(id=next(_ids), user=victim, role="coordinator"),
    }
    objects.update(_messaging_victims(victim, patient, doctor))
    objects.update(_victim_coordination(patient, doctor))
    return objects


def _messaging_victims(victim, patient, doctor) -> dict[str, object]:
    """The victim's conversation with his doctor, an attachment in it, and a request about him (issue 7)."""
    import uuid

    from enrs.messaging.models import Attachment, Conversation, Message, Participant, Request, RequestType

    conversation = Conversation.objects.create(id=next(_ids), kind="patient", patient=patient, created_by=doctor)
    Participant.objects.bulk_create([Participant(conversation=conversation, user=doctor),
                                     Participant(conversation=conversation, user=victim, is_patient=True)])  # fmt: skip
    attachment = Attachment.objects.create(
        id=next(_ids), storage_name="messaging/absent.txt", filename="a.txt", media_type="text/plain", size=1,
        sha256="0" * 64, uploaded_by=doctor,
    )
    Message.objects.create(id=next(_ids), conversation=conversation, sender=doctor, client_id=uuid.uuid4(), seq=1,
                           body="secret", attachment=attachment)  # fmt: skip
    request_type = RequestType.objects.create(id=next(_ids), code="idor", label="IDOR")
    request = Request.objects.create(id=next(_ids), request_type=request_type, created_by=doctor, to_user=doctor,
                                     patient=patient, due_date=timezone.localdate())  # fmt: skip
    return {"messaging.Conversation": conversation, "messaging.Attachment": attachment, "messaging.Request": request}


def _victim_coordination(patient, doctor) -> dict[str, object]:
    """The victim's coordination record and one document visible to him (issue 5)."""
    from enrs.coordination.models import CoordinationRecord, Document

    record = CoordinationRecord.objects.create(id=next(_ids), patient=patient)
    document = Document.objects.create(
        id=next(_ids), record=record, patient=patient, unique_id="2.25.900", title="Lettre", type_code="11490-0",
        class_code="10", format_code="urn:ihe:iti:xds-sd:pdf:2008", media_type="application/pdf", size=1, sha256="0" * 64,
        sha1="0" * 40, file_name="l.pdf", storage_name="coordination/none.pdf", author=doctor, author_name="Dr Soignant",
        service_date=dt.date(2026, 1, 1), hidden_from_patient=False,
    )
    return {"coordination.CoordinationRecord": record, "coordination.Document": document}


def _attackers():
    organisation = directory.upsert_organisation({"finess": finess_complete("14009999"), "name": "Cabinet", "kind": "CABINET"}).obj
    outsider = User.objects.create_user(id=next(_attacker_ids), username="outsider", email="outsider@test.invalid", password="x" * 12, kind="pro")
    record = directory.upsert_professional(
        {"rpps": luhn_complete("1000008888"), "last_name": "Curieux", "first_name": "Jean", "profession_code": "10"}
    ).obj
    directory.upsert_situation(record, organisation, {"mode": "L"})
    directory.link_user(record, outsider)
    other = User.objects.create_user(id=next(_attacker_ids), username="other", email="other@test.invalid", password="x" * 12, kind="patient")
    Patient.objects.create(id=next(_attacker_ids), birth_name="AUTRE", birth_first_names="Bob", birth_date=dt.date(1970, 1, 1), sex="M", user=other)
    return {"professional outside the care team": outsider, "another patient": other}


# --- Candidate URLs ---------------------------------------------------------------------------
def _admin_model_label(name: str) -> str | None:
    """``admin:identity_patient_change`` -> ``identity.Patient`` when it is a victim model."""
    if not name.startswith("admin:"):
        return None
    for model in ContentType.objects.all():
        if name.startswith(f"admin:{model.app_label}_{model.model}_"):
            return f"{model.app_label}.{model.model_class().__name__}" if model.model_class() else None
    return None


def _values_for(kwarg: str, name: str, victims: dict[str, object]) -> list[str]:
    ids = [str(obj.pk) for obj in victims.values()]
    if kwarg == "resource_type":
        return sorted({rt.name for rt in fhir_registry} | {"Patient"})
    if kwarg == "content_type_id":
        return [str(ContentType.objects.get_for_model(type(obj)).pk) for obj in victims.values()]
    label = _admin_model_label(name)
    if label in victims:
        return [str(victims[label].pk)]
    return ids


def candidate_urls(name: str, kwargs: list[str], victims) -> list[tuple[str, str]]:
    """(allow-list key, url) pairs; kwargs combined pairwise with the same victim index."""
    value_lists = {kwarg: _values_for(kwarg, name, victims) for kwarg in kwargs}
    urls = []
    for combination in itertools.product(*value_lists.values()):
        values = dict(zip(kwargs, combination, strict=True))
        key = f"{name}:{values['resource_type']}" if "resource_type" in values else name
        try:
            urls.append((key, reverse(name, kwargs=values)))
        except NoReverseMatch:
            continue
    return urls


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path.startswith(LOGIN_PATHS)


def _public(key: str) -> bool:
    if key in PUBLIC_BY_DESIGN or key in PUBLIC_BY_DESIGN_WHEN_CONFIGURED:
        return True
    route, _sep, resource_type = key.rpartition(":")
    return route.startswith("fhir:") and resource_type in FHIR_PUBLIC_TYPES


@pytest.mark.django_db
def test_no_route_discloses_another_users_object(client):
    staff = User.objects.create_user(username="staff", email="staff@test.invalid", password="x" * 12, kind="agency", is_staff=True)
    victims = _victim_objects(staff)
    victim_ids = {obj.pk for obj in victims.values()}
    leaks, swept = [], 0
    for attacker_name, attacker in _attackers().items():
        owned = {attacker.pk, *Patient.objects.filter(user=attacker).values_list("pk", flat=True)}
        assert not owned & victim_ids, "an attacker owns a row with a victim's id: the sweep would be blind"
        client.force_login(attacker)
        for name, kwargs in routes_with_object_ids():
            for key, url in candidate_urls(name, kwargs, victims):
                if _public(key):
                    continue
                response = client.get(url)
                swept += 1
                if response.status_code not in DENIED and not _is_login_redirect(response):
                    leaks.append(f"{attacker_name}: GET {url} ({name}) answered {response.status_code}")
    assert swept > 100, "the sweep found too few routes: the discovery is broken"
    assert leaks == [], "Possible IDOR:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_sweep_would_catch_a_leak(client):
    """The victim himself is allowed on his record: the same request by him is not refused."""
    staff = User.objects.create_user(username="staff", email="staff@test.invalid", password="x" * 12, kind="agency", is_staff=True)
    victims = _victim_objects(staff)
    client.force_login(victims["accounts.User"])
    response = client.get(reverse("access:patient_identity", args=[victims["identity.Patient"].pk]))
    assert response.status_code == 200 and not _is_login_redirect(response)
