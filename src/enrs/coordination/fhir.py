"""FHIR view of the coordination record (R4B models, FR profiles where they exist).

Read/search for signed-in users, through the permission API (each resource
served leaves a line in the access trail):
- ``DocumentReference`` (PDSm_ComprehensiveDocumentReference elements, fr-interop §5)
  and ``Binary`` (the content); search by patient, type, category, date,
  period, status, security-label;
- ``CarePlan`` (a pathway), ``CareTeam`` (the record's team), ``Task``.

Writes by connectors (OAuth2 token, scope ``coordination:evenements``):
- ``POST Encounter``: an admission, transfer or discharge (like the ADT feed);
- ``POST Bundle`` (type collection) of Observations / DiagnosticReport: a
  telemonitoring summary that lands on the record's timeline.
"""

from __future__ import annotations

import base64
import datetime
import json

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from fhir.resources.R4B.binary import Binary
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.careteam import CareTeam
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task as FhirTask

from enrs.connectors.scopes import COORDINATION_EVENTS
from enrs.coordination import codes, services
from enrs.coordination.models import CoordinationRecord, Document, Pathway, Task
from enrs.core import permissions
from enrs.fhir import params as p
from enrs.fhir.errors import FhirError, Issue
from enrs.fhir.registry import ResourceType, register
from enrs.fhir.resources import parse_body
from enrs.fhir.responses import fhir_response
from enrs.identity import selectors as identity_selectors
from enrs.identity.fhir import principal
from enrs.identity.models import OID_NIA, OID_NIR, OID_NIR_DEMO, OID_NIR_TEST, LocalIdentifier, Patient

CHANNEL = "fhir"
INS_SYSTEMS = {f"urn:oid:{oid}" for oid in (OID_NIR, OID_NIA, OID_NIR_TEST, OID_NIR_DEMO)}
CLASS_SYSTEM = f"urn:oid:{codes.CLASS_SYSTEM_OID}"
VISIBILITY_SYSTEM = f"urn:oid:{codes.VISIBILITY_SYSTEM_OID}"
DOC_STATUS_SYSTEM = "http://hl7.org/fhir/document-reference-status"
PDSM_PROFILE = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/PDSm_ComprehensiveDocumentReference"


# --- Who reads -------------------------------------------------------------------------------------
def _user(request: HttpRequest | None):
    if request is None:
        return None
    who = principal(request)
    if who.connector is not None:
        raise FhirError(403, Issue("forbidden", _("Les dossiers de coordination se consultent par un utilisateur connecté, pas par un connecteur.")))
    return who.user


def _allowed_records(request) -> QuerySet[CoordinationRecord]:
    user = _user(request)
    return permissions.filter_allowed(user, "read", CoordinationRecord.objects.all()) if user else CoordinationRecord.objects.none()


def documents(request) -> QuerySet[Document]:
    user = _user(request)
    base = Document.objects.select_related("organisation", "replaces", "patient")
    return permissions.filter_allowed(user, "read", base) if user else base.none()


def _trail(request, obj) -> None:
    if request is not None:
        permissions.require(_user(request), "read", obj, channel=CHANNEL, request=request)


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if isinstance(moment, datetime.datetime) else moment.isoformat()


# --- DocumentReference / Binary ----------------------------------------------------------------------
def _security_labels(document: Document) -> list[dict]:
    labels = [{"coding": [{"system": codes.CONFIDENTIALITY_SYSTEM, "code": document.confidentiality}]}]
    labels += [{"coding": [{"system": VISIBILITY_SYSTEM, "code": code, "display": str(codes.VISIBILITY_CODES.get(code, code))}]}
               for code in document.visibility_codes]
    return labels


def document_reference(document: Document, request=None) -> DocumentReference:
    _trail(request, document)
    data = {
        "resourceType": "DocumentReference", "id": str(document.pk), "meta": {"profile": [PDSM_PROFILE]},
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{document.unique_id}"},
        "status": document.status,
        "type": {"coding": [{"system": codes.LOINC, "code": document.type_code, "display": codes.type_label(document.type_code)}]},
        "category": [{"coding": [{"system": CLASS_SYSTEM, "code": document.class_code, "display": codes.class_label(document.class_code)}]}],
        "subject": {"reference": f"Patient/{document.patient_id}"},
        "date": _iso(document.created_at),
        "author": [{"display": document.author_name}] + ([{"display": document.organisation.name}] if document.organisation else []),
        "securityLabel": _security_labels(document),
        "content": [{
            "attachment": {
                "contentType": document.media_type, "language": "fr-FR", "url": f"Binary/{document.pk}", "size": document.size,
                "hash": base64.b64encode(bytes.fromhex(document.sha1)).decode("ascii"), "title": document.title,
                "creation": _iso(document.created_at),
            },
            "format": {"system": "urn:oid:1.3.6.1.4.1.19376.1.2.3", "code": document.format_code},
        }],
        "context": {"period": {"start": document.service_date.isoformat()}},
    }
    if document.replaces_id:
        data["relatesTo"] = [{"code": "replaces", "target": {"reference": f"DocumentReference/{document.replaces_id}"}}]
    return DocumentReference.model_validate(data)


