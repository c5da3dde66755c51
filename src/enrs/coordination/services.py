"""Writes of the coordination record: the only place its business rules live.

Every function checks the permission API (``permissions.require``, which trails
the access) unless it is called by a system channel (HL7, FHIR connector) that
checked its own credentials, and adds a line to the record's timeline.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.access import selectors as access_selectors
from enrs.access import services as access_services
from enrs.coordination import codes, pathways, selectors
from enrs.coordination.models import (
    CareTeamMember,
    CoordinationRecord,
    Document,
    Note,
    Pathway,
    PathwayTemplate,
    PendingEncounter,
    Task,
    TimelineEvent,
)
from enrs.core import audit, permissions
from enrs.core.notifications import notify, notify_bulk
from enrs.core.queries import by_unique_key
from enrs.core.uploads import check_upload

log = logging.getLogger(__name__)
Kind = TimelineEvent.Kind
MAX_TEXT = 10_000


# --- Kernel ---------------------------------------------------------------------------------------
def document_storage():
    """The object store of every kept file (filesystem by default, S3 in production)."""
    return storages["documents"]


def max_upload_bytes() -> int:
    return int(getattr(settings, "ENRS_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


# --- Helpers ------------------------------------------------------------------------------------
def _clean_text(value, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: [_("Ce champ est obligatoire.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("Au plus %(n)d caractères.") % {"n": limit}]})
    return text


def _event(record: CoordinationRecord, kind: str, title: str, *, detail: str = "", source: str = "", data=None,
           occurred_at=None) -> TimelineEvent:
    return TimelineEvent.objects.create(
        record=record, kind=kind, title=title[:255], detail=detail, source=source[:120], data=data or {},
        occurred_at=occurred_at or timezone.now(),
    )


def _display(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def record_link(record: CoordinationRecord) -> str:
    from django.urls import reverse

    return reverse("coordination:record", args=[record.pk])


# --- Record -------------------------------------------------------------------------------------
@transaction.atomic
def open_record(patient, *, by, channel: str = "web", request=None) -> CoordinationRecord:
    """The patient's record, opened on first use; the active care relationships become its team."""
    existing = CoordinationRecord.objects.filter(patient=patient).first()
    if existing is not None:
        permissions.require(by, "update", existing, channel=channel, request=request)
        return existing
    record = CoordinationRecord(patient=patient, opened_by=by)
    permissions.require(by, "create", record, channel=channel, request=request)
    record.save()
    for relationship in access_selectors.care_team(patient):
        CareTeamMember.objects.create(
            record=record, professional=relationship.professional, organisation=relationship.organisation,
            role=relationship.role or _("Membre de l'équipe de soins"), referent=relationship.referent,
            start=relationship.start, end=relationship.end, relationship=relationship,
        )
    _event(record, Kind.RECORD, _("Dossier de coordination ouvert"), source=_display(by))
    return record


# --- Care team ----------------------------------------------------------------------------------
@transaction.atomic
def add_member(record: CoordinationRecord, professional, *, role: str, by, organisation=None, referent: bool = False,
               start=None, end=None, channel: str = "web", request=None) -> CareTeamMember:
    """Add a professional to the care team; the access row (``CareRelationship``) lets him in."""
    permissions.require(by, "update", record, channel=channel, request=request)
    role = _clean_text(role, "role", limit=120)
    start = start or timezone.now()
    if end is not None and end <= start:
        raise ValidationError({"end": [_("La fin doit suivre le début.")]})
    if record.team.filter(professional=professional, end__isnull=True).exists():
        raise ValidationError({"professional": [_("Ce professionnel fait déjà partie de l'équipe.")]})
    relationship = access_services.add_care_team_member(
        record.patient, professional, organisation=organisation, role=role, referent=referent, start=start
    )
    if end is not None:
        access_services.end_care_team_member(relationship, at=end)
    if referent:
        record.team.filter(referent=True).update(referent=False)
    member = CareTeamMember.objects.create(
        record=record, professional=professional, organisation=organisation, role=role, referent=referent,
        start=start, end=end, relationship=relationship, added_by=by,
    )
    _event(record, Kind.TEAM, _("%(name)s rejoint l'équipe (%(role)s)") % {"name": _display(professional), "role": role},
           source=_display(by))
    _notify_new_member(member)
    return member


