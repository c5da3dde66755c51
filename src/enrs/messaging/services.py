"""Secure chat writes: opening, posting (persisted before acknowledgement), reading, closing, purging.

Rules (issue 7):
- only a professional opens a conversation; a patient never does;
- a conversation with a patient is closed by a professional participant only, and
  nobody (the patient included) can write once it is closed;
- a message is identified by its sender's client-generated id: sending it twice
  stores it once and returns the first copy (idempotent retries after a lost ack);
- around a patient (record or with the patient), the opener must reach the
  patient's record through the permission API.

Every refusal is a ``ChatError`` (a Django ``ValidationError``) with a French message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core import permissions
from enrs.messaging import attachments as attachment_store
from enrs.messaging import notifying
from enrs.messaging.models import Attachment, Conversation, Message, Participant, ParticipantRemoval

MAX_BODY_CHARS = 10_000
Kind = Conversation.Kind


class ChatError(ValidationError):
    """A refused chat action; the message is French and names what is wrong."""


def is_professional(user) -> bool:
    """Professionals and coordinators open conversations (never patients, never anonymous)."""
    from enrs.access import selectors as access_selectors

    return bool(access_selectors.roles_of(user) & access_selectors.CARE_ROLES)


# --- Opening --------------------------------------------------------------------------------------
def open_conversation(creator, *, kind: str, members=(), title: str = "", patient=None) -> Conversation:
    """Open a conversation; ``members`` are the other professionals (the patient is added by ``kind``)."""
    if not is_professional(creator):
        raise ChatError(_("Seul un professionnel peut ouvrir une conversation."))
    if kind not in Kind.values:
        raise ChatError(_("Type de conversation inconnu : « %(kind)s ».") % {"kind": kind})
    others = _other_members(creator, members)
    _check_shape(kind, others, patient)
    if patient is not None and not permissions.can(creator, "read", patient):
        raise ChatError(_("Vous n'avez pas accès au dossier de ce patient : impossible d'ouvrir une conversation à son sujet."))
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=kind, title=title.strip()[:200], patient=patient, created_by=creator
        )
        Participant.objects.bulk_create(
            [Participant(conversation=conversation, user=user) for user in [creator, *others]]
        )
        if kind == Kind.WITH_PATIENT:
            Participant.objects.create(conversation=conversation, user=patient.user, is_patient=True)
    return conversation


def _other_members(creator, members) -> list:
    unique = {user.pk: user for user in members if user.pk != creator.pk}
    for user in unique.values():
        if not is_professional(user):
            raise ChatError(
                _("%(who)s n'est pas un professionnel : seuls des professionnels peuvent être ajoutés.")
                % {"who": user.email}
            )
    return list(unique.values())


def _check_shape(kind: str, others: list, patient) -> None:
    if kind == Kind.DIRECT and len(others) != 1:
        raise ChatError(_("Une conversation entre deux professionnels a exactement un autre participant."))
    if kind == Kind.GROUP and not others:
        raise ChatError(_("Un groupe a au moins un autre participant."))
    if kind in (Kind.PATIENT_RECORD, Kind.WITH_PATIENT) and patient is None:
        raise ChatError(_("Choisissez le patient concerné."))
    if kind in (Kind.DIRECT, Kind.GROUP) and patient is not None:
        raise ChatError(_("Une conversation entre professionnels ne porte pas sur un patient : choisissez « autour du dossier d'un patient »."))
    if kind == Kind.WITH_PATIENT and patient.user_id is None:
        raise ChatError(_("Ce patient n'a pas de compte sur l'espace patient : impossible d'échanger avec lui."))


def _require_professional_participant(actor, conversation: Conversation, refusal: str) -> None:
    """Changing who takes part is for the conversation's professionals (never its patient, never an outsider)."""
    participation = Participant.objects.filter(conversation=conversation, user=actor).first()
    if participation is None or participation.is_patient or not is_professional(actor):
        raise ChatError(refusal)