def binary(document: Document, request=None) -> Binary:
    user = _user(request) if request is not None else None
    content = services.read_document(document, by=user, channel=CHANNEL, request=request)
    return Binary.model_validate({"resourceType": "Binary", "id": str(document.pk), "contentType": document.media_type,
                                  "data": base64.b64encode(content).decode("ascii")})


def _visibility_flag(code_wanted: str):
    return lambda code: True if code == code_wanted else p.NO_MATCH


DOCUMENT_REFERENCE = ResourceType(
    name="DocumentReference", queryset=documents, to_fhir=document_reference, profiles=(PDSM_PROFILE,),
    documentation=_lazy("Documents partagés des dossiers de coordination (métadonnées XDS / PDSm), selon les droits de l'utilisateur."),
    search_params=(
        p.reference("patient", {"Patient": "patient"}, documentation=_lazy("Le patient (Patient/id).")),
        p.reference("subject", {"Patient": "patient"}, documentation=_lazy("Le patient (Patient/id).")),
        p.token("type", p.TokenTarget("type_code", system=codes.LOINC), p.TokenTarget("type_code"),
                documentation=_lazy("Type de document (LOINC, JDV_J07).")),
        p.token("category", p.TokenTarget("class_code", system=CLASS_SYSTEM), p.TokenTarget("class_code"),
                documentation=_lazy("Classe de document (TRE_A03).")),
        p.date("date", "created_at", documentation=_lazy("Date de dépôt.")),
        p.date("period", "service_date", documentation=_lazy("Date de l'acte.")),
        p.token("status", p.TokenTarget("status", system=DOC_STATUS_SYSTEM), p.TokenTarget("status"),
                documentation=_lazy("current, superseded ou entered-in-error.")),
        p.token("security-label",
                p.TokenTarget("confidentiality", system=codes.CONFIDENTIALITY_SYSTEM),
                p.TokenTarget("hidden_from_patient", system=VISIBILITY_SYSTEM, convert=_visibility_flag("INVISIBLE_PATIENT")),
                p.TokenTarget("masked_from_health", system=VISIBILITY_SYSTEM, convert=_visibility_flag("MASQUE_PS")),
                p.TokenTarget("masked_from_social", system=VISIBILITY_SYSTEM, convert=_visibility_flag("MASQUE_PSOCIAL")),
                p.TokenTarget("confidentiality"),
                documentation=_lazy("Confidentialité (N, R, V) ou visibilité TRE_A07 (INVISIBLE_PATIENT, MASQUE_PS, MASQUE_PSOCIAL).")),
    ),
    sorts={"date": ("created_at",), "period": ("service_date",)},
    default_sort=("-created_at", "-pk"),
)

BINARY = ResourceType(
    name="Binary", queryset=documents, to_fhir=binary, interactions=frozenset({"read"}),
    documentation=_lazy("Contenu d'un document partagé (même identifiant que le DocumentReference)."),
)


# --- CarePlan / CareTeam / Task ------------------------------------------------------------------------
def care_plans(request) -> QuerySet[Pathway]:
    return Pathway.objects.filter(record__in=_allowed_records(request)).select_related("record")


def care_teams(request) -> QuerySet[CoordinationRecord]:
    return _allowed_records(request)


def tasks(request) -> QuerySet[Task]:
    return Task.objects.filter(record__in=_allowed_records(request)).select_related("record", "assignee", "pathway")


CARE_PLAN_STATUS = {"active": "active", "completed": "completed", "revoked": "revoked"}
TASK_STATUS = {"open": "requested", "done": "completed", "cancelled": "cancelled"}