def _notify_new_member(member: CareTeamMember) -> None:
    notify(member.professional, kind="coordination.team",
           title=_("Vous avez été ajouté à une équipe de soins"),
           body=_("Vous faites désormais partie de l'équipe de soins de %(patient)s (%(role)s).")
           % {"patient": member.record.patient.display_name, "role": member.role},
           link=record_link(member.record))


@transaction.atomic
def end_member(member: CareTeamMember, *, by, at=None, channel: str = "web", request=None) -> CareTeamMember:
    permissions.require(by, "update", member.record, channel=channel, request=request)
    at = at or timezone.now()
    if member.end is not None and member.end <= at:
        raise ValidationError({"member": [_("Ce membre a déjà quitté l'équipe.")]})
    if member.relationship is not None:
        access_services.end_care_team_member(member.relationship, at=max(at, member.relationship.start))
    member.end = max(at, member.start)
    member.save(update_fields=["end"])
    _event(member.record, Kind.TEAM, _("%(name)s quitte l'équipe") % {"name": _display(member.professional)},
           source=_display(by))
    return member


def active_members(record: CoordinationRecord, at=None):
    return selectors.active_team(record, at)


# --- Notes and tasks ----------------------------------------------------------------------------
@transaction.atomic
def add_note(record: CoordinationRecord, text: str, *, by, channel: str = "web", request=None) -> Note:
    permissions.require(by, "update", record, channel=channel, request=request)
    note = Note.objects.create(record=record, author=by, text=_clean_text(text, "text"))
    _event(record, Kind.NOTE, _("Note de %(name)s") % {"name": _display(by)}, detail=note.text[:500], source=_display(by))
    return note


def _check_assignee(record: CoordinationRecord, assignee) -> None:
    if assignee is not None and not any(m.professional_id == assignee.pk for m in active_members(record)):
        raise ValidationError({"assignee": [_("La tâche doit être attribuée à un membre actif de l'équipe.")]})


@transaction.atomic
def create_task(record: CoordinationRecord, *, title: str, by, due_date=None, assignee=None, description: str = "",
                channel: str = "web", request=None) -> Task:
    permissions.require(by, "update", record, channel=channel, request=request)
    _check_assignee(record, assignee)
    task = Task.objects.create(
        record=record, title=_clean_text(title, "title", limit=200), description=_clean_text(description, "description", required=False),
        due_date=due_date, assignee=assignee, created_by=by,
    )
    _event(record, Kind.TASK, _("Tâche créée : %(title)s") % {"title": task.title}, source=_display(by))
    if assignee is not None and assignee != by:
        notify(assignee, kind="coordination.task", title=_("Nouvelle tâche : %(title)s") % {"title": task.title},
               body=_("Patient : %(patient)s") % {"patient": record.patient.display_name}, link=record_link(record))
    return task


@transaction.atomic
def complete_task(task: Task, *, by, channel: str = "web", request=None) -> Task:
    permissions.require(by, "update", task.record, channel=channel, request=request)
    if task.status != Task.Status.OPEN:
        raise ValidationError({"task": [_("Cette tâche n'est plus à faire.")]})
    task.status, task.completed_at = Task.Status.DONE, timezone.now()
    task.save(update_fields=["status", "completed_at", "updated_at"])
    _event(task.record, Kind.TASK, _("Tâche faite : %(title)s") % {"title": task.title}, source=_display(by))
    if task.pathway_id and not task.pathway.tasks.filter(status=Task.Status.OPEN).exists():
        Pathway.objects.filter(pk=task.pathway_id).update(status=Pathway.Status.COMPLETED, updated_at=timezone.now())
    return task


# --- Pathways -----------------------------------------------------------------------------------
def save_template(definition: str) -> PathwayTemplate:
    """Create or update a template from its YAML text (validated)."""
    parsed = pathways.parse_template(definition)
    template, _created = PathwayTemplate.objects.update_or_create(
        code=parsed.code, defaults={"name": parsed.name, "definition": definition}
    )
    return template


