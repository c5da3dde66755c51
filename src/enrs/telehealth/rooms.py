"""Video rooms: creation, invitations, consent, waiting room and the rules the signaling
consumer applies (``enrs.telehealth.consumers``). Business rules only; no SDP is ever stored.

- A room has a host (the professional) and invited users (the patient, a third party such as a
  nurse at the patient's side, other professionals for tele-expertise or meetings).
- An invitation carries a link token: only its SHA-256 is stored; it expires with the room.
- Entry refusals have a WebSocket close code and a French reason (``RoomRefusal``):
  4401 not signed in, 4403 not invited, 4410 link expired / room closed, 4429 room full
  (full mesh: at most ``MESH_LIMIT`` participants, see docs/services/telehealth.md).
- Guests wait in the waiting room until the host admits them; the patient can be admitted
  only once his consent is recorded.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.access import selectors as access_selectors
from enrs.access import services as access_services
from enrs.core import audit, notifications, permissions
from enrs.telehealth.models import ConsentRecord, RoomInvitation, RoomPresence, VideoRoom

MESH_LIMIT = 6  # full mesh: n-1 uplinks per participant; beyond, an SFU with the same signaling contract
OPEN_BEFORE = dt.timedelta(minutes=15)
CLOSE_AFTER = dt.timedelta(hours=1)
CONSENT_TEXT_VERSION = "tlc-2026-12"

NOT_SIGNED_IN = 4401
NOT_INVITED = 4403
EXPIRED = 4410
FULL = 4429


@dataclass
class RoomRefusal(Exception):
    code: int
    message: str

    def __str__(self) -> str:
        return self.message


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _fail(field: str, message: str):
    raise ValidationError({field: [message]})


def join_path(room: VideoRoom, token: str) -> str:
    return reverse("telehealth:room_join", args=[room.pk, token])


# --- Creation and invitations ----------------------------------------------------------------------
@transaction.atomic
def create_room(user, *, kind: str, title: str, opens_at: dt.datetime, closes_at: dt.datetime, patient=None,
                appointment=None, expertise=None, meeting=None, max_participants: int = MESH_LIMIT) -> VideoRoom:
    title = (title or "").strip()
    if not title:
        _fail("title", _("L'intitulé de la salle est obligatoire."))
    if kind not in VideoRoom.Kind.values:
        _fail("kind", _("Type de salle inconnu."))
    if closes_at <= opens_at:
        _fail("closes_at", _("La fermeture de la salle doit suivre son ouverture."))
    if not 2 <= max_participants <= MESH_LIMIT:
        _fail("max_participants", _("Une salle compte de 2 à %(n)d participants (maillage complet).") % {"n": MESH_LIMIT})
    if getattr(user, "kind", "") != "pro":
        raise PermissionDenied(_("Seul un professionnel ouvre une salle de télésanté."))
    room = VideoRoom.objects.create(
        kind=kind, title=title[:200], patient=patient, host=user, appointment=appointment, expertise=expertise,
        meeting=meeting, opens_at=opens_at, closes_at=closes_at, max_participants=max_participants,
    )  # fmt: skip
    RoomInvitation.objects.create(room=room, user=user, role=RoomInvitation.Role.HOST, token_sha256=hash_token(secrets.token_urlsafe(32)),
                                  expires_at=closes_at, admitted_at=timezone.now(), created_by=user)  # fmt: skip
    return room


@transaction.atomic
def invite(user, room: VideoRoom, invitee, *, role: str = RoomInvitation.Role.GUEST, channel: str = "web",
           notify: bool = True) -> tuple[RoomInvitation, str]:
    """Invite ``invitee`` (a user account); returns the invitation and the link token (shown once).
    Inviting again the same user renews the token (the old link stops working)."""
    permissions.require(user, "update", room, channel=channel)
    if room.status == VideoRoom.Status.ENDED or room.closes_at <= timezone.now():
        _fail("room", _("Cette salle est fermée : on ne peut plus y inviter personne."))
    if invitee is None or not invitee.is_active:
        _fail("invitee", _("Ce compte n'existe pas ou n'est plus actif."))
    if role not in {RoomInvitation.Role.GUEST, RoomInvitation.Role.THIRD}:
        _fail("role", _("Rôle d'invitation inconnu."))
    token = secrets.token_urlsafe(32)
    invitation, created = RoomInvitation.objects.get_or_create(
        room=room, user=invitee,
        defaults={"role": role, "token_sha256": hash_token(token), "expires_at": room.closes_at, "created_by": user},
    )  # fmt: skip
    if not created:
        if invitation.role == RoomInvitation.Role.HOST:
            _fail("invitee", _("Cette personne anime déjà la salle."))
        invitation.token_sha256, invitation.expires_at = hash_token(token), room.closes_at
        invitation.save(update_fields=["token_sha256", "expires_at"])
    if notify:
        local = timezone.localtime(room.opens_at)
        notifications.notify(
            invitee, kind="telehealth_room",
            title=_("Invitation : %(kind)s") % {"kind": room.get_kind_display()},
            body=_("Salle ouverte le %(day)s à partir de %(hour)s.") % {"day": local.strftime("%d/%m/%Y"), "hour": local.strftime("%H:%M")},
            link=join_path(room, token),
        )  # fmt: skip
    return invitation, token


def _require_teleconsultation_appointment(appointment) -> None:
    if appointment.motif.mode != "teleconsultation":
        _fail("appointment", _("Ce rendez-vous n'est pas une téléconsultation (motif « %(motif)s »).") % {"motif": appointment.motif.label})
    if appointment.status == "cancelled":
        _fail("appointment", _("Ce rendez-vous est annulé."))
    if appointment.patient_id is None or appointment.patient.user_id is None:
        _fail("appointment", _("Le patient de ce rendez-vous n'a pas de compte patient : il ne peut pas être invité en vidéo."))


def room_for_appointment(user, appointment, *, channel: str = "web") -> tuple[VideoRoom, str | None]:
    """The teleconsultation room of an agenda appointment booked with a teleconsultation motif
    (created on first call, the patient invited; the same room afterwards, token None)."""
    permissions.require(user, "update", appointment, channel=channel)
    _require_teleconsultation_appointment(appointment)
    with transaction.atomic():
        existing = VideoRoom.objects.select_for_update().filter(appointment=appointment).first()
        if existing is not None:
            return existing, None
        room = create_room(
            user, kind=VideoRoom.Kind.TELECONSULTATION, patient=appointment.patient, appointment=appointment,
            title=_("Téléconsultation — %(motif)s") % {"motif": appointment.motif.label},
            opens_at=appointment.start - OPEN_BEFORE, closes_at=appointment.end + CLOSE_AFTER,
        )  # fmt: skip
        _invitation, token = invite(user, room, appointment.patient.user, channel=channel)
        _join_care_team_for(user, appointment, channel=channel)
    return room, token


def _join_care_team_for(user, appointment, *, channel: str) -> None:
    """The professional of a booked teleconsultation takes care of the patient for this episode.

    The patient chose him by booking (or the booking was made for the patient): a care relationship
    lasting ``ENRS_TELECONSULTATION_CARE_DAYS`` after the appointment lets him file the report and
    read the record meanwhile, as for any member of the care team. An existing relationship is kept
    as it is (never shortened); the new one is in the access trail.
    """
    patient = appointment.patient
    if access_selectors.care_relationship(user, patient) is not None:
        return
    relationship = access_services.add_care_team_member(
        patient, user, organisation=appointment.agenda.organisation, role=_("Téléconsultation"))
    until = appointment.end + dt.timedelta(days=settings.ENRS_TELECONSULTATION_CARE_DAYS)
    access_services.end_care_team_member(relationship, at=until)
    audit.record(actor=user, action="create", channel=channel, patient_id=patient.pk, object_type="access.CareRelationship",
                 object_id=str(relationship.pk), organisation_id=appointment.agenda.organisation_id, role="professional",
                 justification=_("Téléconsultation réservée le %(day)s") % {"day": f"{timezone.localtime(appointment.start):%d/%m/%Y %H:%M}"})


def create_teleconsultation(user, *, patient, title: str, opens_at: dt.datetime, duration_minutes: int,
                            channel: str = "web") -> tuple[VideoRoom, str]:
    """A teleconsultation opened from the professional's screen (no appointment)."""
    if patient is None:
        _fail("patient", _("Choisissez le patient."))
    permissions.require(user, "read", patient, channel=channel)
    if patient.user_id is None:
        _fail("patient", _("Ce patient n'a pas de compte patient : il ne peut pas être invité en vidéo."))
    if not 5 <= int(duration_minutes) <= 240:
        _fail("duration_minutes", _("La durée doit être comprise entre 5 et 240 minutes."))
    with transaction.atomic():
        room = create_room(user, kind=VideoRoom.Kind.TELECONSULTATION, patient=patient, title=title or _("Téléconsultation"),
                           opens_at=opens_at - OPEN_BEFORE, closes_at=opens_at + dt.timedelta(minutes=int(duration_minutes)) + CLOSE_AFTER)  # fmt: skip
        _invitation, token = invite(user, room, patient.user, channel=channel)
    return room, token