def care_plan(pathway: Pathway, request=None) -> CarePlan:
    _trail(request, pathway.record)
    return CarePlan.model_validate({
        "resourceType": "CarePlan", "id": str(pathway.pk), "status": CARE_PLAN_STATUS[pathway.status], "intent": "plan",
        "title": pathway.name, "subject": {"reference": f"Patient/{pathway.record.patient_id}"},
        "period": {"start": pathway.start_date.isoformat()},
        "careTeam": [{"reference": f"CareTeam/{pathway.record_id}"}],
        "activity": [{"reference": {"reference": f"Task/{task_id}"}} for task_id in pathway.tasks.values_list("pk", flat=True)],
    })


def care_team(record: CoordinationRecord, request=None) -> CareTeam:
    _trail(request, record)
    now = timezone.now()
    participants = []
    for member in record.team.select_related("professional", "organisation"):
        period = {"start": _iso(member.start), **({"end": _iso(member.end)} if member.end else {})}
        participant = {"role": [{"text": member.role + (" (référent)" if member.referent else "")}],
                       "member": {"display": member.professional.get_full_name() or member.professional.email}, "period": period}
        if member.organisation:
            participant["onBehalfOf"] = {"display": member.organisation.name}
        participants.append(participant)
    active = any(m.is_active(now) for m in record.team.all())
    return CareTeam.model_validate({
        "resourceType": "CareTeam", "id": str(record.pk), "status": "active" if active else "inactive",
        "subject": {"reference": f"Patient/{record.patient_id}"}, "participant": participants or None,
        "name": _("Équipe de soins de %(patient)s") % {"patient": record.patient.display_name},
    })


def task_resource(task: Task, request=None) -> FhirTask:
    _trail(request, task.record)
    data = {
        "resourceType": "Task", "id": str(task.pk), "status": TASK_STATUS[task.status], "intent": "plan",
        "description": task.title, "for": {"reference": f"Patient/{task.record.patient_id}"},
        "authoredOn": _iso(task.created_at),
    }
    if task.pathway_id:
        data["basedOn"] = [{"reference": f"CarePlan/{task.pathway_id}"}]
    if task.assignee_id:
        data["owner"] = {"display": task.assignee.get_full_name() or task.assignee.email}
    if task.due_date:
        data["restriction"] = {"period": {"end": task.due_date.isoformat()}}
    return FhirTask.model_validate(data)


def _status_convert(mapping: dict[str, str]):
    reverse = {fhir: ours for ours, fhir in mapping.items()}
    return lambda code: reverse.get(code, p.NO_MATCH)


CARE_PLAN = ResourceType(
    name="CarePlan", queryset=care_plans, to_fhir=care_plan,
    documentation=_lazy("Parcours (e-Parcours) instanciés pour un patient."),
    search_params=(p.reference("patient", {"Patient": "record__patient"}), p.reference("subject", {"Patient": "record__patient"}),
                   p.token("status", p.TokenTarget("status", convert=_status_convert(CARE_PLAN_STATUS)))),
)
CARE_TEAM = ResourceType(
    name="CareTeam", queryset=care_teams, to_fhir=care_team,
    documentation=_lazy("Équipe de soins du dossier de coordination (une par patient)."),
    search_params=(p.reference("patient", {"Patient": "patient"}), p.reference("subject", {"Patient": "patient"})),
)
TASK = ResourceType(
    name="Task", queryset=tasks, to_fhir=task_resource,
    documentation=_lazy("Tâches du dossier de coordination et étapes des parcours."),
    search_params=(p.reference("patient", {"Patient": "record__patient"}),
                   p.token("status", p.TokenTarget("status", convert=_status_convert(TASK_STATUS))),
                   p.reference("based-on", {"CarePlan": "pathway"})),
)


# --- Connectors: Encounter and telemonitoring Bundle ---------------------------------------------------
def _connector(request):
    who = principal(request)
    if who.connector is None:
        raise FhirError(403, Issue("forbidden", _("Ces envois se font par un connecteur (jeton OAuth2), pas par une session.")))
    if COORDINATION_EVENTS not in who.scopes:
        raise FhirError(403, Issue("forbidden", _("Portée insuffisante : ce jeton n'a pas la portée %(scope)s.") % {"scope": COORDINATION_EVENTS}))
    return who