def load_builtin_templates() -> int:
    """Load the shipped templates; templates already present (maybe edited by the agency) are kept."""
    created = 0
    for parsed, text in pathways.builtin_templates():
        _template, was_created = PathwayTemplate.objects.get_or_create(
            code=parsed.code, defaults={"name": parsed.name, "definition": text}
        )
        created += was_created
    return created


def _assignee_for(role: str, members: list[CareTeamMember]):
    wanted = role.casefold()
    match = next((m for m in members if m.role.casefold() == wanted), None)
    return match.professional if match else None


@transaction.atomic
def start_pathway(record: CoordinationRecord, template: PathwayTemplate, *, start_date: datetime.date, by,
                  channel: str = "web", request=None) -> Pathway:
    """Instantiate ``template`` for the patient: one task per step, due from ``start_date``,
    given to the team member holding the step's role when there is one."""
    permissions.require(by, "update", record, channel=channel, request=request)
    if not template.active:
        raise ValidationError({"template": [_("Ce modèle de parcours n'est plus proposé.")]})
    parsed = pathways.parse_template(template.definition)
    pathway = Pathway.objects.create(record=record, template=template, name=parsed.name, start_date=start_date, created_by=by)
    members = active_members(record)
    Task.objects.bulk_create([
        Task(record=record, pathway=pathway, step_code=step.code, title=step.title, description=step.description,
             role=step.role, assignee=_assignee_for(step.role, members), due_date=step.due_date(start_date), created_by=by)
        for step in parsed.steps
    ])
    _event(record, Kind.PATHWAY, _("Parcours démarré : %(name)s") % {"name": parsed.name},
           detail=_("%(n)d étapes à partir du %(date)s") % {"n": len(parsed.steps), "date": start_date.strftime("%d/%m/%Y")},
           source=_display(by))
    return pathway


def overdue_tasks(today: datetime.date | None = None):
    today = today or timezone.localdate()
    return Task.objects.filter(status=Task.Status.OPEN, due_date__lt=today, overdue_notified_at__isnull=True).select_related(
        "record__patient", "assignee"
    )


def notify_overdue_tasks(today: datetime.date | None = None) -> int:
    """Alert once per overdue task: its assignee, else the record's referent(s), else the whole team."""
    sent = 0
    for task in overdue_tasks(today).iterator():
        recipients = _overdue_recipients(task)
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, overdue_notified_at__isnull=True).update(overdue_notified_at=timezone.now())
            if not claimed:
                continue
            for user in recipients:
                notify(user, kind="coordination.overdue", title=_("Tâche en retard : %(title)s") % {"title": task.title},
                       body=_("Patient : %(patient)s — échéance du %(date)s.") % {
                           "patient": task.record.patient.display_name, "date": task.due_date.strftime("%d/%m/%Y")},
                       link=record_link(task.record))
                sent += 1
            _event(task.record, Kind.TASK, _("Tâche en retard : %(title)s") % {"title": task.title}, source="ENRS")
    return sent


def _overdue_recipients(task: Task) -> list:
    members = active_members(task.record)
    if task.assignee is not None and any(m.professional_id == task.assignee_id for m in members):
        return [task.assignee]
    referents = [m.professional for m in members if m.referent]
    return referents or [m.professional for m in members]


# --- Documents ----------------------------------------------------------------------------------
@dataclass
class DocumentInput:
    """The metadata a professional gives with a file (XDS / PDSm, fr-interop §5)."""

    title: str
    type_code: str
    service_date: datetime.date
    class_code: str = ""
    confidentiality: str = "N"
    visible_to_patient: bool = False
    masked_codes: tuple[str, ...] = ()
    organisation: object | None = None


