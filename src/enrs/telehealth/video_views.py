"""Screens of the video rooms (teleconsultation): thin views over ``rooms``.

``/telesante/teleconsultation/``: the professional's list (today's teleconsultation appointments of
his agendas, his rooms, a form to open one), the patient's invitations. ``/telesante/salle/<id>/``:
the room (consent, waiting room, video; the media run in ``static/telehealth/room.js``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrs.agenda import selectors as agenda_selectors
from enrs.core import permissions
from enrs.core.forms import add_service_errors
from enrs.telehealth import forms, rooms, services
from enrs.telehealth.models import RoomInvitation, VideoRoom
from enrs.telehealth.views import professional_required


def _teleconsultation_appointments(user) -> list:
    """Today's and tomorrow's teleconsultation appointments of the agendas the professional manages."""
    today = timezone.localdate()
    found = []
    for agenda in agenda_selectors.agendas_managed_by(user)[:50]:
        for day in (today, today + dt.timedelta(days=1)):
            found += [a for a in agenda_selectors.day_appointments(agenda, day) if a.motif.mode == "teleconsultation" and a.patient_id]
    return sorted(found, key=lambda a: a.start)


def _my_rooms(user):
    return (permissions.filter_allowed(user, "read", VideoRoom.objects.all())
            .filter(closes_at__gt=timezone.now()).exclude(status=VideoRoom.Status.ENDED).order_by("opens_at")[:100])


@login_required
def teleconsultations(request):
    form = forms.TeleconsultationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if request.user.kind == request.user.Kind.PATIENT:
            raise PermissionDenied(_("Cet écran est réservé aux professionnels."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                room, _token = rooms.create_teleconsultation(
                    request.user, patient=data["patient"], title=data["title"], opens_at=data["starts_at"],
                    duration_minutes=data["duration_minutes"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Salle ouverte ; le patient a reçu son invitation."))
                return redirect("telehealth:room", room.pk)
    is_pro = request.user.kind != request.user.Kind.PATIENT
    context = {
        "rooms": _my_rooms(request.user), "form": form, "is_pro": is_pro,
        "appointments": _teleconsultation_appointments(request.user) if is_pro else [],
    }  # fmt: skip
    return render(request, "telehealth/teleconsultations.html", context, status=400 if form.errors else 200)


@professional_required
@require_POST
def room_from_appointment(request):
    form = forms.AppointmentRoomForm(request.POST)
    appointment = agenda_selectors.appointment_by_identifier(form.cleaned_data["appointment"]) if form.is_valid() else None
    if appointment is None:
        return _error(request, _("Rendez-vous inconnu."))
    try:
        room, token = rooms.room_for_appointment(request.user, appointment)
    except ValidationError as error:
        return _error(request, " ".join(error.messages))
    if token:
        messages.success(request, _("Salle ouverte ; le patient a reçu son invitation."))
    return redirect("telehealth:room", room.pk)


def _error(request, message: str, status: int = 400):
    return render(request, "telehealth/room_refused.html", {"message": message, "heading": _("Salle non ouverte")}, status=status)


def _refused(request, refusal: rooms.RoomRefusal):
    status = {rooms.EXPIRED: 410, rooms.FULL: 409}.get(refusal.code, 403)
    return render(request, "telehealth/room_refused.html", {"message": refusal.message}, status=status)


def _room_or_none(pk) -> VideoRoom | None:
    return VideoRoom.objects.select_related("patient", "host").filter(pk=pk).first()


@login_required
def room(request, pk: int):
    video_room = _room_or_none(pk)
    try:
        invitation = rooms.entry_invitation(request.user, video_room)
    except rooms.RoomRefusal as refusal:
        return _refused(request, refusal)
    permissions.require(request.user, "read", video_room, channel="web", request=request)
    is_patient = rooms.is_room_patient(video_room, request.user)
    is_host = invitation.role == RoomInvitation.Role.HOST
    context = {
        "room": video_room, "invitation": invitation, "is_host": is_host, "is_patient": is_patient,
        "consent": rooms.consent_state(video_room), "consent_form": forms.ConsentForm(),
        "third_form": forms.ThirdPartyForm(), "ice_servers": rooms.ice_servers(request.user),
        "participants": video_room.invitations.select_related("user").order_by("pk"),
        "documents": video_room.documents.order_by("uploaded_at"), "document_form": forms.SessionDocumentForm(),
        "close_form": forms.CloseSessionForm() if is_host and video_room.kind == VideoRoom.Kind.TELECONSULTATION else None,
    }  # fmt: skip
    return render(request, "telehealth/room.html", context)


@login_required
def room_join(request, pk: int, token: str):
    try:
        rooms.redeem(request.user, pk, token)
    except rooms.RoomRefusal as refusal:
        return _refused(request, refusal)
    return redirect("telehealth:room", pk)


@login_required
@require_POST
def room_consent(request, pk: int):
    video_room = _room_or_none(pk)
    form = forms.ConsentForm(request.POST)
    try:
        rooms.entry_invitation(request.user, video_room)
        if not form.is_valid():
            return _error(request, _("Indiquez si vous acceptez ou refusez la téléconsultation."))
        rooms.record_consent(request.user, video_room, given=form.cleaned_data["decision"] == "given")
    except rooms.RoomRefusal as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        return _error(request, " ".join(error.messages))
    return redirect("telehealth:room", pk)


@professional_required
@require_POST
def room_invite(request, pk: int):
    video_room = _room_or_none(pk)
    form = forms.ThirdPartyForm(request.POST)
    if video_room is None:
        return _refused(request, rooms.RoomRefusal(rooms.NOT_INVITED, _("Vous n'êtes pas invité à cette salle.")))
    if not form.is_valid():
        return _error(request, _("Indiquez le RPPS du professionnel à inviter et son rôle."))
    try:
        invitee = services.resolve_expert(form.cleaned_data["rpps"])
        rooms.invite(request.user, video_room, invitee, role=form.cleaned_data["role"])
    except ValidationError as error:
        return _error(request, " ".join(error.messages).replace(_("Expert inconnu"), _("Professionnel inconnu")))
    messages.success(request, _("%(name)s est invité ; il a reçu le lien.") % {"name": rooms.display_name(invitee)})
    return redirect("telehealth:room", pk)


@login_required
@require_POST
def room_document(request, pk: int):
    from enrs.telehealth import closing

    video_room = _room_or_none(pk)
    form = forms.SessionDocumentForm(request.POST, request.FILES)
    try:
        rooms.entry_invitation(request.user, video_room)
        if not form.is_valid():
            return _error(request, _("Choisissez le document à partager."))
        upload = form.cleaned_data["document"]
        closing.share_document(request.user, video_room, name=upload.name, data=upload.read())
    except rooms.RoomRefusal as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        return _error(request, " ".join(error.messages))
    messages.success(request, _("Document partagé avec les participants."))
    return redirect("telehealth:room", pk)


@login_required
def room_document_file(request, pk: int):
    from django.core.files.storage import storages
    from django.http import FileResponse, Http404

    from enrs.telehealth.models import SessionDocument

    document = SessionDocument.objects.select_related("room").filter(pk=pk).first()
    if document is None:
        raise Http404(_("Document introuvable."))
    try:
        rooms.entry_invitation(request.user, document.room)
    except rooms.RoomRefusal as refusal:
        return _refused(request, refusal)
    permissions.require(request.user, "read", document.room, channel="web", request=request)
    handle = storages["documents"].open(document.storage_name, "rb")
    return FileResponse(handle, content_type=document.media_type, as_attachment=True, filename=document.file_name)


@professional_required
@require_POST
def room_close(request, pk: int):
    from enrs.telehealth import closing

    video_room = _room_or_none(pk)
    form = forms.CloseSessionForm(request.POST)
    if video_room is None:
        return _refused(request, rooms.RoomRefusal(rooms.NOT_INVITED, _("Vous n'êtes pas invité à cette salle.")))
    if not form.is_valid():
        errors = " ".join(f"{form.fields[k].label} : {' '.join(v)}" for k, v in form.errors.items() if k in form.fields)
        return _error(request, _("Rien n'a été enregistré : %(errors)s") % {"errors": errors})
    data = form.cleaned_data
    try:
        closed = closing.close_teleconsultation(
            request.user, video_room, template_code="teleconsultation", billing_code=data["billing_code"],
            fields={k: data[k] for k in ("reason", "findings", "conclusion")}, mssante_to=data["mssante_to"],
        )  # fmt: skip
    except ValidationError as error:
        return _error(request, " ".join(error.messages))
    messages.success(request, _("Téléconsultation close : compte rendu versé au dossier de coordination, acte %(code)s enregistré.")
                     % {"code": closed.act.billing_code})
    if closed.dispatch_status and closed.dispatch_status != "sent":
        messages.warning(request, _("L'envoi MSSanté n'a pas abouti (%(status)s).") % {"status": closed.dispatch_status})
    return redirect("telehealth:teleconsultations")


@professional_required
@require_POST
def room_for_kind(request):
    """Open (or re-enter) the video room of a tele-expertise or a meeting: ``kind`` + ``id`` in the body."""
    from enrs.telehealth.models import ExpertiseRequest, Meeting

    kind, raw = request.POST.get("kind", ""), request.POST.get("id", "")
    model = {"expertise": ExpertiseRequest, "meeting": Meeting}.get(kind)
    target = model.objects.filter(pk=int(raw)).first() if model is not None and raw.isdigit() and len(raw) < 18 else None
    if target is None:
        return _error(request, _("Télé-expertise ou réunion introuvable."))
    try:
        video_room = rooms.room_for_expertise(request.user, target) if kind == "expertise" else rooms.room_for_meeting(request.user, target)
    except ValidationError as error:
        return _error(request, " ".join(error.messages))
    return redirect("telehealth:room", video_room.pk)