def _subject(data: dict, path: str, who) -> tuple[Patient | None, str]:
    """The patient a connector designates (INS, an IPP of its authorities, or Patient/id it knows) and the id sent."""
    subject = data.get("subject") or {}
    identifier = subject.get("identifier") or {}
    system, value = str(identifier.get("system", "")), str(identifier.get("value", ""))
    own = who.authority_keys()
    if value and system in INS_SYSTEMS:
        return identity_selectors.find_by_ins(value), value
    if value and system.removeprefix("urn:oid:") in own:
        found = identity_selectors.find_by_local_id(system.removeprefix("urn:oid:"), value)
        return (identity_selectors.surviving(found) if found else None), value
    reference = str(subject.get("reference", ""))
    if reference.startswith("Patient/") and reference[8:].isdigit():
        known = LocalIdentifier.objects.filter(patient_id=int(reference[8:]), authority__in=own).exists()
        return (Patient.objects.filter(pk=int(reference[8:])).first() if known else None), reference
    raise FhirError.unprocessable([Issue("required", _(
        "%(path)s.subject : désignez le patient par son INS (urn:oid:1.2.250.1.213.1.4.8…), un IPP de votre organisation "
        "(urn:oid:<autorité>) ou Patient/<id>.") % {"path": path}, expression=(f"{path}.subject",))])


def _moment(value, path: str) -> datetime.datetime:
    moment = value if isinstance(value, datetime.datetime) else None
    if moment is None:
        raise FhirError.unprocessable([Issue("required", _("%(path)s : date et heure obligatoires.") % {"path": path}, expression=(path,))])
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def encounter_event(resource) -> tuple[str, datetime.datetime]:
    """The ADT event an Encounter stands for (see docs/services/coordination.md § FHIR Encounter)."""
    period = resource.period
    status = resource.status
    klass = getattr(resource.class_fhir, "code", "") if getattr(resource, "class_fhir", None) else ""
    if status in ("in-progress", "arrived"):
        locations = [loc for loc in (resource.location or []) if loc.status == "active" and loc.period and loc.period.start]
        if status == "in-progress" and locations and period and period.start and locations[-1].period.start > period.start:
            return "A02", _moment(locations[-1].period.start, "Encounter.location.period.start")
        return ("A04" if klass in ("AMB", "EMER") else "A01"), _moment(period.start if period else None, "Encounter.period.start")
    if status == "finished":
        return "A03", _moment(period.end if period else None, "Encounter.period.end")
    if status in ("cancelled", "entered-in-error"):
        return "A11", timezone.now()
    raise FhirError.unprocessable([Issue("code-invalid", _(
        "Encounter.status « %(status)s » non pris en charge (admis : arrived, in-progress, finished, cancelled, entered-in-error).")
        % {"status": status}, expression=("Encounter.status",))])


def _outcome(message: str, status: int = 200) -> HttpResponse:
    resource = OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [
        {"severity": "information", "code": "informational", "diagnostics": message}]})
    return fhir_response(resource, status=status)


def create_encounter(request: HttpRequest, rt: ResourceType, _resource_id=None) -> HttpResponse:
    who = _connector(request)
    resource = parse_body(request, rt)
    event, occurred_at = encounter_event(resource)
    patient, sent_id = _subject(json.loads(resource.model_dump_json()), "Encounter", who)
    organisation = who.connector.organisation
    with transaction.atomic():
        if patient is None:
            services.queue_unknown_encounter(source=who.label, organisation_name=organisation.name, control_id=str(resource.id or ""),
                                             event=event, occurred_at=occurred_at, local_id=sent_id, traits={})
            return _outcome(_("Patient inconnu du serveur d'identités : le mouvement est mis en attente pour l'identitovigilance."), 202)
        unit = resource.serviceProvider.display if resource.serviceProvider and resource.serviceProvider.display else ""
        notice = services.EncounterNotice(event=event, occurred_at=occurred_at, facility=organisation.name, source=who.label,
                                          unit=unit, visit_number=str(resource.id or ""))
        outcome = services.record_encounter(patient, notice, channel=CHANNEL)
    message = _("Mouvement enregistré ; l'équipe de soins est prévenue.") if outcome == "notified" else _(
        "Mouvement reçu ; ce patient n'a pas de dossier de coordination.")
    return _outcome(message)


def _observation_line(resource) -> str:
    label = (resource.code.text or (resource.code.coding[0].display if resource.code.coding else "") or "?") if resource.code else "?"
    quantity = resource.valueQuantity
    value = f"{quantity.value} {quantity.unit or ''}".strip() if quantity is not None else (resource.valueString or "")
    return f"{label} : {value}" if value else label