# --- Entry ----------------------------------------------------------------------------------------
def entry_invitation(user, room: VideoRoom | None, *, now: dt.datetime | None = None) -> RoomInvitation:
    """The user's valid invitation to the room, or a ``RoomRefusal`` with its code and French reason."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise RoomRefusal(NOT_SIGNED_IN, _("Connectez-vous pour rejoindre la salle."))
    invitation = room.invitations.filter(user=user).first() if room is not None else None
    if invitation is None:
        raise RoomRefusal(NOT_INVITED, _("Vous n'êtes pas invité à cette salle."))
    now = now or timezone.now()
    if room.status == VideoRoom.Status.ENDED or invitation.expires_at <= now or room.closes_at <= now:
        raise RoomRefusal(EXPIRED, _("Ce lien a expiré : la salle est fermée."))
    return invitation


def redeem(user, room_id: int, token: str) -> RoomInvitation:
    """Open an invitation link: the token must be this user's invitation to this room."""
    invitation = RoomInvitation.objects.select_related("room").filter(token_sha256=hash_token(token), room_id=room_id).first()
    if invitation is None or invitation.user_id != getattr(user, "pk", None):
        raise RoomRefusal(NOT_INVITED, _("Vous n'êtes pas invité à cette salle (lien inconnu ou destiné à un autre compte)."))
    entry_invitation(user, invitation.room)
    if invitation.used_at is None:
        RoomInvitation.objects.filter(pk=invitation.pk).update(used_at=timezone.now())
    return invitation


