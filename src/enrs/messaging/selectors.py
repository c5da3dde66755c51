"""Reads of the messaging app; every object read by a user goes through the permission API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from enrs.core import permissions
from enrs.messaging.models import (
    Conversation,
    Message,
    Participant,
    ParticipantRemoval,
    PatientConversation,
    PatientRequest,
    Request,
    RequestType,
    Team,
)


# --- Chat ----------------------------------------------------------------------------------------
def _as_proxy(proxy_model, obj):
    """The same row as an instance of its proxy model (whose permission rule trails the access)."""
    proxy = proxy_model(pk=obj.pk)
    proxy.__dict__.update({k: v for k, v in obj.__dict__.items() if not k.startswith("_")})
    return proxy


def require_conversation(user, conversation: Conversation, *, action: str = "read", channel: str, request=None) -> None:
    """The gate of every conversation access: a trail line when the conversation concerns a patient."""
    target = _as_proxy(PatientConversation, conversation) if conversation.is_patient_related else conversation
    permissions.require(user, action, target, channel=channel, request=request)


def conversation_for(user, pk, *, action: str = "read", channel: str, request=None) -> Conversation:
    conversation = Conversation.objects.select_related("patient", "created_by", "closed_by").filter(pk=pk).first()
    if conversation is None:
        raise Http404
    require_conversation(user, conversation, action=action, channel=channel, request=request)
    return conversation


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    unread: int


def conversations_of(user) -> list[ConversationRow]:
    """The user's conversations, most recent first, with the number of unread messages."""
    rows = (
        Participant.objects.filter(user=user)
        .select_related("conversation", "conversation__patient")
        .annotate(unread=F("conversation__last_seq") - F("last_read_seq"))
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation__created_at")
    )
    return [ConversationRow(row.conversation, max(0, row.unread)) for row in rows]


def unread_total(user) -> int:
    total = Participant.objects.filter(user=user).aggregate(
        n=Sum(F("conversation__last_seq") - F("last_read_seq"))
    )["n"]
    return int(total or 0)


def conversation_ids_of(user) -> list[int]:
    return list(Participant.objects.filter(user=user).values_list("conversation_id", flat=True))


def history(conversation: Conversation, *, limit: int = 100, before_seq: int | None = None) -> list[Message]:
    messages = Message.objects.filter(conversation=conversation).select_related("sender", "attachment")
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    return list(reversed(messages.order_by("-seq")[:limit]))


def participants(conversation: Conversation) -> list[Participant]:
    return list(conversation.participants.select_related("user").order_by("joined_at", "pk"))


def read_by(conversation: Conversation, message: Message) -> list[Participant]:
    """Participants other than the sender who have read ``message`` (its read receipts)."""
    return [
        p for p in participants(conversation) if p.user_id != message.sender_id and p.last_read_seq >= message.seq
    ]


def may_close(user, conversation: Conversation) -> bool:
    from enrs.messaging.services import is_professional

    return conversation.is_open and is_professional(user) and conversation.participants.filter(
        user=user, is_patient=False
    ).exists()


def may_add_participants(user, conversation: Conversation) -> bool:
    return conversation.kind != Conversation.Kind.DIRECT and may_close(user, conversation)


def removals(conversation: Conversation) -> list[ParticipantRemoval]:
    """Past participations (removed or left), oldest first, for the history under the participant list."""
    return list(conversation.removals.select_related("user", "removed_by"))


def removable_ids(user, conversation: Conversation, participants_: list[Participant]) -> set[int]:
    """Whom ``user`` may be offered to remove (the service still judges each removal)."""
    if not may_add_participants(user, conversation):
        return set()
    return {p.user_id for p in participants_ if not p.is_patient and p.user_id != user.pk}


def patients_reachable(user) -> QuerySet:
    from enrs.identity.models import Patient

    return permissions.filter_allowed(user, "read", Patient.objects.all()).order_by("birth_name", "pk")