def clean_metadata(meta: DocumentInput) -> dict:
    errors: dict[str, list[str]] = {}
    title = str(meta.title or "").replace("\x00", "").strip()
    if not title or len(title) > 255:
        errors["title"] = [_("Le titre est obligatoire (255 caractères au plus).")]
    if meta.type_code not in codes.DOCUMENT_TYPES:
        errors["type_code"] = [_("Type de document inconnu : « %(code)s ».") % {"code": str(meta.type_code)[:20]}]
    class_code = meta.class_code or codes.DOCUMENT_TYPES.get(meta.type_code, ("", ""))[1]
    if class_code not in codes.DOCUMENT_CLASSES:
        errors["class_code"] = [_("Classe de document inconnue : « %(code)s ».") % {"code": str(class_code)[:20]}]
    if meta.confidentiality not in codes.CONFIDENTIALITY:
        errors["confidentiality"] = [_("Niveau de confidentialité inconnu (N, R ou V).")]
    unknown = [c for c in meta.masked_codes if c not in codes.VISIBILITY_CODES or c == "INVISIBLE_PATIENT"]
    if unknown:
        errors["masked_codes"] = [_("Codes de visibilité inconnus : %(codes)s.") % {"codes": ", ".join(map(str, unknown))[:100]}]
    if not isinstance(meta.service_date, datetime.date) or meta.service_date > timezone.localdate():
        errors["service_date"] = [_("La date de l'acte est obligatoire et ne peut pas être dans le futur.")]
    if errors:
        raise ValidationError(errors)
    visibility = sorted(set(meta.masked_codes) | (set() if meta.visible_to_patient else {"INVISIBLE_PATIENT"}))
    return {
        "title": title, "type_code": meta.type_code, "class_code": class_code, "confidentiality": meta.confidentiality,
        "service_date": meta.service_date, **visibility_fields(visibility),
    }


def visibility_fields(visibility: list[str]) -> dict:
    return {
        "visibility_codes": visibility,
        "hidden_from_patient": "INVISIBLE_PATIENT" in visibility,
        "masked_from_health": "MASQUE_PS" in visibility,
        "masked_from_social": "MASQUE_PSOCIAL" in visibility,
    }


def _author_organisation(record: CoordinationRecord, author, organisation):
    if organisation is not None:
        return organisation
    member = next((m for m in active_members(record) if m.professional_id == author.pk and m.organisation_id), None)
    return member.organisation if member else None


def store_document(record: CoordinationRecord, data: bytes, *, filename: str, meta: DocumentInput, by,
                   replaces: Document | None = None, channel: str = "web", request=None) -> Document:
    """Check the content, then store file and metadata as one unit of work.

    The content is checked by its bytes (``check_upload``), never by its
    extension. The file is written inside the database transaction, which is
    the outermost one (``durable``): if the file write fails nothing is
    stored; if the commit fails the file is deleted — no orphan either way.
    """
    permissions.require(by, "update", record, channel=channel, request=request)
    checked = check_upload(data, filename=filename)
    if checked.media_type in codes.CDA_MEDIA_TYPES:
        from enrs.coordination import cda

        cda.check_cda_for(record.patient, data)
    fields = clean_metadata(meta)
    storage = document_storage()
    stored_name = None
    try:
        with transaction.atomic(durable=True):
            if replaces is not None:
                _supersede(record, replaces)
            document = Document(
                record=record, patient=record.patient, unique_id=f"2.25.{uuid.uuid4().int}",
                format_code=codes.format_code(checked.media_type, fields["type_code"]), media_type=checked.media_type,
                size=checked.size, sha256=checked.sha256, sha1=hashlib.sha1(data).hexdigest(),  # noqa: S324 - PDSm hash
                file_name=_clean_text(filename, "file", limit=255)[-255:], author=by, author_name=_display(by)[:200],
                organisation=_author_organisation(record, by, meta.organisation),
                version=(replaces.version + 1) if replaces else 1, replaces=replaces, **fields,
            )
            stored_name = storage.save(f"coordination/{record.pk}/{uuid.uuid4().hex}.{checked.extension}", ContentFile(data))
            document.storage_name = stored_name
            document.save()
            verb = _("Nouvelle version") if replaces else _("Document déposé")
            _event(record, Kind.DOCUMENT, f"{verb} : {document.title}", detail=codes.type_label(document.type_code),
                   source=_display(by), data={"document": document.pk})
            _notify_document(document, by)
    except BaseException:
        if stored_name is not None:
            _delete_quietly(storage, stored_name)
        raise
    return document