def is_room_patient(room: VideoRoom, user) -> bool:
    return bool(room.patient_id and room.patient.user_id == getattr(user, "pk", None))


def consent_state(room: VideoRoom) -> bool | None:
    """The latest consent decision for the room's patient (None when not asked yet)."""
    if room.patient_id is None:
        return True
    latest = room.consents.order_by("-recorded_at", "-pk").first()
    return None if latest is None else latest.given


def record_consent(user, room: VideoRoom, *, given: bool, channel: str = "web") -> ConsentRecord:
    """The patient's decision (on his page), or the host's record of an oral consent."""
    entry_invitation(user, room)
    permissions.require(user, "read", room, channel=channel)
    if room.patient_id is None:
        _fail("consent", _("Cette salle ne concerne pas un patient : aucun consentement à recueillir."))
    if not (is_room_patient(room, user) or room.invitations.filter(user=user, role=RoomInvitation.Role.HOST).exists()):
        raise PermissionDenied(_("Seul le patient (ou le professionnel qui recueille son accord) enregistre le consentement."))
    return ConsentRecord.objects.create(room=room, patient=room.patient, given=bool(given), recorded_at=timezone.now(),
                                        recorded_by=user, text_version=CONSENT_TEXT_VERSION)  # fmt: skip


@transaction.atomic
def enter(user, room_id: int, *, peer_id: str, channel_name: str) -> tuple[VideoRoom, RoomInvitation, bool]:
    """A signaling socket joins: checks, trail, mesh limit; returns (room, invitation, live)."""
    room = VideoRoom.objects.select_for_update(of=("self",)).select_related("patient").filter(pk=room_id).first()
    invitation = entry_invitation(user, room)
    permissions.require(user, "read", room, channel="web")
    if invitation.role != RoomInvitation.Role.HOST and is_room_patient(room, user) and consent_state(room) is False:
        raise RoomRefusal(NOT_INVITED, _("Vous avez refusé la téléconsultation : la salle ne vous est pas ouverte."))
    others = room.presences.exclude(invitation=invitation).values("invitation").distinct().count()
    if others >= room.max_participants:
        raise RoomRefusal(FULL, _("La salle est complète : %(n)d participants au plus (maillage complet).") % {"n": room.max_participants})
    live = invitation.admitted_at is not None
    RoomPresence.objects.create(room=room, invitation=invitation, peer_id=peer_id, channel_name=channel_name, live=live)
    if live and invitation.role == RoomInvitation.Role.HOST and room.status == VideoRoom.Status.WAITING:
        VideoRoom.objects.filter(pk=room.pk).update(status=VideoRoom.Status.LIVE)
    return room, invitation, live


def leave(peer_id: str) -> None:
    RoomPresence.objects.filter(peer_id=peer_id).delete()


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def waiting_peers(room_id: int) -> list[dict]:
    return [{"peer": p.peer_id, "name": display_name(p.invitation.user), "role": p.invitation.role}
            for p in RoomPresence.objects.filter(room_id=room_id, live=False).select_related("invitation__user").order_by("joined_at")]