# --- Adding participants -------------------------------------------------------------------------
def add_participants(actor, conversation: Conversation, users) -> list[Participant]:
    """A professional participant adds professionals to an open conversation.

    Rules: not to a conversation between two professionals (open a group instead), not
    to a closed one; only professionals are added (never a second patient); nobody
    twice; around a patient, each newcomer must reach the patient's record through
    the permission API (the conversation discloses it). The newcomers see the whole
    history, start with nothing unread, and are notified; who added them and when is
    kept on their participation. All or nothing: one refused newcomer adds nobody.
    """
    _require_professional_participant(actor, conversation, _("Seul un professionnel participant peut ajouter des participants."))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(of=("self",)).select_related("patient").get(pk=conversation.pk)
        if not locked.is_open:
            raise ChatError(_("Cette conversation est close : impossible d'y ajouter des participants."), code="closed")
        if locked.kind == Kind.DIRECT:
            raise ChatError(_("Une conversation entre deux professionnels ne s'élargit pas : ouvrez un groupe."))
        unique = list({user.pk: user for user in users}.values())
        if not unique:
            raise ChatError(_("Indiquez au moins un participant à ajouter."))
        present = set(Participant.objects.filter(conversation=locked, user__in=unique).values_list("user_id", flat=True))
        for user in unique:
            who = user.get_full_name() or user.email
            if user.pk in present:
                raise ChatError(_("%(who)s participe déjà à cette conversation.") % {"who": who})
            if not is_professional(user):
                raise ChatError(
                    _("%(who)s n'est pas un professionnel : seuls des professionnels peuvent être ajoutés.") % {"who": who}
                )
            if locked.patient is not None and not permissions.can(user, "read", locked.patient):
                raise ChatError(
                    _("%(who)s n'a pas accès au dossier de ce patient : impossible de l'ajouter à cette conversation.")
                    % {"who": who}
                )
        now = timezone.now()
        added = Participant.objects.bulk_create([
            Participant(conversation=locked, user=user, added_by=actor, joined_at=now, last_read_seq=locked.last_seq)
            for user in unique
        ])  # fmt: skip
        notifying.participants_added(locked, actor, unique)
    return added


# --- Removing participants -----------------------------------------------------------------------
def remove_participant(actor, conversation: Conversation, user) -> ParticipantRemoval:
    """A professional participant removes someone from an open conversation, or leaves it himself.

    Rules: not from a conversation between two professionals, not from a closed one;
    the patient of a conversation with a patient is never removed (closing ends the
    exchange); at least one professional stays (only a professional closes) and a
    group keeps two participants. The participation is deleted, so the removed person
    no longer reads, writes or is notified; ``ParticipantRemoval`` keeps the history.
    The removed person is notified (without any content of the conversation).
    """
    _require_professional_participant(actor, conversation, _("Seul un professionnel participant peut retirer des participants."))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
        members = list(Participant.objects.filter(conversation=locked).select_related("user"))
        leaving = next((p for p in members if p.user_id == user.pk), None)
        _check_removal(locked, leaving, user, [p for p in members if p is not leaving])
        removal = ParticipantRemoval.objects.create(
            conversation=locked, user=user, joined_at=leaving.joined_at, added_by=leaving.added_by, removed_by=actor,
        )
        leaving.delete()
        if user.pk != actor.pk:
            notifying.participant_removed(actor, user)
    return removal


def _check_removal(conversation: Conversation, leaving: Participant | None, user, staying: list[Participant]) -> None:
    if not conversation.is_open:
        raise ChatError(_("Cette conversation est close : impossible d'en retirer des participants."), code="closed")
    if conversation.kind == Kind.DIRECT:
        raise ChatError(_("Une conversation entre deux professionnels ne se réduit pas : personne ne peut en être retiré."))
    who = user.get_full_name() or user.email
    if leaving is None:
        raise ChatError(_("%(who)s ne participe pas à cette conversation.") % {"who": who})
    if leaving.is_patient:
        raise ChatError(_("Le patient ne peut pas être retiré : clore la conversation met fin à l'échange avec lui."))
    if not any(not p.is_patient for p in staying):
        raise ChatError(_("Au moins un professionnel doit rester dans la conversation : lui seul peut la clore."))
    if conversation.kind == Kind.GROUP and len(staying) < 2:
        raise ChatError(_("Un groupe garde au moins deux participants : clore la conversation si l'échange est terminé."))


# --- Posting --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool  # False when the client id had already been stored (a retry)


def _participant(user, conversation: Conversation) -> Participant:
    participant = Participant.objects.filter(conversation=conversation, user=user).first()
    if participant is None:
        raise ChatError(_("Vous ne participez pas à cette conversation."))
    return participant


def _clean_client_id(client_id) -> uuid.UUID:
    try:
        return client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        raise ChatError(_("Identifiant de message invalide : un UUID est attendu.")) from None