def _supersede(record: CoordinationRecord, old: Document) -> None:
    locked = Document.objects.select_for_update().get(pk=old.pk)
    if locked.record_id != record.pk or locked.status != Document.Status.CURRENT:
        raise ValidationError({"replaces": [_("Seule la version en vigueur d'un document de ce dossier peut être remplacée.")]})
    Document.objects.filter(pk=old.pk).update(status=Document.Status.SUPERSEDED, updated_at=timezone.now())


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # noqa: BLE001 - the original error matters more; the leftover is logged
        log.exception("could not delete the document file %s after a failed unit of work", name)


def _notify_document(document: Document, by) -> None:
    for member in active_members(document.record):
        if member.professional_id != by.pk and permissions.can(member.professional, "read", document):
            notify(member.professional, kind="coordination.document", title=_("Nouveau document : %(title)s") % {"title": document.title},
                   body=_("Patient : %(patient)s") % {"patient": document.record.patient.display_name},
                   link=record_link(document.record), email=False)


@transaction.atomic
def deprecate_document(document: Document, *, reason: str, by, channel: str = "web", request=None) -> Document:
    """Withdraw a document entered in error: it stays stored, flagged, with the reason."""
    permissions.require(by, "update", document.record, channel=channel, request=request)
    reason = _clean_text(reason, "reason", limit=1000)
    if document.status != Document.Status.CURRENT:
        raise ValidationError({"reason": [_("Seule la version en vigueur peut être retirée.")]})
    document.status, document.status_reason = Document.Status.ENTERED_IN_ERROR, reason
    document.save(update_fields=["status", "status_reason", "updated_at"])
    _event(document.record, Kind.DOCUMENT, _("Document retiré : %(title)s") % {"title": document.title}, detail=reason,
           source=_display(by), data={"document": document.pk})
    return document


@transaction.atomic
def set_patient_visibility(document: Document, visible: bool, *, by, channel: str = "web", request=None) -> Document:
    """Show the document to the patient (or hide it again): only the TRE_A07 code INVISIBLE_PATIENT changes."""
    permissions.require(by, "update", document.record, channel=channel, request=request)
    codes_now = [c for c in document.visibility_codes if c != "INVISIBLE_PATIENT"] + ([] if visible else ["INVISIBLE_PATIENT"])
    for name, value in visibility_fields(sorted(codes_now)).items():
        setattr(document, name, value)
    document.save(update_fields=["visibility_codes", "hidden_from_patient", "masked_from_health", "masked_from_social", "updated_at"])
    title = _("Document rendu visible au patient : %(title)s") if visible else _("Document masqué au patient : %(title)s")
    _event(document.record, Kind.DOCUMENT, title % {"title": document.title}, source=_display(by), data={"document": document.pk})
    patient_user = document.record.patient.user
    if visible and patient_user is not None:
        notify(patient_user, kind="coordination.document", title=_("Un document est disponible dans votre espace"),
               body=document.title, link=_portal_documents_link())
    return document


def _portal_documents_link() -> str:
    from django.urls import reverse

    return reverse("coordination_portal:documents")