def attachment_visible_to(user, attachment_id: int):
    """The attachment if ``user`` may see the message or request comment it belongs to, else ``None``."""
    from enrs.messaging.models import Attachment, RequestComment

    message = Message.objects.filter(attachment_id=attachment_id).select_related("conversation").first()
    if message is not None:
        return message.conversation, Attachment.objects.get(pk=attachment_id)
    comment = RequestComment.objects.filter(attachment_id=attachment_id).select_related("request").first()
    if comment is not None:
        return comment.request, Attachment.objects.get(pk=attachment_id)
    return None


# --- e-Demande ------------------------------------------------------------------------------------
def request_types() -> QuerySet[RequestType]:
    return RequestType.objects.filter(active=True)


def teams() -> QuerySet[Team]:
    return Team.objects.select_related("organisation")


def require_request(user, obj: Request, *, action: str = "read", channel: str, request=None) -> None:
    target = _as_proxy(PatientRequest, obj) if obj.patient_id else obj
    permissions.require(user, action, target, channel=channel, request=request)


def request_for(user, pk, *, action: str = "read", channel: str, request=None) -> Request:
    obj = (
        Request.objects.select_related("request_type", "created_by", "to_user", "to_team", "to_organisation",
                                       "patient", "professional", "assignee")
        .filter(pk=pk).first()
    )  # fmt: skip
    if obj is None:
        raise Http404
    require_request(user, obj, action=action, channel=channel, request=request)
    return obj


@dataclass(frozen=True)
class WorklistFilters:
    status: str = ""
    type_code: str = ""
    scope: str = ""  # "" all visible, "to_me" addressed/assigned to me, "mine" created by me
    overdue: bool = False
    number: str = ""


def _visible_requests(user) -> QuerySet[Request]:
    return Request.objects.filter(pk__in=permissions.filter_allowed(user, "read", Request.objects.all()).values("pk"))


def worklist(user, filters: WorklistFilters) -> QuerySet[Request]:
    """Requests the user may see, filtered; ordered by due date (most urgent first)."""
    rows = _visible_requests(user).select_related(
        "request_type", "to_user", "to_team", "to_organisation", "assignee", "patient", "professional"
    )
    if filters.number:
        rows = rows.filter(pk=int(filters.number))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.type_code:
        rows = rows.filter(request_type__code=filters.type_code)
    if filters.scope == "mine":
        rows = rows.filter(created_by=user)
    elif filters.scope == "to_me":
        rows = rows.filter(Q(to_user=user) | Q(assignee=user) | Q(to_team__members=user)).distinct()
    if filters.overdue:
        rows = rows.filter(due_date__lt=timezone.localdate()).exclude(status__in=CLOSED_STATUSES)
    return rows.order_by("due_date", "pk")


CLOSED_STATUSES = (Request.Status.DONE, Request.Status.REFUSED, Request.Status.CANCELLED)


def worklist_counters(user, *, today: dt.date | None = None) -> dict[str, int]:
    """Counts per status over the visible requests, plus the overdue ones."""
    today = today or timezone.localdate()
    visible = _visible_requests(user)
    counts = {status: 0 for status in Request.Status.values}
    counts.update(dict(visible.values_list("status").annotate(n=Count("pk")).values_list("status", "n")))
    counts["overdue"] = visible.filter(due_date__lt=today).exclude(status__in=CLOSED_STATUSES).count()
    return counts


def request_audience(obj: Request) -> list:
    """Everyone concerned by a request: requester, assignee and addressees (for notifications)."""
    from enrs.directory.models import Professional

    users = {obj.created_by_id: obj.created_by}
    if obj.assignee_id:
        users[obj.assignee_id] = obj.assignee
    if obj.to_user_id:
        users[obj.to_user_id] = obj.to_user
    if obj.to_team_id:
        users.update({u.pk: u for u in obj.to_team.members.all()})
    if obj.to_organisation_id and not obj.assignee_id:
        professionals = Professional.objects.filter(
            situations__organisation=obj.to_organisation, situations__active=True, user__isnull=False
        ).select_related("user")
        users.update({p.user.pk: p.user for p in professionals})
    return list(users.values())