def telemonitoring_summary(bundle) -> dict:
    """Title, detail lines, time and data of a monitoring vendor's Bundle (Observations + DiagnosticReport)."""
    if bundle.type not in ("collection", "document", "message"):
        raise FhirError.unprocessable([Issue("code-invalid", _("Bundle.type doit valoir collection."), expression=("Bundle.type",))])
    entries = [entry.resource for entry in (bundle.entry or []) if entry.resource is not None]
    if not entries:
        raise FhirError.unprocessable([Issue("required", _("Bundle.entry : au moins une Observation ou un DiagnosticReport."), expression=("Bundle.entry",))])
    for index, resource in enumerate(entries):
        if resource.get_resource_type() not in ("Observation", "DiagnosticReport", "Patient", "Device"):
            raise FhirError.unprocessable([Issue("not-supported", _("Bundle.entry[%(i)d] : %(type)s non pris en charge (Observation, DiagnosticReport).")
                                                 % {"i": index, "type": resource.get_resource_type()}, expression=(f"Bundle.entry[{index}]",))])
    reports = [r for r in entries if r.get_resource_type() == "DiagnosticReport"]
    observations = [r for r in entries if r.get_resource_type() == "Observation"]
    report = reports[0] if reports else None
    title = (report.code.text or (report.code.coding[0].display if report.code.coding else "")) if report else ""
    lines = ([report.conclusion] if report and report.conclusion else []) + [_observation_line(o) for o in observations[:30]]
    moment = (report.effectiveDateTime or report.issued) if report else (observations[0].effectiveDateTime if observations else None)
    subjects = {json.dumps(r.subject.model_dump(mode="json"), sort_keys=True) for r in (*reports, *observations) if r.subject}
    if len(subjects) != 1:
        raise FhirError.unprocessable([Issue("invalid", _("Toutes les ressources du Bundle doivent désigner le même patient (subject)."), expression=("Bundle.entry",))])
    return {
        "title": title or _("Synthèse de télésurveillance"), "detail": "\n".join(lines)[:5000],
        "occurred_at": moment if isinstance(moment, datetime.datetime) else timezone.now(), "subject": json.loads(subjects.pop()),
        "data": {"bundle": str(bundle.id or ""), "observations": [_observation_line(o) for o in observations[:100]]},
    }


def create_bundle(request: HttpRequest, rt: ResourceType, _resource_id=None) -> HttpResponse:
    who = _connector(request)
    bundle = parse_body(request, rt)
    summary = telemonitoring_summary(bundle)
    patient, _sent = _subject({"subject": summary["subject"]}, "Bundle.entry", who)
    if patient is None:
        raise FhirError.unprocessable([Issue("not-found", _("Patient inconnu : la synthèse n'est pas enregistrée."), expression=("Bundle.entry.subject",))])
    occurred_at = summary["occurred_at"] if timezone.is_aware(summary["occurred_at"]) else timezone.make_aware(summary["occurred_at"])
    event = services.add_telemonitoring_summary(patient, title=summary["title"], detail=summary["detail"], source=who.label,
                                                occurred_at=occurred_at, data=summary["data"], channel=CHANNEL)
    if event is None:
        raise FhirError.unprocessable([Issue("not-found", _("Ce patient n'a pas de dossier de coordination : la synthèse n'est pas enregistrée."), expression=("Bundle.entry.subject",))])
    return _outcome(_("Synthèse de télésurveillance ajoutée au dossier de coordination."), 201)


def _never(obj, request=None):
    raise FhirError.not_found(_("Ressource non conservée."))


ENCOUNTER = ResourceType(
    name="Encounter", queryset=lambda request: Patient.objects.none(), to_fhir=_never, interactions=frozenset({"create"}),
    handlers={"create": create_encounter}, last_updated=None,
    documentation=_lazy("Admissions, mutations et sorties envoyées par un connecteur (portée coordination:evenements)."),
)
BUNDLE = ResourceType(
    name="Bundle", queryset=lambda request: Patient.objects.none(), to_fhir=_never, interactions=frozenset({"create"}),
    handlers={"create": create_bundle}, last_updated=None,
    documentation=_lazy("Synthèse de télésurveillance (Observations, DiagnosticReport) envoyée par un connecteur."),
)

for _type in (DOCUMENT_REFERENCE, BINARY, CARE_PLAN, CARE_TEAM, TASK, ENCOUNTER, BUNDLE):
    register(_type)
