"""FHIR view of the identity server: ``Patient`` read, search, create, update and ``$match``.

Profiles: FR Core 2.0.1 ``fr-core-patient``, and ``fr-core-patient-ins`` for a
qualified identity — the only one whose INS matricule may leave the server
(RNIV; ``Patient.shared_ins``). Elements (fr-interop §1.3):

- ``identifier``: INS-NIR / INS-NIA / INS-NIR-TEST / INS-NIR-DEMO with their
  OIDs (QUAL only), and each local identifier (IPP, v2-0203 ``PI``) with the
  system ``urn:oid:<authority OID>`` (or an ENRS naming system for an
  authority known by its namespace only);
- ``name[officialName]`` (use official: birth name, first first name, and the
  ``birth-list-given-name`` extension with the whole list), ``name[usualName]``
  (use usual: used name and used first name — unconfirmed in FR Core);
- ``gender``, ``birthDate`` (a partly unknown date is sent with the precision
  known: ``1980`` or ``1980-05``), ``extension[birthPlace]`` with the INSEE
  code, ``extension[identityReliability]`` (status and comment codes).

Who sees what: a connector (OAuth2 token, scopes ``identite:lecture`` /
``identite:ecriture``) reaches the identities that carry a local identifier of
its organisation's authorities, writes only those, and may ``$match`` any
identity (the purpose of a regional identity server); a signed-in user goes
through the permission API (``filter_allowed`` / ``require``, channel fhir).
Every resource served leaves a line in the access trail.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

import pydantic
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient as FhirPatient
from ninja.errors import HttpError

from enrs.connectors.auth import ConnectorToken
from enrs.connectors.scopes import IDENTITY_READ, IDENTITY_WRITE
from enrs.core import audit, permissions
from enrs.fhir import constants as c
from enrs.fhir import params as p
from enrs.fhir.errors import FhirError, InvalidSearchValue, Issue
from enrs.fhir.registry import Operation, ResourceType, register
from enrs.fhir.resources import parse_body
from enrs.fhir.responses import base_url, fhir_response
from enrs.identity import selectors, services
from enrs.identity.models import OID_NIA, OID_NIR, OID_NIR_DEMO, OID_NIR_TEST, IdentityStatus, LocalIdentifier, Patient

CHANNEL = "fhir"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
INS_SLICES = {  # OID → (FR Core identifier type, use)
    OID_NIR: ("INS-NIR", "official"),
    OID_NIA: ("INS-NIA", "temp"),
    OID_NIR_TEST: ("INS-NIR-TEST", "official"),
    OID_NIR_DEMO: ("INS-NIR-DEMO", "official"),
}
BIRTH_PLACE_URL = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
BIRTH_LIST_GIVEN_NAME_URL = c.fr_core_profile("fr-core-patient-birth-list-given-name")
RELIABILITY_URL = c.fr_core_profile("fr-core-identity-reliability")
STATUS_SYSTEM = f"{c.FR_CORE_BASE}/CodeSystem/fr-core-cs-identity-status"
COMMENT_SYSTEM = f"{c.FR_CORE_BASE}/CodeSystem/fr-core-cs-identity-status-comment"
COUNTRY_SYSTEM = c.enrs_code_system("cog-pays")  # 99xxx: no NOS system confirmed for COG country codes
IPP_NAMESPACE_SYSTEM = f"{c.ENRS_CANONICAL}/NamingSystem/ipp/"
MATCH_GRADE_URL = "http://hl7.org/fhir/StructureDefinition/match-grade"
MATCH_DEFINITION = "http://hl7.org/fhir/OperationDefinition/Patient-match"
GENDERS = {"F": "female", "M": "male", "I": "unknown"}
SEXES = {"female": "F", "male": "M", "unknown": "I", "other": "I"}
PROFILE_PATIENT = c.fr_core_profile("fr-core-patient")
PROFILE_PATIENT_INS = c.fr_core_profile("fr-core-patient-ins")
DEFAULT_MATCH_COUNT = 10
MAX_MATCH_COUNT = 50
_OID_RE = re.compile(r"^[0-2](\.\d+)+$")


# --- Who is asking ----------------------------------------------------------------------------
@dataclass
class Principal:
    user: object | None = None
    connector: object | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return _("Connecteur %(name)s") % {"name": self.connector.name} if self.connector else str(self.user)

    def authority_keys(self) -> list[str]:
        """The ``LocalIdentifier.authority`` values of the connector's organisation (OID, else namespace)."""
        return selectors.authority_keys_of(self.connector.organisation)