def read_document(document: Document, *, by, channel: str = "web", request=None) -> bytes:
    """The document's bytes, after the permission check (trailed), checked against the stored hash."""
    permissions.require(by, "read", document, channel=channel, request=request)
    with document_storage().open(document.storage_name, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        log.error("document %s: stored content does not match its hash", document.pk)
        raise PermissionDenied(_("Le contenu de ce document est altéré : il n'est pas transmis. L'agence est prévenue."))
    return data


# --- Events from hospitals and monitoring vendors -----------------------------------------------------
ADT_EVENTS = {
    "A01": (Kind.ADMISSION, _("Admission en hospitalisation")),
    "A02": (Kind.TRANSFER, _("Mutation (changement d'unité)")),
    "A03": (Kind.DISCHARGE, _("Sortie d'hospitalisation")),
    "A04": (Kind.ADMISSION, _("Venue en consultation ou aux urgences")),
    "A11": (Kind.CANCEL, _("Annulation de l'admission")),
    "A13": (Kind.CANCEL, _("Annulation de la sortie")),
}


@dataclass
class EncounterNotice:
    event: str
    occurred_at: datetime.datetime
    facility: str
    source: str
    unit: str = ""
    visit_number: str = ""


def record_encounter(patient, notice: EncounterNotice, *, channel: str) -> str:
    """An admission, discharge or transfer of ``patient``: on the timeline and to the care team (app + e-mail).

    Called by the HL7 and FHIR channels, which authenticated the sender. Returns
    ``notified`` or ``not_followed`` (no coordination record: nobody to tell).
    """
    record = by_unique_key(CoordinationRecord.objects.filter(patient=patient))
    if record is None:
        return "not_followed"
    record.patient = patient  # already loaded: no second read for the notification's title
    kind, label = ADT_EVENTS[notice.event]
    detail = ", ".join(part for part in (notice.facility, notice.unit) if part)
    event = _event(record, kind, str(label), detail=detail, source=notice.source, occurred_at=notice.occurred_at,
                   data={"event": notice.event, "visit": notice.visit_number, "channel": channel})
    when = timezone.localtime(notice.occurred_at).strftime("%d/%m/%Y %H:%M")
    _notify_encounter(record, selectors.active_professionals(record), label, detail, when)
    # Last write of the unit of work: the trail's chain head stays locked from here to
    # the commit, so concurrent feeds queue behind each other as briefly as possible.
    audit.record(actor=None, action="update", channel=channel, patient_id=patient.pk, object_type="coordination.TimelineEvent",
                 object_id=str(event.pk), justification=notice.source[:200])
    return "notified"


def _notify_encounter(record, users, label, detail, when) -> None:
    """Every active member, in one INSERT; the e-mails by the worker (a busy hospital feed sends many movements a second)."""
    title = _("%(event)s : %(patient)s") % {"event": label, "patient": record.patient.display_name}
    body = _("Le %(when)s — %(where)s") % {"when": when, "where": detail or _("établissement non précisé")}
    link = record_link(record)
    notify_bulk([(user, "coordination.encounter", title, body, link, True) for user in users], email_by_worker=True)


def queue_unknown_encounter(*, source: str, organisation_name: str, control_id: str, event: str, occurred_at,
                            local_id: str, traits: dict, sender=None) -> PendingEncounter:
    """A movement about a patient nobody knows: kept for the identity-vigilance officers."""
    return PendingEncounter.objects.create(
        sender=sender, source=source[:200], organisation_name=organisation_name[:255], control_id=control_id[:64],
        event=event, occurred_at=occurred_at, local_id=local_id[:64], traits=traits,
    )


@transaction.atomic
def attach_pending_encounter(pending: PendingEncounter, patient, *, by, channel: str = "web", request=None) -> str:
    """Identity vigilance found the patient: the movement is applied to him now (timeline, team notified)."""
    if not access_selectors.has_role(by, "identity_vigilance", "agency_admin"):
        raise PermissionDenied(_("Cet écran est réservé à la cellule d'identitovigilance."))
    permissions.require(by, "read", patient, channel=channel, request=request)
    if pending.status != PendingEncounter.Status.OPEN:
        raise ValidationError({"pending": [_("Ce mouvement a déjà été traité.")]})
    pending.status, pending.patient, pending.decided_by, pending.decided_at = (
        PendingEncounter.Status.ATTACHED, patient, by, timezone.now())
    pending.save(update_fields=["status", "patient", "decided_by", "decided_at"])
    notice = EncounterNotice(event=pending.event, occurred_at=pending.occurred_at, facility=pending.organisation_name,
                             source=pending.source)
    return record_encounter(patient, notice, channel=channel)


@transaction.atomic
def add_telemonitoring_summary(patient, *, title: str, detail: str, source: str, occurred_at, data: dict,
                               channel: str) -> TimelineEvent | None:
    """A monitoring vendor's summary on the timeline; the team is told in the app (no e-mail)."""
    record = CoordinationRecord.objects.filter(patient=patient).first()
    if record is None:
        return None
    event = _event(record, Kind.TELEMONITORING, title, detail=detail, source=source, occurred_at=occurred_at, data=data)
    audit.record(actor=None, action="create", channel=channel, patient_id=patient.pk, object_type="coordination.TimelineEvent",
                 object_id=str(event.pk), justification=source[:200])
    for member in active_members(record):
        notify(member.professional, kind="coordination.telemonitoring", title=_("Télésurveillance : %(patient)s") % {
            "patient": record.patient.display_name}, body=title, link=record_link(record), email=False)
    return event