def _clean_body(body, attachment) -> str:
    if not isinstance(body, str):
        raise ChatError(_("Le message doit être du texte."))
    body = body.strip()
    if not body and attachment is None:
        raise ChatError(_("Le message est vide."))
    if len(body) > MAX_BODY_CHARS:
        raise ChatError(
            _("Le message dépasse %(max)d caractères (%(n)d) : découpez-le.") % {"max": MAX_BODY_CHARS, "n": len(body)}
        )
    return body


@dataclass(frozen=True)
class PostRequest:
    """One message to store: what a socket or a form sent."""

    user: object
    conversation_id: int
    client_id: object
    body: str = ""
    attachment: Attachment | None = None


def post_message(user, conversation: Conversation, *, client_id, body: str = "", attachment: Attachment | None = None) -> Posted:
    """Store a message and return it; the caller acknowledges and broadcasts only after this returns."""
    (result,) = post_many([PostRequest(user, conversation.pk, client_id, body, attachment)])
    if isinstance(result, ChatError):
        raise result
    return result


def post_many(requests: list[PostRequest]) -> list[Posted | ChatError]:
    """Store a batch of messages in one transaction (group commit); one result per request, in order.

    The WebSocket consumers of a process hand their sends to one writer that calls
    this with whatever queued while the previous batch was being stored: one lock of
    the conversations, one insert, one commit for all of them, instead of a
    transaction per message. Each request is still judged on its own (participant,
    conversation open, body, client id): a refused one is a ``ChatError`` in its slot
    and does not stop the others. A client id already stored by its sender (a retry
    after a lost ack), or repeated in the batch, returns the first copy
    (``created=False``). Nothing is acknowledged before this returns, i.e. after commit.
    """
    results: list[Posted | ChatError | None] = [None] * len(requests)
    valid: list[tuple[int, PostRequest, uuid.UUID, str]] = []
    for index, request in enumerate(requests):
        try:
            valid.append((index, request, _clean_client_id(request.client_id), _clean_body(request.body, request.attachment)))
        except ChatError as error:
            results[index] = error
    for attempt in range(3):
        try:
            with transaction.atomic():
                stored = _append_many(valid)
            break
        except IntegrityError:
            # Another process stored one of these client ids between our check and our
            # insert (a retry raced its original): run again, the check now sees it.
            if attempt == 2:
                raise
    for index, result in stored.items():
        results[index] = result
    return results  # type: ignore[return-value]


def _append_many(valid: list[tuple[int, PostRequest, uuid.UUID, str]]) -> dict[int, Posted | ChatError]:
    if not valid:
        return {}
    conversation_ids = sorted({request.conversation_id for _i, request, _c, _b in valid})
    # Row locks in a fixed order (no deadlock between two writers); SQLite locks the file.
    locked = {c.pk: c for c in Conversation.objects.select_for_update().filter(pk__in=conversation_ids).order_by("pk")}
    members: dict[int, dict[int, Participant]] = {}
    for participant in Participant.objects.filter(conversation_id__in=conversation_ids).select_related("user"):
        members.setdefault(participant.conversation_id, {})[participant.user_id] = participant
    existing = {
        (m.sender_id, m.client_id): m
        for m in Message.objects.filter(  # the (sender, client_id) unique index
            sender_id__in={r.user.pk for _i, r, _c, _b in valid}, client_id__in=[c for _i, _r, c, _b in valid]
        ).select_related("sender")
    }
    now = timezone.now()
    out: dict[int, Posted | ChatError] = {}
    fresh: list[tuple[int, Message]] = []
    for index, request, client_id, body in valid:
        user, conversation_id = request.user, request.conversation_id
        previous = existing.get((user.pk, client_id))
        if previous is not None:
            out[index] = _replay_or_error(previous, conversation_id)
            continue
        conversation = locked.get(conversation_id)
        if conversation is None or user.pk not in members.get(conversation_id, {}):
            out[index] = ChatError(_("Vous ne participez pas à cette conversation."))
            continue
        if not conversation.is_open:
            out[index] = ChatError(_("Cette conversation est close : vous ne pouvez plus y écrire."), code="closed")
            continue
        conversation.last_seq += 1
        conversation.last_message_at = now
        message = Message(
            conversation_id=conversation_id, sender=user, client_id=client_id, seq=conversation.last_seq, body=body,
            attachment=request.attachment, created_at=now,
        )
        message.conversation = conversation
        existing[(user.pk, client_id)] = message
        fresh.append((index, message))
        out[index] = Posted(message, True)
    if fresh:
        Message.objects.bulk_create([m for _i, m in fresh])
        changed = {m.conversation_id: locked[m.conversation_id].last_seq for _i, m in fresh}
        # One UPDATE per table for the whole batch (CASE on the primary key).
        Conversation.objects.filter(pk__in=changed).update(
            last_seq=Case(*[When(pk=pk, then=Value(seq)) for pk, seq in changed.items()],
                          output_field=models.PositiveIntegerField()),
            last_message_at=now,
        )
        # The sender has read his own message (never moves back).
        last_by_sender: dict[int, int] = {}
        for _i, m in fresh:
            last_by_sender[members[m.conversation_id][m.sender_id].pk] = m.seq
        Participant.objects.filter(pk__in=last_by_sender).update(
            last_read_seq=Case(
                *[When(pk=pk, last_read_seq__lt=seq, then=Value(seq)) for pk, seq in last_by_sender.items()],
                default=F("last_read_seq"), output_field=models.PositiveIntegerField(),
            ),
            last_read_at=now,
        )
        notifying.messages_posted([m for _i, m in fresh], members)
    return out