def principal(request: HttpRequest) -> Principal:
    """The connector behind a Bearer token, or the signed-in user; 401/403 as OperationOutcome."""
    cached = getattr(request, "_enrs_fhir_principal", None)
    if cached is not None:
        return cached
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        try:
            connector = ConnectorToken()(request)
        except HttpError as exc:
            raise FhirError(403, Issue("forbidden", str(exc))) from exc
        if connector is None:
            raise FhirError(401, Issue("login", _("Authentification requise : jeton absent, inconnu ou expiré.")), headers={"WWW-Authenticate": "Bearer"})
        found = Principal(connector=connector, scopes=connector.granted_scopes)
    elif getattr(request, "user", None) is not None and request.user.is_authenticated:
        found = Principal(user=request.user)
    else:
        raise FhirError(401, Issue("login", _("Authentification requise pour les données de patients.")), headers={"WWW-Authenticate": "Bearer"})
    request._enrs_fhir_principal = found
    return found


def _require_scope(who: Principal, scope: str) -> None:
    if who.connector is not None and scope not in who.scopes:
        raise FhirError(403, Issue("forbidden", _("Portée insuffisante : ce jeton n'a pas la portée %(scope)s.") % {"scope": scope}))


def patients(request: HttpRequest | None) -> QuerySet[Patient]:
    """The identities the requester may read."""
    base = Patient.objects.all()
    if request is None:
        return base.none()
    who = principal(request)
    if who.connector is not None:
        _require_scope(who, IDENTITY_READ)
        return selectors.known_to_organisation(who.connector.organisation)
    return permissions.filter_allowed(who.user, "read", base)


def _trail_read(patient: Patient, request: HttpRequest | None) -> None:
    if request is None:
        return
    who = principal(request)
    if who.connector is not None:
        audit.record(
            actor=None, action="read", channel=CHANNEL, patient_id=patient.pk, object_type="identity.Patient",
            object_id=str(patient.pk), organisation_id=who.connector.organisation_id, role="connector",
            justification=who.label, request=request,
        )
    else:
        permissions.require(who.user, "read", patient, channel=CHANNEL, request=request)


# --- Patient → FHIR ----------------------------------------------------------------------------
def ipp_system(authority: str) -> str:
    return f"urn:oid:{authority}" if _OID_RE.match(authority) else IPP_NAMESPACE_SYSTEM + authority


def _identifiers(patient: Patient) -> list[dict]:
    identifiers = []
    if patient.shared_ins and patient.ins_oid in INS_SLICES:
        type_code, use = INS_SLICES[patient.ins_oid]
        identifiers.append({
            "use": use, "type": {"coding": [{"system": c.FR_CORE_IDENTIFIER_TYPE, "code": type_code}]},
            "system": f"urn:oid:{patient.ins_oid}", "value": patient.shared_ins,
        })
    for authority, value in selectors.local_ids_of(patient):
        identifiers.append({
            "use": "usual", "type": {"coding": [{"system": V2_0203, "code": "PI"}]},
            "system": ipp_system(authority), "value": value,
        })
    return identifiers


def _names(patient: Patient) -> list[dict]:
    first_names = patient.birth_first_names.split()
    official = {
        "use": "official", "family": patient.birth_name, "given": first_names[:1] or None,
        "extension": [{"url": BIRTH_LIST_GIVEN_NAME_URL, "valueString": patient.birth_first_names}] if first_names else None,
    }
    names = [official]
    if patient.used_name or patient.used_first_name:
        names.append({"use": "usual", "family": patient.used_name or None, "given": [patient.used_first_name] if patient.used_first_name else None})
    return names


def fhir_birth_date(declared: str) -> str:
    """``1980-00-00`` → ``1980``, ``1980-05-00`` → ``1980-05``: FHIR dates carry their precision."""
    year, month, day = declared.split("-")
    if month == "00":
        return year
    return f"{year}-{month}" if day == "00" else declared


def _birth_place(patient: Patient) -> dict | None:
    code = patient.birth_place_insee
    if not code:
        return None
    system = COUNTRY_SYSTEM if code.startswith("99") else c.TRE_R13_COMMUNE
    return {"url": BIRTH_PLACE_URL, "valueAddress": {
        "district": code, "extension": [{"url": c.FR_CORE_ADDRESS_INSEE_CODE, "valueCoding": {"system": system, "code": code}}],
    }}


