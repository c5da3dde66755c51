"""HL7 v2.5 ADT identity feed: A28, A31, A40, A47 received over MLLP.

One MLLP block in, one acknowledgement out (``handle_frame``, plugged into
``enrs.core.mllp.MllpServer`` by ``enrs hl7 listen``). Steps, each answering
with a precise ERR segment when it fails:

1. decode (MSH-18 charset), parse with python-hl7 — unreadable: **AR**;
2. check the header: MSH first, message type ADT, a supported event, version
   2.5 / 2.5.1, processing id, a control id, a configured sender
   (``enrs.interfaces``: MSH-3/MSH-4 → organisation and IPP authority) —
   otherwise **AR**;
3. a control id already received from that sender: the stored ACK again when
   the message is the same, **AR** (205) when it differs — nothing reprocessed;
4. map PID / MRG to identity traits and call ``enrs.identity.services`` in one
   transaction — a business error (bad NIR key, impossible date, unknown INSEE
   code, missing PID, unknown identifier…) rolls everything back: **AE**;
5. **AA** (with warnings as ERR severity W) and the message journalled with its
   ACK in the same transaction.

Every message, accepted or not, is kept in the journal with its ACK and errors.
Mapping choices the reference does not settle (IHE PAM France conventions) are
settings, listed in ``docs/services/identity.md`` § Feeds.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import hl7
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from enrs.core import audit
from enrs.core.mllp import Frame
from enrs.identity import selectors, services
from enrs.identity.models import OID_NIA, OID_NIR, OID_NIR_DEMO, OID_NIR_TEST, CommentCode, IdentityStatus
from enrs.interfaces import selectors as interface_selectors
from enrs.interfaces import services as journal
from enrs.interfaces.models import Hl7Sender

log = logging.getLogger(__name__)

CHANNEL = "hl7"
SUPPORTED_EVENTS = ("A28", "A31", "A40", "A47")
SUPPORTED_VERSIONS = ("2.5", "2.5.1")
PROCESSING_IDS = ("P", "T", "D")
INS_OIDS = (OID_NIR, OID_NIA, OID_NIR_TEST, OID_NIR_DEMO)
STATUS_CODES = tuple(IdentityStatus.values)
PARIS = ZoneInfo("Europe/Paris")
# MSH-18 (HL7 table 0211) → Python codec. Empty MSH-18 means ASCII in HL7;
# senders often send UTF-8 or Latin-1 without saying so: see _decode.
CHARSETS = {
    "": None,
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
}
_COG_RE = re.compile(r"^(?:\d{2}|2A|2B)\d{3}$")
# DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]
_TS_RE = re.compile(r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,4})?)?)?)?)?)?(?:[+-]\d{4})?$")

# HL7 table 0357 (message error condition codes) used here.
SEGMENT_SEQUENCE = "100"
REQUIRED_MISSING = "101"
DATA_TYPE = "102"
TABLE_VALUE = "103"
UNSUPPORTED_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING = "202"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
INTERNAL = "207"
CODE_TEXTS = {
    "0": "Message accepted",
    SEGMENT_SEQUENCE: "Segment sequence error",
    REQUIRED_MISSING: "Required field missing",
    DATA_TYPE: "Data type error",
    TABLE_VALUE: "Table value not found",
    UNSUPPORTED_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNSUPPORTED_PROCESSING: "Unsupported processing id",
    UNSUPPORTED_VERSION: "Unsupported version id",
    UNKNOWN_KEY: "Unknown key identifier",
    DUPLICATE_KEY: "Duplicate key identifier",
    INTERNAL: "Application internal error",
}


def _setting(name: str, default):
    return getattr(settings, name, default)


def ins_type_codes() -> tuple[str, ...]:
    """CX-5 values under which PID-3 carries the INS (with an INS OID in CX-4.2).

    IHE PAM France sends ``INS``; FR Core's type codes are accepted too. ``NH``
    is not among them: the NSS shares the NIR OID and is not an INS.
    """
    return tuple(_setting("ENRS_HL7_INS_TYPE_CODES", ("INS", "INS-NIR", "INS-NIA", "INS-NIR-TEST", "INS-NIR-DEMO")))


def local_id_type_codes() -> tuple[str, ...]:
    """CX-5 values of a local patient identifier (IPP); empty means "not given"."""
    return tuple(_setting("ENRS_HL7_LOCAL_ID_TYPE_CODES", ("PI", "")))


# --- Errors -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    """ERR-2 (ERL): segment^sequence^field^repetition^component."""

    segment: str
    field: int | None = None
    repetition: int | None = None
    component: int | None = None
    sequence: int = 1

    def __str__(self) -> str:
        text = f"{self.segment}-{self.field}" if self.field else self.segment
        if self.component:
            text += f".{self.component}"
        return text

    def erl(self, sep: str) -> str:
        parts = [self.segment, str(self.sequence)]
        if self.field:
            parts.append(str(self.field))
            if self.repetition or self.component:
                parts.append(str(self.repetition or 1))
            if self.component:
                parts.append(str(self.component))
        return sep.join(parts)


@dataclass(frozen=True)
class Problem:
    location: Location
    code: str
    message: str
    severity: str = "E"  # HL7 table 0516: E error, W warning

    def as_dict(self) -> dict:
        return {"location": str(self.location), "code": self.code, "severity": self.severity, "message": self.message}


class FeedError(Exception):
    """The message cannot be applied: AE (business error) or AR (rejected)."""

    def __init__(self, problems: Problem | Iterable[Problem], ack_code: str = "AE"):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.ack_code = ack_code
        super().__init__("; ".join(p.message for p in self.problems))


def _reject(location: Location, code: str, message: str) -> FeedError:
    return FeedError(Problem(location, code, message), "AR")


def _error(location: Location, code: str, message: str) -> FeedError:
    return FeedError(Problem(location, code, message), "AE")


# --- Reading the message -----------------------------------------------------------------------
Components = list[list[str]]  # components → subcomponents


@dataclass
class Header:
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    message_type: str = ""
    event: str = ""
    control_id: str = ""
    processing_id: str = ""
    version: str = ""
    charset: str = ""

    @property
    def type_label(self) -> str:
        return f"{self.message_type}^{self.event}" if self.event else self.message_type


class Reader:
    """Uniform access to a python-hl7 message: fields as repetitions → components → subcomponents."""

    def __init__(self, message: hl7.Message):
        self.message = message
        self.separators = message.separators  # "\r|~^&"
        self.esc = message.esc

    def segments(self, segment_id: str) -> list:
        return [segment for segment in self.message if str(segment[0]) == segment_id]

    def repetitions(self, segment, number: int) -> list[Components]:
        if number >= len(segment):
            return []
        reps = []
        for rep in segment[number]:
            if isinstance(rep, hl7.Repetition):
                reps.append([self._subcomponents(component) for component in rep])
            else:
                reps.append([[self._text(rep)]])
        return [rep for rep in reps if any(any(sub for sub in comp) for comp in rep)]

    def value(self, segment, number: int, component: int = 1, subcomponent: int = 1, repetition: int = 1) -> str:
        reps = self.repetitions(segment, number)
        return _pick(reps[repetition - 1], component, subcomponent) if len(reps) >= repetition else ""

    def _subcomponents(self, component) -> list[str]:
        if isinstance(component, hl7.Component):
            return [self._text(sub) for sub in component]
        return [self._text(component)]

    def _text(self, value) -> str:
        return self.message.unescape(str(value)).strip()


def _pick(rep: Components, component: int, subcomponent: int = 1) -> str:
    if component > len(rep) or subcomponent > len(rep[component - 1]):
        return ""
    return rep[component - 1][subcomponent - 1]


def _decode(payload: bytes) -> tuple[str, str]:
    """The message text and the codec used; MSH-18 is read on the raw bytes."""
    head = payload.split(b"\r", 1)[0].decode("ascii", "replace")
    declared = _msh18(head)
    if declared not in CHARSETS:
        raise _reject(Location("MSH", 18), TABLE_VALUE, _("Jeu de caractères MSH-18 non pris en charge : « %(value)s » (admis : UNICODE UTF-8, 8859/1, 8859/15, ASCII).") % {"value": declared})
    codec = CHARSETS[declared]
    if codec is None:
        try:
            return payload.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            # Senders leaving MSH-18 empty mostly mean Latin-1 in France.
            return payload.decode("latin-1"), "latin-1"
    try:
        return payload.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise _reject(Location("MSH", 18), DATA_TYPE, _("Le message n'est pas encodé dans le jeu de caractères annoncé en MSH-18 (%(value)s).") % {"value": declared}) from exc


def _msh18(first_line: str) -> str:
    if not first_line.startswith("MSH") or len(first_line) < 4:
        return ""
    fields = first_line.split(first_line[3])
    return fields[17].strip().split(first_line[4] if len(first_line) > 4 else "^")[0] if len(fields) > 17 else ""


def _normalise_segments(text: str) -> str:
    """Segments end with <CR>; tolerate <CR><LF> and <LF> from hand-made senders."""
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r \t\x00")


def parse(text: str) -> hl7.Message:
    """A python-hl7 message, or AR naming what makes the text unreadable."""
    text = _normalise_segments(text)
    if not text.startswith("MSH") or len(text) < 8:
        raise _reject(Location("MSH"), SEGMENT_SEQUENCE, _("Message illisible : il doit commencer par le segment MSH."))
    separator = text[3]
    if separator.isalnum() or separator.isspace():
        raise _reject(Location("MSH", 1), DATA_TYPE, _("Séparateur de champs MSH-1 invalide."))
    if text.count("\rMSH" + separator) > 0:
        raise _reject(Location("MSH"), SEGMENT_SEQUENCE, _("Un seul message par bloc MLLP : plusieurs segments MSH reçus."))
    try:
        message = hl7.parse(text)
    except Exception as exc:  # noqa: BLE001 - the library raises several types on bad input
        raise _reject(Location("MSH", 2), DATA_TYPE, _("Message illisible : caractères d'encodage MSH-2 ou structure invalides.")) from exc
    for index, segment in enumerate(message, start=1):
        name = str(segment[0]) if len(segment) else ""
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", name):
            raise _reject(Location(name or "?"), SEGMENT_SEQUENCE, _("Segment n° %(index)d illisible : « %(name)s » n'est pas un nom de segment.") % {"index": index, "name": name[:10]})
    return message


def read_header(reader: Reader) -> Header:
    msh = reader.segments("MSH")[0]
    return Header(
        sending_application=reader.value(msh, 3),
        sending_facility=reader.value(msh, 4),
        receiving_application=reader.value(msh, 5),
        receiving_facility=reader.value(msh, 6),
        message_type=reader.value(msh, 9, 1),
        event=reader.value(msh, 9, 2),
        control_id=reader.value(msh, 10),
        processing_id=reader.value(msh, 11),
        version=reader.value(msh, 12),
        charset=reader.value(msh, 18),
    )


def check_header(header: Header) -> None:
    if not header.control_id:
        raise _reject(Location("MSH", 10), REQUIRED_MISSING, _("MSH-10 (identifiant du message) est obligatoire."))
    if header.message_type != "ADT":
        raise _reject(Location("MSH", 9, component=1), UNSUPPORTED_TYPE, _("Type de message non pris en charge : « %(type)s » (seul ADT l'est).") % {"type": header.message_type or "—"})
    if header.event not in EVENT_HANDLERS:
        raise _reject(Location("MSH", 9, component=2), UNSUPPORTED_EVENT, _("Événement non pris en charge : « %(event)s » (admis : %(allowed)s).") % {"event": header.event or "—", "allowed": ", ".join(EVENT_HANDLERS)})
    if header.version not in SUPPORTED_VERSIONS:
        raise _reject(Location("MSH", 12), UNSUPPORTED_VERSION, _("Version HL7 non prise en charge : « %(version)s » (admises : %(allowed)s).") % {"version": header.version or "—", "allowed": ", ".join(SUPPORTED_VERSIONS)})
    if header.processing_id not in PROCESSING_IDS:
        raise _reject(Location("MSH", 11), UNSUPPORTED_PROCESSING, _("Mode de traitement MSH-11 non pris en charge : « %(value)s » (admis : P, T, D).") % {"value": header.processing_id or "—"})


def check_sender(header: Header, peer: str) -> Hl7Sender:
    sender = interface_selectors.sender_for(header.sending_application, header.sending_facility)
    if sender is None:
        raise _reject(Location("MSH", 4), TABLE_VALUE, _("Émetteur inconnu : %(app)s / %(facility)s (MSH-3 / MSH-4) n'est pas déclaré auprès du serveur d'identités.") % {"app": header.sending_application or "—", "facility": header.sending_facility or "—"})
    address = peer.rsplit(":", 1)[0].strip("[]")
    if sender.allowed_addresses and address not in sender.allowed_addresses:
        raise _reject(Location("MSH", 4), TABLE_VALUE, _("L'émetteur %(facility)s n'est pas autorisé depuis l'adresse %(address)s.") % {"facility": header.sending_facility, "address": address})
    if header.event not in sender.events:
        raise _reject(Location("MSH", 9, component=2), UNSUPPORTED_EVENT, _("L'événement %(event)s n'est pas ouvert à cet émetteur.") % {"event": header.event})
    return sender


# --- Mapping PID / MRG to identity traits -----------------------------------------------------------
@dataclass
class PersonData:
    """What a PID segment says about a person, with where each trait came from."""

    traits: dict = field(default_factory=dict)
    local_ids: list[tuple[str, str]] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def set(self, trait: str, value, location: Location) -> None:
        self.traits[trait] = value
        self.locations[trait] = location


def _one_segment(reader: Reader, segment_id: str, purpose: str):
    found = reader.segments(segment_id)
    if not found:
        raise _error(Location(segment_id), SEGMENT_SEQUENCE, _("Segment %(segment)s absent : il est obligatoire pour %(purpose)s.") % {"segment": segment_id, "purpose": purpose})
    return found[0]


def read_identifiers(reader: Reader, segment, number: int, sender: Hl7Sender, person: PersonData | None = None) -> list[tuple[str, str, int]]:
    """The sender's own local identifiers of a CX list, as (authority, value, repetition).

    With ``person``, also reads the INS and warns about identifiers of other
    authorities (a sender never writes another establishment's identifiers).
    """
    own = []
    segment_id = str(segment[0])
    for index, rep in enumerate(reader.repetitions(segment, number), start=1):
        value, namespace, oid, type_code = _pick(rep, 1), _pick(rep, 4, 1), _pick(rep, 4, 2), _pick(rep, 5)
        location = Location(segment_id, number, index)
        if oid in INS_OIDS and type_code in ins_type_codes():
            if person is not None:
                _read_ins(person, value, oid, location)
        elif sender.owns_authority(namespace, oid) and type_code in local_id_type_codes():
            if not value:
                raise _error(location, REQUIRED_MISSING, _("%(location)s : identifiant local vide.") % {"location": location})
            own.append((sender.authority, value, index))
        elif person is not None and type_code != "NH":
            person.warnings.append(Problem(location, TABLE_VALUE, _("%(location)s : identifiant d'une autre autorité (%(authority)s) ignoré.") % {"location": location, "authority": namespace or oid or "—"}, "W"))
    return own


def _read_ins(person: PersonData, value: str, oid: str, location: Location) -> None:
    if "ins" in person.traits:
        person.warnings.append(Problem(location, DUPLICATE_KEY, _("%(location)s : second matricule INS ignoré.") % {"location": location}, "W"))
        return
    person.set("ins", value, location)
    person.set("ins_oid", oid, location)


def _read_names(reader: Reader, pid, person: PersonData) -> None:
    names = reader.repetitions(pid, 5)
    legal = [(i, rep) for i, rep in enumerate(names, start=1) if _pick(rep, 7) == "L"]
    used = [(i, rep) for i, rep in enumerate(names, start=1) if _pick(rep, 7) == "D"]
    if not legal and names and not _pick(names[0], 7):
        legal = [(1, names[0])]  # no name type: the first name is taken as the birth name
    if legal:
        index, rep = legal[0]
        person.set("birth_name", _pick(rep, 1), Location("PID", 5, index, 1))
        person.set("birth_first_names", birth_first_names(_pick(rep, 2), _pick(rep, 3)), Location("PID", 5, index, 2))
    else:
        person.set("birth_name", "", Location("PID", 5, 1, 1))
        person.set("birth_first_names", [], Location("PID", 5, 1, 2))
    if used:
        index, rep = used[0]
        person.set("used_name", _pick(rep, 1), Location("PID", 5, index, 1))
        person.set("used_first_name", _pick(rep, 2), Location("PID", 5, index, 2))


def birth_first_names(given: str, further: str) -> list[str]:
    """XPN-2 (first first name) and XPN-3 (the others, or the whole INSi list) as one ordered list.

    Senders put either the other first names or the full INSi list (space
    separated, starting with the first one) in XPN-3: when XPN-3 starts with
    XPN-2, XPN-3 is the list.
    """
    others = further.split()
    first = given.split()
    if others and first and others[: len(first)] == first:
        return others
    return first + others


def hl7_date(value: str, location: Location) -> str:
    """TS/DTM → ``YYYY-MM-DD`` with ``00`` for a missing month or day; the service checks the calendar."""
    if not value:
        return ""
    match = _TS_RE.match(value)
    if not match:
        raise _error(location, DATA_TYPE, _("%(location)s : date de naissance illisible « %(value)s » (attendu AAAAMMJJ).") % {"location": location, "value": value[:20]})
    year, month, day = match.group(1), match.group(2) or "00", match.group(3) or "00"
    return f"{year}-{month}-{day}"


SEXES = {"F": "F", "M": "M", "U": "I", "O": "I", "A": "I", "N": "I"}


def _read_sex(reader: Reader, pid, person: PersonData) -> None:
    code = reader.value(pid, 8).upper()
    location = Location("PID", 8)
    if code and code not in SEXES:
        raise _error(location, TABLE_VALUE, _("PID-8 : sexe « %(value)s » inconnu (admis : F, M, U).") % {"value": code[:5]})
    person.set("sex", SEXES.get(code, ""), location)


def _read_birth_place(reader: Reader, pid, person: PersonData) -> None:
    """PID-11 repetition of type BDL (XAD-7), code in XAD-9; else PID-23 when it is a COG code."""
    for index, rep in enumerate(reader.repetitions(pid, 11), start=1):
        if _pick(rep, 7) == "BDL" and _pick(rep, 9):
            person.set("birth_place_insee", _pick(rep, 9).upper(), Location("PID", 11, index, 9))
            return
    place = reader.value(pid, 23).upper()
    if place:
        if not _COG_RE.match(place):
            person.warnings.append(Problem(Location("PID", 23), DATA_TYPE, _("PID-23 : « %(value)s » n'est pas un code INSEE ; lieu de naissance ignoré.") % {"value": place[:30]}, "W"))
            return
        person.set("birth_place_insee", place, Location("PID", 23))


def _read_reliability(reader: Reader, pid, person: PersonData, sender: Hl7Sender) -> None:
    """PID-32 (identity reliability code, table 0445 as extended by PAM France): the RNIV status and comment codes."""
    codes = [_pick(rep, 1).upper() for rep in reader.repetitions(pid, 32)]
    location = Location("PID", 32)
    status = next((code for code in codes if code in STATUS_CODES), "")
    comments = [code for code in codes if code in CommentCode.values]
    unknown = [code for code in codes if code not in STATUS_CODES and code not in CommentCode.values]
    if unknown:
        person.warnings.append(Problem(location, TABLE_VALUE, _("PID-32 : codes de fiabilité inconnus ignorés : %(codes)s.") % {"codes": ", ".join(unknown)}, "W"))
    if status and not sender.accept_identity_status:
        person.warnings.append(Problem(location, TABLE_VALUE, _("PID-32 : le statut %(status)s déclaré par cet émetteur n'est pas repris (identité provisoire).") % {"status": status}, "W"))
        status = ""
    person.evidence = evidence_for(status, comments)
    for key in ("identity_status", "comment_codes", "insi_verified", "document_high_trust", "document_type"):
        person.locations[key] = location


def evidence_for(status: str, comments: list[str]) -> dict:
    """What PID-32 attests, for ``services``: the declared RNIV status and comment codes.

    The identity service turns a declared status into its two criteria (INSi
    retrieval, high-trust document check) and refuses a status the rest
    contradicts (e.g. RECUP without an INS, DOUT with anything but PROV).
    """
    evidence: dict = {}
    if status:
        evidence["identity_status"] = status
    if comments:
        evidence["comment_codes"] = comments
    return evidence


# Where an error on a trait the message did not carry points to.
DEFAULT_LOCATIONS = {
    "ins": Location("PID", 3),
    "ins_oid": Location("PID", 3),
    "birth_place_insee": Location("PID", 11),
    "used_name": Location("PID", 5),
    "used_first_name": Location("PID", 5),
    "patient": Location("PID", 3),
}


def read_person(reader: Reader, sender: Hl7Sender, purpose: str) -> tuple[PersonData, list[tuple[str, str, int]]]:
    pid = _one_segment(reader, "PID", purpose)
    person = PersonData()
    own = read_identifiers(reader, pid, 3, sender, person)
    person.locations["local_ids"] = Location("PID", 3)
    if not own:
        raise _error(Location("PID", 3), REQUIRED_MISSING, _("PID-3 : aucun identifiant local (IPP) de l'autorité %(authority)s.") % {"authority": sender.authority_namespace or sender.authority_oid})
    person.local_ids = [(authority, value) for authority, value, _i in own]
    _read_names(reader, pid, person)
    person.set("birth_date", hl7_date(reader.value(pid, 7), Location("PID", 7)), Location("PID", 7))
    _read_sex(reader, pid, person)
    _read_birth_place(reader, pid, person)
    _read_reliability(reader, pid, person, sender)
    for trait, location in DEFAULT_LOCATIONS.items():
        person.locations.setdefault(trait, location)
    return person, own


# --- Applying the events -------------------------------------------------------------------------
@dataclass
class Applied:
    outcome: str
    patient_id: int | None
    warnings: list[Problem] = field(default_factory=list)


def _validation_problems(exc: ValidationError, locations: dict[str, Location], traits: dict) -> list[Problem]:
    """French messages of the identity service, located in the message (ERR-2) and coded (ERR-3)."""
    problems = []
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for trait, messages in errors.items():
        location = locations.get(trait, Location("PID"))
        value = traits.get(trait)
        code = REQUIRED_MISSING if value in ("", None, []) else TABLE_VALUE if trait in ("birth_place_insee", "sex", "ins_oid") else DATA_TYPE
        for message in messages:
            problems.append(Problem(location, code, f"{location} : {message}"))
    return problems


def _upsert_person(reader: Reader, header: Header, sender: Hl7Sender) -> Applied:
    person, own = read_person(reader, sender, _("créer ou modifier une identité"))
    known = {}
    for authority, value, index in own:
        patient = selectors.find_by_local_id(authority, value)
        if patient is not None:
            known.setdefault(patient.pk, (patient, index))
    if len(known) > 1:
        raise _error(Location("PID", 3), DUPLICATE_KEY, _("PID-3 : ces identifiants locaux désignent des identités régionales différentes ; une fusion (A40) est nécessaire."))
    try:
        if known:
            patient, _index = next(iter(known.values()))
            changes = {**person.traits, **_changed_evidence(patient, person.evidence)}
            services.update_identity(patient, changes, actor=_actor(sender), channel=CHANNEL, reason=_reason(header, sender))
            _link_new_local_ids(patient, person, sender)
            return Applied("updated", patient.pk, person.warnings)
        result = services.create_identity(
            person.traits, actor=_actor(sender), channel=CHANNEL, source=_reason(header, sender), local_ids=person.local_ids,
            evidence=person.evidence,
        )
    except ValidationError as exc:
        raise FeedError(_validation_problems(exc, person.locations, person.traits)) from exc
    return Applied(result.outcome, result.patient.pk, person.warnings)


def _changed_evidence(patient, evidence: dict) -> dict:
    """PID-32 is repeated in every A31: only a change of status or comments is news for the service."""
    same_status = evidence.get("identity_status", patient.identity_status) == patient.identity_status
    same_comments = sorted(evidence.get("comment_codes", patient.comment_codes or [])) == sorted(patient.comment_codes or [])
    return {} if same_status and same_comments else evidence


def _link_new_local_ids(patient, person: PersonData, sender: Hl7Sender) -> None:
    known = set(selectors.local_ids_of(patient))
    for authority, value in person.local_ids:
        if (authority, value) not in known:
            services.link_local_identifier(patient, authority, value, actor=_actor(sender), channel=CHANNEL)


def _actor(sender: Hl7Sender) -> str:
    """How the identity history names an HL7 sender (the trail records it as the system, channel hl7)."""
    return _("HL7 %(name)s (%(app)s/%(facility)s)") % {"name": sender.name, "app": sender.sending_application, "facility": sender.sending_facility}


def _reason(header: Header, sender: Hl7Sender) -> str:
    return _("Message %(type)s n° %(id)s de %(sender)s") % {"type": header.type_label, "id": header.control_id, "sender": sender.name}


def _prior_identifier(reader: Reader, sender: Hl7Sender) -> tuple[str, str]:
    mrg = _one_segment(reader, "MRG", _("une fusion ou un changement d'identifiant"))
    own = read_identifiers(reader, mrg, 1, sender)
    if not own:
        raise _error(Location("MRG", 1), REQUIRED_MISSING, _("MRG-1 : aucun identifiant local (IPP) de l'autorité %(authority)s.") % {"authority": sender.authority_namespace or sender.authority_oid})
    authority, value, _index = own[0]
    return authority, value


def _merge(reader: Reader, header: Header, sender: Hl7Sender) -> Applied:
    pid = _one_segment(reader, "PID", _("une fusion"))
    survivors = read_identifiers(reader, pid, 3, sender)
    if not survivors:
        raise _error(Location("PID", 3), REQUIRED_MISSING, _("PID-3 : aucun identifiant local (IPP) de l'autorité %(authority)s.") % {"authority": sender.authority_namespace or sender.authority_oid})
    authority, value, _index = survivors[0]
    survivor = selectors.find_by_local_id(authority, value)
    if survivor is None:
        raise _error(Location("PID", 3, 1), UNKNOWN_KEY, _("PID-3 : identifiant local %(value)s inconnu : l'identité conservée doit exister.") % {"value": value})
    old_authority, old_value = _prior_identifier(reader, sender)
    merged = selectors.find_by_local_id(old_authority, old_value)
    if merged is None:
        raise _error(Location("MRG", 1, 1), UNKNOWN_KEY, _("MRG-1 : identifiant local %(value)s inconnu : rien à fusionner.") % {"value": old_value})
    if merged.pk == survivor.pk:
        return Applied("already_merged", survivor.pk)
    try:
        services.merge_identities(survivor, merged, actor=_actor(sender), channel=CHANNEL, reason=_reason(header, sender))
    except ValidationError as exc:
        raise FeedError(_validation_problems(exc, {}, {})) from exc
    return Applied("merged", survivor.pk)


def _change_identifier(reader: Reader, header: Header, sender: Hl7Sender) -> Applied:
    pid = _one_segment(reader, "PID", _("un changement d'identifiant"))
    new_ids = read_identifiers(reader, pid, 3, sender)
    if not new_ids:
        raise _error(Location("PID", 3), REQUIRED_MISSING, _("PID-3 : aucun nouvel identifiant local (IPP) de l'autorité %(authority)s.") % {"authority": sender.authority_namespace or sender.authority_oid})
    authority, new_value, _index = new_ids[0]
    old_authority, old_value = _prior_identifier(reader, sender)
    patient = selectors.find_by_local_id(old_authority, old_value)
    if patient is None:
        raise _error(Location("MRG", 1, 1), UNKNOWN_KEY, _("MRG-1 : identifiant local %(value)s inconnu.") % {"value": old_value})
    if old_value == new_value:
        return Applied("unchanged", patient.pk)
    if selectors.find_by_local_id(authority, new_value) is not None:
        raise _error(Location("PID", 3, 1), DUPLICATE_KEY, _("PID-3 : le nouvel identifiant local %(value)s est déjà attribué.") % {"value": new_value})
    try:
        services.change_local_identifier(authority, old_value, new_value, actor=_actor(sender), channel=CHANNEL)
    except ValidationError as exc:
        raise FeedError(_validation_problems(exc, {}, {})) from exc
    return Applied("identifier_changed", patient.pk)


EVENT_HANDLERS = {"A28": _upsert_person, "A31": _upsert_person, "A40": _merge, "A47": _change_identifier}


def register_event(event: str, handler) -> None:
    """Let a service app handle another ADT event in this pipeline (same checks, journal and ACKs).

    ``handler(reader, header, sender) -> Applied`` runs in the message's
    transaction; it raises ``FeedError`` for an AE. Used by the coordination
    app for A01/A02/A03/A04/A11/A13 (admissions, transfers, discharges).
    """
    EVENT_HANDLERS[event] = handler


# --- Acknowledgements ----------------------------------------------------------------------------
def hl7_escape(text: str, separators: str = "\r|~^&", esc: str = "\\") -> str:
    """Escape delimiters in a text field (HL7 §2.7.4); accents are kept (MSH-18 says the charset)."""
    out = text.replace(esc, f"{esc}E{esc}")
    for char, code in ((separators[1], "F"), (separators[3], "S"), (separators[4], "T"), (separators[2], "R")):
        out = out.replace(char, f"{esc}{code}{esc}")
    return out.replace("\r", " ").replace("\n", " ")


def _timestamp() -> str:
    return datetime.datetime.now(PARIS).strftime("%Y%m%d%H%M%S%z")


def err_segment(problem: Problem, separators: str = "\r|~^&", esc: str = "\\") -> str:
    field_sep, comp = separators[1], separators[3]
    code = comp.join([problem.code, CODE_TEXTS.get(problem.code, ""), "HL70357"])
    fields = ["ERR", "", problem.location.erl(comp), code, problem.severity, "", "", "", hl7_escape(problem.message, separators, esc)]
    return field_sep.join(fields)


def build_ack(ack_code: str, problems: list[Problem], message: hl7.Message | None, header: Header | None) -> str:
    """The ACK (MSH, MSA, one ERR per problem) as text, in the sender's separators."""
    separators, esc = (message.separators, message.esc) if message is not None else ("\r|~^&", "\\")
    ack_id = uuid.uuid4().hex[:20]
    application = _setting("ENRS_HL7_APPLICATION", "ENRS")
    facility = _setting("ENRS_HL7_FACILITY", "ENRS")
    try:
        ack = message.create_ack(ack_code, message_id=ack_id, application=application, facility=facility)
        ack.segment("MSH").assign_field(_timestamp(), 7)
        ack.segment("MSH").assign_field(header.charset, 18) if header and header.charset else None
        text = str(ack)
    except Exception:  # noqa: BLE001 - no usable MSH: a minimal ACK in the default separators
        text = _minimal_ack(ack_code, ack_id, application, facility, header)
        separators, esc = "\r|~^&", "\\"
    text += "".join(err_segment(problem, separators, esc) + "\r" for problem in problems)
    return text


def _minimal_ack(ack_code: str, ack_id: str, application: str, facility: str, header: Header | None) -> str:
    h = header or Header()
    escape = hl7_escape
    msh = ["MSH", "^~\\&", application, facility, escape(h.sending_application), escape(h.sending_facility), _timestamp(), "",
           "ACK^" + escape(h.event) + "^ACK" if h.event else "ACK", ack_id, "P", "2.5"]
    msa = ["MSA", ack_code, escape(h.control_id)]
    return "|".join(msh) + "\r" + "|".join(msa) + "\r"


# --- The MLLP handler ---------------------------------------------------------------------------
@dataclass
class Received:
    frame: Frame
    text: str = ""
    codec: str = "utf-8"
    message: hl7.Message | None = None
    header: Header | None = None
    sender: Hl7Sender | None = None

    def entry(self, ack: str, ack_code: str, problems: list[Problem], outcome: str = "", patient_id: int | None = None) -> journal.JournalEntry:
        h = self.header or Header()
        return journal.JournalEntry(
            raw=self.text or self.frame.payload.decode("latin-1"),
            ack=ack,
            ack_code=ack_code,
            sender=self.sender,
            sending_application=h.sending_application,
            sending_facility=h.sending_facility,
            control_id=h.control_id,
            message_type=h.type_label,
            peer=self.frame.peer,
            request_id=self.frame.request_id,
            truncated=bool(self.frame.problem),
            errors=[p.as_dict() for p in problems],
            outcome=outcome,
            patient_id=patient_id,
        )


def handle_frame(frame: Frame) -> bytes:
    """MLLP handler: one block in, the encoded ACK out (see the module docstring)."""
    received = Received(frame)
    try:
        try:
            ack, code = _handle(received)
        except FeedError as error:
            ack, code = _refuse(received, error)
    except Exception:  # noqa: BLE001 - database down, bug: AR 207, the sender resends later
        log.exception("HL7 message not processed", extra={"peer": frame.peer})
        problem = Problem(Location("MSH"), INTERNAL, _("Erreur interne du serveur d'identités : message non traité, renvoyez-le plus tard."))
        ack, code = build_ack("AR", [problem], received.message, received.header), "AR"
    log.info(
        "HL7 message handled",
        extra={"peer": frame.peer, "control_id": received.header.control_id if received.header else "",
               "type": received.header.type_label if received.header else "", "ack": code},
    )
    return ack.encode(received.codec, "replace")


def _frame_problem(frame: Frame) -> FeedError | None:
    if frame.problem == "too_large":
        return _reject(Location("MSH"), INTERNAL, _("Message trop volumineux : il dépasse la taille maximale acceptée par le serveur."))
    if frame.problem:
        return _reject(Location("MSH"), SEGMENT_SEQUENCE, _("Bloc MLLP invalide : caractère de début de bloc <VT> absent."))
    return None


def _read(received: Received) -> None:
    """Decode, parse, check the header and the sender (AR on any failure)."""
    received.text, received.codec = _decode(received.frame.payload)
    problem = _frame_problem(received.frame)
    try:
        received.message = parse(received.text)
        received.header = read_header(Reader(received.message))
    except FeedError:
        if problem is not None:
            raise problem from None
        raise
    if problem is not None:
        raise problem
    check_header(received.header)
    received.sender = check_sender(received.header, received.frame.peer)


def _handle(received: Received) -> tuple[str, str]:
    _read(received)
    # No look-up of MSH-10 first: the journal's unique (sender, control id) refuses a
    # replay at the end of the unit of work, which then rolls back entirely (a replay
    # is rare; a look-up before every message is not free).
    try:
        # The trail lines of the message are its last writes (see audit.appended_last).
        with transaction.atomic(), audit.appended_last():
            applied = EVENT_HANDLERS[received.header.event](Reader(received.message), received.header, received.sender)
            ack = build_ack("AA", applied.warnings, received.message, received.header)
            journal.journal(received.entry(ack, "AA", applied.warnings, applied.outcome, applied.patient_id))
    except IntegrityError:
        # The control id was already received (a replay), or committed meanwhile by another connection.
        previous = interface_selectors.processed_message(received.sender, received.header.control_id)
        if previous is None:
            raise
        return _replay(received, previous)
    return ack, "AA"


def _replay(received: Received, previous) -> tuple[str, str]:
    if previous.raw_sha256 == journal.digest(received.text):
        log.info("HL7 message replayed: same ACK sent again", extra={"control_id": previous.control_id})
        return previous.ack, previous.ack_code
    raise _reject(Location("MSH", 10), DUPLICATE_KEY, _("MSH-10 : l'identifiant de message %(id)s a déjà été reçu de cet émetteur avec un autre contenu.") % {"id": received.header.control_id})


def _refuse(received: Received, error: FeedError) -> tuple[str, str]:
    """Build the AE/AR acknowledgement and keep the message with its reasons (nothing stored else).

    A replay of a message already answered gets its first acknowledgement again,
    whatever this run would have said (the sender asked the same question twice).
    """
    duplicate = _is_duplicate(error)
    if received.sender is not None and not duplicate:
        previous = interface_selectors.processed_message(received.sender, received.header.control_id)
        if previous is not None:
            try:
                return _replay(received, previous)
            except FeedError as different_content:
                error, duplicate = different_content, True
    ack = build_ack(error.ack_code, error.problems, received.message, received.header)
    entry = received.entry(ack, error.ack_code, error.problems)
    journal.journal(entry, once=False) if duplicate else journal.journal_rejected(entry)
    return ack, error.ack_code


def _is_duplicate(error: FeedError) -> bool:
    return any(p.code == DUPLICATE_KEY and p.location.segment == "MSH" for p in error.problems)