def _replay_or_error(existing: Message, conversation_id: int) -> Posted | ChatError:
    if existing.conversation_id != conversation_id:
        return ChatError(_("Cet identifiant de message a déjà servi dans une autre conversation."))
    return Posted(existing, False)


def post_with_file(user, conversation: Conversation, *, client_id, body: str, data: bytes, filename: str) -> Posted:
    """Check and store the file first (refused files store nothing), then post the message."""
    _participant(user, conversation)
    if not conversation.is_open:
        raise ChatError(_("Cette conversation est close : vous ne pouvez plus y écrire."), code="closed")
    attachment = attachment_store.store(user, data, filename)
    try:
        return post_message(user, conversation, client_id=client_id, body=body, attachment=attachment)
    except ValidationError:
        attachment_store.discard(attachment)
        raise


# --- Reading and closing ---------------------------------------------------------------------------
def mark_read(user, conversation: Conversation, seq: int) -> int:
    """Record that ``user`` has read up to ``seq``; returns the stored value (never goes back)."""
    participant = _participant(user, conversation)
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise ChatError(_("Numéro de message invalide.")) from None
    seq = max(0, min(seq, Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation.pk)))
    if seq > participant.last_read_seq:
        Participant.objects.filter(pk=participant.pk, last_read_seq__lt=seq).update(
            last_read_seq=seq, last_read_at=timezone.now()
        )
        return seq
    return participant.last_read_seq


def close_conversation(user, conversation: Conversation) -> Conversation:
    """A professional participant closes the conversation; a patient never can."""
    participant = _participant(user, conversation)
    if participant.is_patient or not is_professional(user):
        raise ChatError(_("Seul un professionnel participant peut clore cette conversation."))
    updated = Conversation.objects.filter(pk=conversation.pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), closed_by=user
    )
    if not updated:
        raise ChatError(_("Cette conversation est déjà close."))
    conversation.refresh_from_db()
    return conversation


# --- Retention ---------------------------------------------------------------------------------------
def retention_days() -> dict[str, int]:
    """Days a message is kept, per conversation kind (``ENRS_MESSAGING_RETENTION_DAYS``)."""
    configured = getattr(settings, "ENRS_MESSAGING_RETENTION_DAYS", {})
    default = int(configured.get("default", 365))
    return {kind: int(configured.get(kind, default)) for kind in Kind.values}


@dataclass(frozen=True)
class PurgeResult:
    messages: int
    attachments: int
    cutoffs: dict[str, str]


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete messages older than their kind's retention (and their files); idempotent."""
    now = now or timezone.now()
    total_messages = total_files = 0
    cutoffs = {}
    for kind, days in retention_days().items():
        cutoff = now - dt.timedelta(days=days)
        cutoffs[kind] = cutoff.isoformat(timespec="seconds")
        expired = Message.objects.filter(conversation__kind=kind, created_at__lt=cutoff)
        file_ids = list(expired.exclude(attachment=None).values_list("attachment_id", flat=True))
        total_messages += expired.count()
        total_files += len(file_ids)
        if not dry_run:
            with transaction.atomic():
                expired.delete()
                attachment_store.discard_many(Attachment.objects.filter(pk__in=file_ids))
    return PurgeResult(total_messages, total_files, cutoffs)