def _reliability(patient: Patient) -> dict:
    parts = [{"url": "identityStatus", "valueCoding": {"system": STATUS_SYSTEM, "code": patient.identity_status}}]
    if patient.insi_called_at:
        parts.append({"url": "dateInterrogationINSi", "valueDate": timezone.localdate(patient.insi_called_at).isoformat()})
    if patient.document_checked_on:
        parts.append({"url": "validationDate", "valueDate": patient.document_checked_on.isoformat()})
    parts += [{"url": "comment", "valueCoding": {"system": COMMENT_SYSTEM, "code": code}} for code in patient.comment_codes or []]
    return {"url": RELIABILITY_URL, "extension": parts}


def patient_resource(patient: Patient, request: HttpRequest | None = None) -> FhirPatient:
    _trail_read(patient, request)
    qualified = patient.identity_status == IdentityStatus.QUAL
    extensions = [ext for ext in (_birth_place(patient), _reliability(patient)) if ext]
    return FhirPatient.model_validate({
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": patient.updated_at, "profile": [PROFILE_PATIENT_INS if qualified else PROFILE_PATIENT]},
        "extension": extensions,
        "identifier": _identifiers(patient) or None,
        "active": not patient.is_merged,
        "name": _names(patient),
        "gender": GENDERS.get(patient.sex, "unknown"),
        "birthDate": fhir_birth_date(patient.birth_date_display),
        "link": [{"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}] if patient.is_merged else None,
    })


# --- FHIR → traits -------------------------------------------------------------------------------
@dataclass
class Incoming:
    traits: dict = field(default_factory=dict)
    local_ids: list[tuple[str, str]] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # trait → FHIRPath of the element
    issues: list[Issue] = field(default_factory=list)


def _as_data(resource) -> dict:
    return json.loads(resource.model_dump_json(exclude_none=True))


def _official_name(data: dict) -> tuple[int, dict]:
    names = data.get("name") or []
    for index, name in enumerate(names):
        if name.get("use") == "official":
            return index, name
    return (0, names[0]) if names else (0, {})


def _read_names(data: dict, incoming: Incoming) -> None:
    index, official = _official_name(data)
    path = f"Patient.name[{index}]"
    listed = next((ext.get("valueString", "") for ext in official.get("extension") or [] if ext.get("url") == BIRTH_LIST_GIVEN_NAME_URL), "")
    incoming.traits["birth_name"] = official.get("family", "")
    incoming.traits["birth_first_names"] = listed.split() if listed else list(official.get("given") or [])
    incoming.paths.update({"birth_name": f"{path}.family", "birth_first_names": f"{path}.given"})
    for position, name in enumerate(data.get("name") or []):
        if name.get("use") == "usual":
            incoming.traits["used_name"] = name.get("family", "")
            incoming.traits["used_first_name"] = (name.get("given") or [""])[0]
            incoming.paths.update({"used_name": f"Patient.name[{position}].family", "used_first_name": f"Patient.name[{position}].given"})
            break


def _read_identifiers(data: dict, incoming: Incoming, own_keys: list[str]) -> None:
    for index, identifier in enumerate(data.get("identifier") or []):
        system, value = identifier.get("system", ""), identifier.get("value", "")
        type_codes = {coding.get("code") for coding in (identifier.get("type") or {}).get("coding") or []}
        path = f"Patient.identifier[{index}]"
        oid = system.removeprefix("urn:oid:")
        if oid in INS_SLICES and "NH" not in type_codes:
            incoming.traits.update({"ins": value, "ins_oid": oid})
            incoming.paths.update({"ins": f"{path}.value", "ins_oid": f"{path}.system"})
            continue
        authority = oid if system.startswith("urn:oid:") else system.removeprefix(IPP_NAMESPACE_SYSTEM)
        if authority in own_keys and value:
            incoming.local_ids.append((authority, value))
        elif oid not in INS_SLICES:
            incoming.issues.append(Issue("invalid", _("%(path)s : système « %(system)s » inconnu ou autorité d'une autre organisation.") % {"path": path, "system": system[:80]}, expression=(path,)))
    incoming.paths["local_ids"] = "Patient.identifier"


def _read_birth(data: dict, incoming: Incoming) -> None:
    value = data.get("birthDate", "")
    parts = str(value).split("-") if value else []
    incoming.traits["birth_date"] = "-".join(parts + ["00"] * (3 - len(parts))) if parts else ""
    incoming.paths["birth_date"] = "Patient.birthDate"
    gender = data.get("gender", "")
    incoming.traits["sex"] = SEXES.get(gender, "")
    incoming.paths["sex"] = "Patient.gender"
    for index, ext in enumerate(data.get("extension") or []):
        if ext.get("url") == BIRTH_PLACE_URL:
            address = ext.get("valueAddress") or {}
            coded = next((e.get("valueCoding", {}).get("code", "") for e in address.get("extension") or [] if e.get("url") == c.FR_CORE_ADDRESS_INSEE_CODE), "")
            incoming.traits["birth_place_insee"] = coded or address.get("district", "")
            incoming.paths["birth_place_insee"] = f"Patient.extension[{index}].valueAddress"


def _read_reliability(data: dict, incoming: Incoming) -> None:
    for index, ext in enumerate(data.get("extension") or []):
        if ext.get("url") != RELIABILITY_URL:
            continue
        path = f"Patient.extension[{index}]"
        for part in ext.get("extension") or []:
            code = (part.get("valueCoding") or {}).get("code", "")
            if part.get("url") == "identityStatus" and code:
                incoming.evidence["identity_status"] = code
            elif part.get("url") == "comment" and code:
                incoming.evidence.setdefault("comment_codes", []).append(code)
        for key in ("identity_status", "comment_codes", "insi_verified", "document_high_trust", "document_type"):
            incoming.paths[key] = path


def read_incoming(resource: FhirPatient, own_keys: list[str]) -> Incoming:
    data = _as_data(resource)
    incoming = Incoming()
    _read_names(data, incoming)
    _read_identifiers(data, incoming, own_keys)
    _read_birth(data, incoming)
    _read_reliability(data, incoming)
    return incoming


def _unprocessable(exc: ValidationError, incoming: Incoming) -> FhirError:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    issues = []
    for trait, messages in errors.items():
        path = incoming.paths.get(trait, "Patient")
        issues += [Issue("invalid", f"{path} : {message}", expression=(path,)) for message in messages]
    return FhirError.unprocessable(issues)


# --- Write handlers -----------------------------------------------------------------------------
def _writer(request: HttpRequest) -> Principal:
    who = principal(request)
    if who.connector is None:
        raise FhirError(403, Issue("forbidden", _("L'écriture d'identités se fait par un connecteur (jeton OAuth2), pas par une session.")))
    _require_scope(who, IDENTITY_WRITE)
    return who


def _resource_response(request: HttpRequest, patient: Patient, status: int) -> HttpResponse:
    resource = patient_resource(patient, request)
    location = f"{base_url(request)}/Patient/{patient.pk}"
    return fhir_response(resource, status=status, headers={"Location": location})


def create_patient(request: HttpRequest, rt: ResourceType, _resource_id=None) -> HttpResponse:
    who = _writer(request)
    incoming = read_incoming(parse_body(request, rt), who.authority_keys())
    if not incoming.local_ids:
        incoming.issues.append(Issue("required", _("Patient.identifier : un identifiant local (IPP) de l'organisation du connecteur est obligatoire."), expression=("Patient.identifier",)))
    if incoming.issues:
        raise FhirError.unprocessable(incoming.issues)
    try:
        result = services.create_identity(
            incoming.traits, actor=who.label, channel=CHANNEL, source=who.label, local_ids=incoming.local_ids,
            evidence=incoming.evidence or None,
        )
    except ValidationError as exc:
        raise _unprocessable(exc, incoming) from exc
    return _resource_response(request, result.patient, 200 if result.outcome == "linked" else 201)


def update_patient(request: HttpRequest, rt: ResourceType, resource_id: str) -> HttpResponse:
    who = _writer(request)
    resource = parse_body(request, rt)
    if resource.id != resource_id:
        raise FhirError.invalid(_("Patient.id doit être égal à l'identifiant de l'URL (%(id)s).") % {"id": resource_id}, "Patient.id")
    patient = patients(request).filter(pk=rt.id_to_pk(resource_id)).first()
    if patient is None:
        raise FhirError.not_found(_("Ressource Patient/%(id)s introuvable.") % {"id": resource_id})
    incoming = read_incoming(resource, who.authority_keys())
    if incoming.issues:
        raise FhirError.unprocessable(incoming.issues)
    try:
        patient = services.update_identity(patient, {**incoming.traits, **incoming.evidence}, actor=who.label, channel=CHANNEL, reason=who.label)
        known = set(selectors.local_ids_of(patient))
        for authority, value in incoming.local_ids:
            if (authority, value) not in known:
                services.link_local_identifier(patient, authority, value, actor=who.label, channel=CHANNEL)
    except ValidationError as exc:
        raise _unprocessable(exc, incoming) from exc
    patient.refresh_from_db()
    return _resource_response(request, patient, 200)


# --- $match ---------------------------------------------------------------------------------------
def match_grade(decision: str | None, score: float) -> str:
    """Candidate → match-grade (certain, probable, possible, certainly-not)."""
    if decision == "link":
        return "certain"
    if decision == "review":
        return "probable"
    return "possible" if score >= 0.1 else "certainly-not"


def _match_parameters(request: HttpRequest, rt: ResourceType) -> tuple[FhirPatient, bool, int]:
    media = (request.content_type or "").lower()
    if media not in ("application/fhir+json", "application/json"):
        raise FhirError.unsupported_media_type(_("Envoyez une ressource Parameters en application/fhir+json."))
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FhirError.invalid(_("Le corps de la requête n'est pas du JSON lisible.")) from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise FhirError.invalid(_("Le corps doit être une ressource Parameters."), "resourceType")
    only_certain, count, patient_data = False, DEFAULT_MATCH_COUNT, None
    for index, parameter in enumerate(data.get("parameter") or []):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if name == "resource":
            patient_data = parameter.get("resource")
        elif name == "onlyCertainMatches":
            only_certain = parameter.get("valueBoolean")
            if not isinstance(only_certain, bool):
                raise FhirError.invalid(_("onlyCertainMatches attend valueBoolean."), f"Parameters.parameter[{index}]")
        elif name == "count":
            count = parameter.get("valueInteger")
            if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_MATCH_COUNT:
                raise FhirError.invalid(_("count attend valueInteger entre 1 et %(max)d.") % {"max": MAX_MATCH_COUNT}, f"Parameters.parameter[{index}]")
        else:
            raise FhirError.invalid(_("Paramètre inconnu pour $match : « %(name)s ».") % {"name": str(name)[:40]}, f"Parameters.parameter[{index}]")
    if not isinstance(patient_data, dict) or patient_data.get("resourceType") != "Patient":
        raise FhirError.invalid(_("Le paramètre « resource » doit contenir une ressource Patient."), "Parameters.parameter")
    try:
        patient = FhirPatient.model_validate(patient_data)
    except pydantic.ValidationError as exc:
        raise FhirError.unprocessable([Issue("invalid", _("Ressource Patient invalide : %(path)s.") % {"path": ".".join(str(x) for x in err.get("loc", ()))}, expression=("Parameters.parameter.resource",)) for err in exc.errors()]) from exc
    return patient, only_certain, count


def _may_see(who: Principal, patient: Patient) -> bool:
    return who.connector is not None or permissions.can(who.user, "read", patient)


def match_patients(request: HttpRequest, rt: ResourceType) -> HttpResponse:
    if request.method != "POST":
        raise FhirError.method_not_allowed(_("$match s'appelle en POST avec une ressource Parameters."), ["POST"])
    who = principal(request)
    if who.connector is not None:
        _require_scope(who, IDENTITY_READ)
    elif not permissions.can(who.user, "search", Patient()):
        raise FhirError(403, Issue("forbidden", _("Vous n'avez pas le droit de rechercher une identité.")))
    resource, only_certain, count = _match_parameters(request, rt)
    incoming = read_incoming(resource, [])
    traits = {key: value for key, value in incoming.traits.items() if value not in ("", None, [])}
    if not traits.get("birth_name") and not traits.get("ins"):
        raise FhirError.invalid(_("Indiquez au moins le nom de naissance (name.family) ou l'INS."), "Parameters.parameter.resource.name")
    candidates = [cand for cand in selectors.match_candidates(traits, limit=MAX_MATCH_COUNT) if _may_see(who, cand.patient)]
    graded = [(cand, match_grade(cand.decision, cand.score)) for cand in candidates]
    if only_certain:
        graded = [(cand, grade) for cand, grade in graded if grade == "certain"]
    base = base_url(request)
    entries = [
        {
            "fullUrl": f"{base}/Patient/{cand.patient.pk}",
            "resource": patient_resource(Patient.objects.get(pk=cand.patient.pk), request),
            "search": {"mode": "match", "score": round(min(max(cand.score, 0.0), 1.0), 4),
                       "extension": [{"url": MATCH_GRADE_URL, "valueCode": grade}]},
        }
        for cand, grade in graded[:count]
    ]
    bundle = Bundle.model_validate({
        "resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"lastUpdated": timezone.now()},
        "type": "searchset", "total": len(entries), "entry": entries or None,
    })
    return fhir_response(bundle)


# --- Search parameters ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class PatientIdentifierParam(p.TokenParam):
    """``identifier``: the INS (its OID system; qualified identities only, as the matricule
    is shared for them only) or a local identifier (``urn:oid:<authority>`` or the ENRS
    naming system of an authority namespace); a code without system looks in both."""

    targets: tuple[p.TokenTarget, ...] = (p.TokenTarget("ins_matricule"), p.TokenTarget("local_ids__value"))

    def match(self, value, modifier, ctx):
        parts = p.split_escaped(value, "|")
        if len(parts) > 2:
            raise InvalidSearchValue(_("Jeton invalide « %(value)s » : un seul « | » est permis.") % {"value": value})
        system, code = (None, p.unescape(parts[0])) if len(parts) == 1 else (p.unescape(parts[0]), p.unescape(parts[1]))
        if not code:
            raise InvalidSearchValue(_("Indiquez la valeur de l'identifiant."))
        qualified = Q(identity_status=IdentityStatus.QUAL, ins_matricule=code)
        if system is None:
            return qualified | Q(pk__in=LocalIdentifier.objects.filter(value=code).values("patient_id"))
        oid = system.removeprefix("urn:oid:")
        if oid in INS_SLICES:
            return qualified & Q(ins_oid=oid)
        authority = oid if system.startswith("urn:oid:") else system.removeprefix(IPP_NAMESPACE_SYSTEM)
        return Q(pk__in=LocalIdentifier.objects.filter(authority=authority, value=code).values("patient_id"))

    def spans_many(self, model) -> bool:
        return False


def _gender_code(code: str):
    if code not in SEXES:
        raise InvalidSearchValue(_("Genre inconnu « %(code)s » (admis : female, male, unknown).") % {"code": code[:20]})
    return SEXES[code]


PATIENT = ResourceType(
    name="Patient",
    queryset=patients,
    to_fhir=patient_resource,
    interactions=frozenset({"read", "search-type", "create", "update"}),
    handlers={"create": create_patient, "update": update_patient},
    operations=(Operation("match", match_patients, MATCH_DEFINITION, _lazy(
        "Identités candidates pour un Patient (Parameters : resource, onlyCertainMatches, count), score et match-grade.")),),
    profiles=(PROFILE_PATIENT, PROFILE_PATIENT_INS),
    documentation=_lazy(
        "Identités du serveur régional (FR Core INS). Le matricule INS n'est exposé que pour une identité qualifiée (QUAL). "
        "Connecteur : identités portant un IPP de son organisation ; utilisateur : selon ses habilitations."
    ),
    search_params=(
        PatientIdentifierParam(name="identifier", documentation=_lazy(
            "INS (urn:oid:1.2.250.1.213.1.4.8, .9, .10, .11 ; identités qualifiées seulement) ou IPP (urn:oid:<autorité>).")),
        p.string("family", "birth_name", "used_name", documentation=_lazy("Nom de naissance ou nom utilisé.")),
        p.string("given", "birth_first_names", "used_first_name", documentation=_lazy("Prénoms de naissance ou prénom utilisé.")),
        p.date("birthdate", "birth_date", documentation=_lazy("Date de naissance.")),
        p.token("gender", p.TokenTarget("sex", system="http://hl7.org/fhir/administrative-gender", convert=_gender_code),
                p.TokenTarget("sex", convert=_gender_code), documentation=_lazy("female, male ou unknown.")),
    ),
    sorts={"family": ("birth_name",), "birthdate": ("birth_date",)},
)

register(PATIENT)
