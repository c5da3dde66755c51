"""Screens of the coordination record for professionals (thin: forms validate, services decide).

Every object is resolved inside the record named in the URL (a document of
another record is a 404), then checked by the permission API, which trails
the access. Actions are POSTs answered by a redirect (success) or the record
page with the form errors (400).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enrs.access import selectors as access_selectors
from enrs.core.forms import add_service_errors
from enrs.coordination import codes, export, selectors, services
from enrs.coordination.forms import (
    AttachForm,
    DeprecateForm,
    DocumentForm,
    IdForm,
    MemberForm,
    NoteForm,
    OpenRecordForm,
    PageForm,
    PathwayForm,
    TaskForm,
    VisibilityForm,
)
from enrs.coordination.models import CoordinationRecord, Document, PendingEncounter
from enrs.core import permissions
from enrs.identity.models import Patient

CHANNEL = "web"


def care_role_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        # The viewer's roles are read once for the whole request (every permission check of the
        # page asks for them; no coordination action changes roles).
        with access_selectors.roles_cached():
            if not access_selectors.has_role(request.user, *access_selectors.CARE_ROLES):
                raise PermissionDenied(_("Le dossier de coordination est réservé aux professionnels et coordinateurs."))
            return view(request, *args, **kwargs)

    return wrapper


def _record(request, pk: int, action: str = "read") -> CoordinationRecord:
    record = get_object_or_404(CoordinationRecord.objects.select_related("patient"), pk=pk)
    permissions.require(request.user, action, record, channel=CHANNEL, request=request)
    return record


# --- Home ----------------------------------------------------------------------------------------
@require_GET
@care_role_required
def home(request):
    form = PageForm(request.GET)
    if not form.is_valid():
        return render(request, "coordination/home.html", {"form": form, "page": None}, status=400)
    records = Paginator(selectors.records_for(request.user), 25).get_page(form.cleaned_data.get("page") or 1)
    reachable = permissions.filter_allowed(request.user, "read", Patient.objects.active()).exclude(
        coordination_record__isnull=False).order_by("birth_name")[:50]
    return render(request, "coordination/home.html", {"form": form, "page": records, "patients": reachable})


@require_POST
@care_role_required
def open_record(request):
    form = OpenRecordForm(request.POST)
    patient = None
    if form.is_valid():
        patient = Patient.objects.filter(pk=form.cleaned_data["patient"]).first()
        if patient is None:
            form.add_error("patient", _("Patient introuvable."))
    if not form.is_valid():
        return render(request, "coordination/action_error.html", {"form": form, "record": None}, status=400)
    record = services.open_record(patient, by=request.user, channel=CHANNEL, request=request)
    return redirect("coordination:record", pk=record.pk)


# --- The record page -------------------------------------------------------------------------------
def _page(request, name: str) -> int:
    """?page= / ?docs=: anything unreadable falls back to the first page (Paginator.get_page)."""
    return request.GET.get(name) or 1


def _record_context(request, record: CoordinationRecord, **forms) -> dict:
    team = list(selectors.team(record))
    members = [m for m in team if m.is_active()]
    initial = {"record": record.pk}
    return {
        "record": record, "patient": record.patient, "members": members, "former_members": [m for m in team if not m.is_active()],
        "documents": selectors.window(selectors.documents(record, request.user), _page(request, "docs"), selectors.DOCUMENT_PAGE),
        "events": selectors.window(selectors.timeline(record), _page(request, "page"), selectors.TIMELINE_PAGE),
        "tasks": selectors.open_tasks(record), "pathways": record.pathways.all(),
        "can_update": permissions.can(request.user, "update", record),
        "member_form": forms.get("member_form") or MemberForm(initial=initial),
        "note_form": forms.get("note_form") or NoteForm(initial=initial),
        "task_form": forms.get("task_form") or TaskForm(members=members, initial=initial),
        "pathway_form": forms.get("pathway_form") or PathwayForm(initial=initial),
        "document_form": forms.get("document_form") or DocumentForm(initial=initial),
        "action_form": forms.get("action_form"),
    }


@require_GET
@care_role_required
def record(request, pk: int):
    record = _record(request, pk)
    return render(request, "coordination/record.html", _record_context(request, record))


def _posted_record(request, data) -> CoordinationRecord | None:
    """The record named in the body, checked for update (403 when refused), or None when unreadable/unknown."""
    try:
        pk = int(data.get("record", ""))
    except (TypeError, ValueError):
        return None
    record = CoordinationRecord.objects.select_related("patient").filter(pk=pk).first()
    if record is not None:
        permissions.require(request.user, "update", record, channel=CHANNEL, request=request)
    return record


def _act(request, form, form_name: str, action, success: str):
    """Resolve the record, validate, run ``action(record, cleaned_data)``; errors go back to the page (400).

    ``form`` is a bound form, or a function of the record (or None) building it.
    """
    record = _posted_record(request, request.POST)
    form = form(record) if callable(form) and not isinstance(form, Form) else form
    if record is None:
        form.is_valid()
        form.add_error(None, _("Dossier de coordination introuvable."))
        return render(request, "coordination/action_error.html", {"form": form}, status=400)
    if form.is_valid():
        try:
            action(record, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("coordination:record", pk=record.pk)
    return render(request, "coordination/record.html", _record_context(request, record, **{form_name: form}), status=400)


@require_POST
@care_role_required
def add_member(request):
    def action(record, data):
        end = services.end_of_day(data["end"]) if data.get("end") else None
        services.add_member(record, data["rpps"].user, role=data["role"], organisation=data["organisation"],
                            referent=data["referent"], end=end, by=request.user, channel=CHANNEL, request=request)

    return _act(request, MemberForm(request.POST), "member_form", action, _("Le professionnel a rejoint l'équipe de soins."))


@require_POST
@care_role_required
def end_member(request):
    def action(record, data):
        member = _one_of(record.team, data["id"], _("Membre introuvable dans cette équipe."))
        services.end_member(member, by=request.user, channel=CHANNEL, request=request)

    return _act(request, IdForm(request.POST), "action_form", action, _("Le professionnel a quitté l'équipe."))


@require_POST
@care_role_required
def add_note(request):
    def action(record, data):
        services.add_note(record, data["text"], by=request.user, channel=CHANNEL, request=request)

    return _act(request, NoteForm(request.POST), "note_form", action, _("Note ajoutée."))


@require_POST
@care_role_required
def add_task(request):
    def action(record, data):
        members = selectors.active_team(record)
        assignee = next((m.professional for m in members if m.professional_id == data.get("assignee")), None)
        if data.get("assignee") and assignee is None:
            raise ValidationError({"assignee": [_("La tâche doit être attribuée à un membre actif de l'équipe.")]})
        services.create_task(record, title=data["title"], due_date=data.get("due_date"), assignee=assignee,
                             by=request.user, channel=CHANNEL, request=request)

    def form(record):
        return TaskForm(request.POST, members=selectors.active_team(record) if record else [])

    return _act(request, form, "task_form", action, _("Tâche créée."))


@require_POST
@care_role_required
def complete_task(request):
    def action(record, data):
        task = _one_of(record.tasks, data["id"], _("Tâche introuvable dans ce dossier."))
        services.complete_task(task, by=request.user, channel=CHANNEL, request=request)

    return _act(request, IdForm(request.POST), "action_form", action, _("Tâche marquée comme faite."))


@require_POST
@care_role_required
def start_pathway(request):
    def action(record, data):
        services.start_pathway(record, data["template"], start_date=data["start_date"], by=request.user, channel=CHANNEL,
                               request=request)

    return _act(request, PathwayForm(request.POST), "pathway_form", action, _("Parcours démarré : ses étapes sont dans les tâches."))


# --- Documents -------------------------------------------------------------------------------------
def _one_of(rows, pk: int, message: str):
    """The row ``pk`` among ``rows`` (objects of the posted record), or a form error."""
    found = rows.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"id": [message]})
    return found


def _document(record, document_id) -> Document:
    return _one_of(record.documents, document_id, _("Document introuvable dans ce dossier."))


@require_POST
@care_role_required
def upload_document(request):
    form = DocumentForm(request.POST, request.FILES)

    def action(record, data):
        replaces = None
        if data.get("replaces"):
            replaces = Document.objects.filter(record=record, pk=data["replaces"]).first()
            if replaces is None:
                raise ValidationError({"replaces": [_("Document à remplacer introuvable dans ce dossier.")]})
        upload = data["file"]
        if upload.size > services.max_upload_bytes():
            raise ValidationError({"file": [_("Fichier trop volumineux (%(max)d Mo au plus).") % {"max": services.max_upload_bytes() // 1_000_000}]})
        services.store_document(record, upload.read(), filename=upload.name, meta=form.metadata(), by=request.user,
                                replaces=replaces, channel=CHANNEL, request=request)

    return _act(request, form, "document_form", action, _("Document déposé."))


@require_GET
@care_role_required
def download_document(request, pk: int, document_id: int):
    record = _record(request, pk)
    document = get_object_or_404(Document, record=record, pk=document_id)
    data = services.read_document(document, by=request.user, channel=CHANNEL, request=request)
    return file_response(document, data)


def file_response(document: Document, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=document.media_type)
    safe_name = "".join(ch for ch in document.file_name if ch.isalnum() or ch in "._- ") or "document"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@care_role_required
def document_detail(request, pk: int, document_id: int):
    record = _record(request, pk)
    document = get_object_or_404(Document.objects.select_related("organisation"), record=record, pk=document_id)
    permissions.require(request.user, "read", document, channel=CHANNEL, request=request)
    chain = [d for d in selectors.versions(document) if permissions.can(request.user, "read", d)]
    return render(request, "coordination/document.html", {
        "record": record, "patient": record.patient, "document": document, "versions": chain,
        "can_update": permissions.can(request.user, "update", record), "type_label": codes.type_label(document.type_code),
        "class_label": codes.class_label(document.class_code), "document_form": DocumentForm(initial={
            "record": record.pk, "replaces": document.pk, "title": document.title, "type_code": document.type_code,
            "confidentiality": document.confidentiality, "visible_to_patient": document.visible_to_patient}),
    })


@require_POST
@care_role_required
def document_visibility(request):
    def action(record, data):
        document = _document(record, data["id"])
        permissions.require(request.user, "read", document, channel=CHANNEL, request=request)
        services.set_patient_visibility(document, data["visible"], by=request.user, channel=CHANNEL, request=request)

    return _act(request, VisibilityForm(request.POST), "action_form", action, _("Visibilité pour le patient mise à jour."))


@require_POST
@care_role_required
def deprecate_document(request):
    def action(record, data):
        document = _document(record, data["id"])
        permissions.require(request.user, "read", document, channel=CHANNEL, request=request)
        services.deprecate_document(document, reason=data["reason"], by=request.user, channel=CHANNEL, request=request)

    return _act(request, DeprecateForm(request.POST), "action_form", action, _("Document retiré."))


@require_GET
@care_role_required
def export_document(request, pk: int, document_id: int):
    """The DMP-ready package (ZIP: CDA R2 with the INS in its header, the content, the XDS metadata)."""
    record = _record(request, pk, "export")
    document = get_object_or_404(Document, record=record, pk=document_id)
    try:
        package = export.dmp_package(document, by=request.user, channel=CHANNEL, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("coordination:document", pk=record.pk, document_id=document.pk)
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="dmp-{document.pk}.zip"'
    return response


# --- Identity vigilance: movements about unknown patients ------------------------------------------------
def _vigilance(user) -> bool:
    return access_selectors.has_role(user, "identity_vigilance", "agency_admin")


@login_required
def pending_encounters(request):
    if not _vigilance(request.user):
        raise PermissionDenied(_("Cet écran est réservé à la cellule d'identitovigilance."))
    form = AttachForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            pending = PendingEncounter.objects.filter(pk=form.cleaned_data["id"]).first()
            patient = Patient.objects.active().filter(pk=form.cleaned_data["patient"]).first()
            if pending is None or patient is None:
                form.add_error(None, _("Mouvement ou identité introuvable."))
            else:
                try:
                    services.attach_pending_encounter(pending, patient, by=request.user, channel=CHANNEL, request=request)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("Mouvement rattaché à l'identité."))
                    return redirect("coordination:pending_encounters")
    status = 400 if request.method == "POST" else 200
    return render(request, "coordination/pending.html", {"form": form, "rows": selectors.open_pending_encounters()[:200]},
                  status=status)