@transaction.atomic
def admit(host_user, room_id: int, peer_id: str) -> RoomPresence:
    """The host lets a waiting participant in (the patient only after his consent)."""
    room = VideoRoom.objects.select_for_update().get(pk=room_id)
    if not room.invitations.filter(user=host_user, role=RoomInvitation.Role.HOST).exists():
        raise PermissionDenied(_("Seul l'hôte de la salle fait entrer les participants."))
    presence = RoomPresence.objects.select_related("invitation__user").filter(room=room, peer_id=peer_id).first()
    if presence is None:
        _fail("to", _("Ce participant n'est plus en salle d'attente."))
    if is_room_patient(room, presence.invitation.user) and consent_state(room) is not True:
        _fail("to", _("Le patient n'a pas encore donné son consentement à la téléconsultation."))
    now = timezone.now()
    RoomInvitation.objects.filter(pk=presence.invitation_id, admitted_at__isnull=True).update(admitted_at=now)
    RoomPresence.objects.filter(invitation_id=presence.invitation_id).update(live=True)
    presence.live = True
    return presence


# --- ICE servers ------------------------------------------------------------------------------------
def ice_servers(user, *, now: float | None = None) -> list[dict]:
    """``ENRS_WEBRTC_ICE_SERVERS`` (a self-hosted STUN/TURN, never a third-party cloud); with
    ``ENRS_TURN_SECRET`` set, TURN entries get coturn REST credentials (``<expiry>:<user id>``,
    HMAC-SHA1, ``ENRS_TURN_TTL_SECONDS``), minted per page and never stored."""
    servers = [dict(entry) for entry in getattr(settings, "ENRS_WEBRTC_ICE_SERVERS", [])]
    secret = getattr(settings, "ENRS_TURN_SECRET", "")
    if not secret:
        return servers
    expiry = int((now if now is not None else time.time()) + getattr(settings, "ENRS_TURN_TTL_SECONDS", 3600))
    username = f"{expiry}:{user.pk}"
    credential = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    for entry in servers:
        urls = entry.get("urls", [])
        urls = [urls] if isinstance(urls, str) else urls
        if any(str(u).startswith(("turn:", "turns:")) for u in urls):
            entry["username"], entry["credential"] = username, credential
    return servers


# --- Other room kinds: synchronous tele-expertise, e-RCP / e-Staff meetings ---------------------------
EXPERTISE_DURATION = dt.timedelta(hours=1)
MEETING_DURATION = dt.timedelta(hours=3)


def room_for_expertise(user, expertise, *, channel: str = "web") -> VideoRoom:
    """A synchronous session of an accepted tele-expertise, between the requester and the expert
    (opened by either; the same room while it is open). The patient is not a participant."""
    permissions.require(user, "read", expertise, channel=channel)
    if expertise.status != "accepted" or expertise.expert_id is None:
        _fail("expertise", _("Une séance synchrone suppose une télé-expertise acceptée par un expert."))
    with transaction.atomic():
        now = timezone.now()
        existing = (VideoRoom.objects.select_for_update().filter(expertise=expertise, closes_at__gt=now)
                    .exclude(status=VideoRoom.Status.ENDED).first())  # fmt: skip
        if existing is not None:
            return existing
        room = create_room(user, kind=VideoRoom.Kind.EXPERTISE, patient=expertise.patient, expertise=expertise,
                           title=_("Télé-expertise synchrone n° %(n)d") % {"n": expertise.pk}, opens_at=now,
                           closes_at=now + EXPERTISE_DURATION, max_participants=2)  # fmt: skip
        other = expertise.expert if expertise.requester_id == user.pk else expertise.requester
        invite(user, room, other, channel=channel)
    return room


def room_for_meeting(user, meeting, *, channel: str = "web") -> VideoRoom:
    """The video room of an e-RCP / e-Staff meeting, opened by its organiser for its participants
    (at most ``MESH_LIMIT`` connected at once; more may be invited)."""
    if meeting.organiser_id != user.pk:
        raise PermissionDenied(_("Seul l'organisateur ouvre la salle vidéo de la réunion."))
    with transaction.atomic():
        existing = VideoRoom.objects.select_for_update().filter(meeting=meeting).exclude(status=VideoRoom.Status.ENDED).first()
        if existing is not None and existing.closes_at > timezone.now():
            return existing
        opens_at = max(meeting.scheduled_at - OPEN_BEFORE, timezone.now() - OPEN_BEFORE)
        room = create_room(user, kind=VideoRoom.Kind.MEETING, meeting=meeting, title=meeting.title,
                           opens_at=opens_at, closes_at=opens_at + MEETING_DURATION)  # fmt: skip
        for participant in meeting.participants.exclude(pk=user.pk):
            invitation, _token = invite(user, room, participant, channel=channel)
            RoomInvitation.objects.filter(pk=invitation.pk).update(admitted_at=timezone.now())  # colleagues need no waiting room
    return room
