"""Messaging screens: chat (HTTP fallback of the WebSocket), e-Demande worklist and forms, MSSanté."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrs.core.forms import add_service_errors
from enrs.messaging import attachments as attachment_store
from enrs.messaging import demandes, events, forms, mssante, selectors, services
from enrs.messaging.models import Conversation, MssanteDispatch, RequestType


def _professional_required(request) -> None:
    if not services.is_professional(request.user):
        raise PermissionDenied(_("Réservé aux professionnels."))


def _posted(request):
    """The POST data when the method is POST (an empty POST is still a submission), else None."""
    return request.POST if request.method == "POST" else None


def _upload(form, name: str = "attachment") -> tuple[bytes | None, str]:
    upload = form.cleaned_data.get(name)
    return (upload.read(), upload.name) if upload else (None, "")


# --- Chat ------------------------------------------------------------------------------------
@login_required
def inbox(request):
    return render(request, "messaging/inbox.html", {
        "rows": selectors.conversations_of(request.user), "can_open": services.is_professional(request.user),
        "nav_section": "messaging",
    })  # fmt: skip


@login_required
def new_conversation(request):
    _professional_required(request)
    patients = selectors.patients_reachable(request.user)
    form = forms.ConversationForm(_posted(request), patients=patients)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = services.open_conversation(
                request.user, kind=data["kind"], members=data["members"], title=data["title"], patient=data["patient"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("messaging:conversation", conversation.pk)
    return render(request, "messaging/new_conversation.html", {"form": form}, status=400 if form.errors else 200)


def _conversation_context(request, conversation, form=None, add_form=None) -> dict:
    history = selectors.history(conversation)
    participants = selectors.participants(conversation)
    return {
        "conversation": conversation,
        "history": history,
        "participants": participants,
        "removable": selectors.removable_ids(request.user, conversation, participants),
        "removals": selectors.removals(conversation),
        "form": form or forms.MessageForm(initial={"client_id": uuid.uuid4()}),
        "may_close": selectors.may_close(request.user, conversation),
        "may_add": selectors.may_add_participants(request.user, conversation),
        "add_form": add_form or forms.AddParticipantsForm(),
        "ws_path": "/ws/messagerie/",
    }


@login_required
def conversation(request, pk: int):
    conversation = selectors.conversation_for(request.user, pk, channel="web", request=request)
    if conversation.last_seq:
        seq = services.mark_read(request.user, conversation, conversation.last_seq)
        events.broadcast(conversation.pk, events.receipt_payload(conversation.pk, request.user.pk, seq))
    return render(request, "messaging/conversation.html", _conversation_context(request, conversation))


@login_required
@require_POST
def post_message(request, pk: int):
    conversation = selectors.conversation_for(request.user, pk, action="update", channel="web", request=request)
    form = forms.MessageForm(request.POST, request.FILES)
    if form.is_valid():
        data, filename = _upload(form)
        try:
            if data is not None:
                posted = services.post_with_file(request.user, conversation, client_id=form.cleaned_data["client_id"],
                                                 body=form.cleaned_data["body"], data=data, filename=filename)  # fmt: skip
            else:
                posted = services.post_message(request.user, conversation, client_id=form.cleaned_data["client_id"],
                                               body=form.cleaned_data["body"])  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if posted.created:
                events.broadcast(conversation.pk, events.message_payload(posted.message))
            return redirect(reverse("messaging:conversation", args=[pk]) + f"#m{posted.message.seq}")
    context = _conversation_context(request, conversation, form)
    return render(request, "messaging/conversation.html", context, status=400)


@login_required
@require_POST
def close(request, pk: int):
    conversation = selectors.conversation_for(request.user, pk, action="update", channel="web", request=request)
    try:
        conversation = services.close_conversation(request.user, conversation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        events.broadcast(conversation.pk, events.closed_payload(conversation))
        messages.success(request, _("La conversation est close."))
    return redirect("messaging:conversation", pk)


@login_required
@require_POST
def add_participants(request, pk: int):
    conversation = selectors.conversation_for(request.user, pk, action="update", channel="web", request=request)
    form = forms.AddParticipantsForm(request.POST)
    if form.is_valid():
        try:
            added = services.add_participants(request.user, conversation, form.cleaned_data["members"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            events.broadcast(conversation.pk, events.participants_payload(conversation.pk, added))
            messages.success(request, _("Participant(s) ajouté(s) : %(n)d.") % {"n": len(added)})
            return redirect("messaging:conversation", pk)
    context = _conversation_context(request, conversation, add_form=form)
    return render(request, "messaging/conversation.html", context, status=400)


@login_required
@require_POST
def remove_participant(request, pk: int, user_id: int):
    """Remove a participant, or leave (``user_id`` is the user's own): then back to the inbox."""
    conversation = selectors.conversation_for(request.user, pk, action="update", channel="web", request=request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        removal = services.remove_participant(request.user, conversation, user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("messaging:conversation", pk)
    events.broadcast(conversation.pk, events.removed_payload(removal), wrap=events.as_removal_event)
    if removal.left:
        messages.success(request, _("Vous avez quitté la conversation."))
        return redirect("messaging:inbox")
    messages.success(request, _("%(who)s a été retiré de la conversation.") % {"who": user.get_full_name() or user.email})
    return redirect("messaging:conversation", pk)


@login_required
def attachment(request, pk: int):
    found = selectors.attachment_visible_to(request.user, pk)
    if found is None:
        raise Http404
    owner, file = found
    if isinstance(owner, Conversation):
        selectors.require_conversation(request.user, owner, channel="web", request=request)
    else:
        selectors.require_request(request.user, owner, channel="web", request=request)
    return FileResponse(attachment_store.open_file(file), as_attachment=True, filename=file.filename,
                        content_type=file.media_type)  # fmt: skip


# --- e-Demande ----------------------------------------------------------------------------------
@login_required
def worklist(request):
    _professional_required(request)
    types = selectors.request_types()
    form = forms.WorklistForm(request.GET or None, types=types)
    filters = selectors.WorklistFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.WorklistFilters(data["status"], data["type"], data["scope"], data["overdue"], data["q"])
    return render(request, "messaging/worklist.html", {
        "form": form, "rows": selectors.worklist(request.user, filters)[:200],
        "counters": selectors.worklist_counters(request.user), "types": types,
        "statuses": demandes.Status.choices,
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
def new_request(request, code: str):
    _professional_required(request)
    request_type = get_object_or_404(RequestType, code=code, active=True)
    data_form = forms.dynamic_form_class(request_type)(_posted(request), prefix="f")
    kwargs = {"teams": selectors.teams(), "patients": selectors.patients_reachable(request.user)}
    addressee = forms.AddresseeForm(_posted(request), **kwargs)
    if request.method == "POST" and addressee.is_valid():
        raw = {field["name"]: request.POST.get(f"f-{field['name']}", "") for field in request_type.fields}
        try:
            obj = demandes.create_request(request.user, request_type, raw, **addressee.cleaned_data)
        except ValidationError as error:
            _split_errors(error, data_form, addressee)
        else:
            messages.success(request, _("Demande n° %(n)d envoyée.") % {"n": obj.pk})
            return redirect("messaging:request", obj.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "messaging/new_request.html",
                  {"request_type": request_type, "data_form": data_form, "addressee": addressee}, status=status)  # fmt: skip


def _split_errors(error: ValidationError, data_form, addressee) -> None:
    data_form.is_valid()
    for field, errors in getattr(error, "message_dict", {"__all__": error.messages}).items():
        if field in data_form.fields:
            data_form.errors[field] = data_form.error_class(errors)
        else:
            addressee.add_error(field if field in addressee.fields else None, errors)


def _request_context(request, obj, status_form=None, comment_form=None) -> dict:
    return {
        "obj": obj, "fields": obj.request_type.fields, "events": obj.events.select_related("actor"),
        "comments": obj.comments.select_related("author", "attachment"),
        "status_form": status_form or forms.StatusForm(), "comment_form": comment_form or forms.CommentForm(),
        "next_statuses": [(s, demandes.Status(s).label) for s in sorted(demandes.TRANSITIONS[obj.status])],
    }  # fmt: skip


@login_required
def request_detail(request, pk: int):
    obj = selectors.request_for(request.user, pk, channel="web", request=request)
    return render(request, "messaging/request.html", _request_context(request, obj))


@login_required
@require_POST
def request_status(request, pk: int):
    obj = selectors.request_for(request.user, pk, action="update", channel="web", request=request)
    form = forms.StatusForm(request.POST)
    if form.is_valid():
        try:
            demandes.change_status(request.user, obj, form.cleaned_data["status"],
                                   assignee=form.cleaned_data["assignee"], note=form.cleaned_data["note"])  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Statut mis à jour."))
            return redirect("messaging:request", pk)
    return render(request, "messaging/request.html", _request_context(request, obj, status_form=form), status=400)


@login_required
@require_POST
def request_comment(request, pk: int):
    obj = selectors.request_for(request.user, pk, action="update", channel="web", request=request)
    form = forms.CommentForm(request.POST, request.FILES)
    if form.is_valid():
        data, filename = _upload(form)
        try:
            demandes.add_comment(request.user, obj, body=form.cleaned_data["body"], data=data, filename=filename)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("messaging:request", pk)
    return render(request, "messaging/request.html", _request_context(request, obj, comment_form=form), status=400)


# --- MSSanté ------------------------------------------------------------------------------------
@login_required
def mssante_send(request):
    _professional_required(request)
    form = forms.MssanteForm(_posted(request), request.FILES if request.method == "POST" else None, patients=selectors.patients_reachable(request.user))
    if request.method == "POST" and form.is_valid():
        data, filename = _upload(form)
        try:
            dispatch = mssante.send(request.user, to_address=form.cleaned_data["to_address"],
                                    subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                                    data=data, filename=filename, patient=form.cleaned_data["patient"])  # fmt: skip
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if dispatch.status == MssanteDispatch.Status.SENT:
                messages.success(request, _("Message remis au serveur MSSanté."))
                return redirect("messaging:mssante")
            form.add_error(None, _("Le serveur MSSanté a refusé l'envoi ; votre message est conservé : %(e)s") % {"e": dispatch.error})
    sent = MssanteDispatch.objects.filter(sender=request.user)[:20]
    return render(request, "messaging/mssante.html", {"form": form, "sent": sent}, status=400 if form.errors else 200)
