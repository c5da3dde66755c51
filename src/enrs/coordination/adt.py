"""ADT A01/A02/A03/A04/A11/A13 (admissions, transfers, discharges and their cancellations) for the care team.

Plugged into the identity feed's pipeline (``enrs.identity.hl7``: same MLLP
listener, header and sender checks, journal, replays and ACKs) through
``register_event``. For each movement:

- PID-3 carries the sender's IPP (or an INS): the regional identity is found
  through ``enrs.identity.selectors``; its coordination record gets a timeline
  event and the active care team is notified (in the app and by e-mail);
- a patient the identity server does not know is queued for identity
  vigilance (``PendingEncounter``) and acknowledged AA with a warning: never
  dropped; a vigilance officer attaches it later, which applies it then;
- a known patient without a coordination record is acknowledged (nobody to
  notify): outcome ``not_followed``.

Event time: EVN-6 (event occurred), else EVN-2, else the reception time. The
unit is PV1-3 (point of care), the visit number PV1-19.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.coordination import services
from enrs.identity import hl7
from enrs.identity import selectors as identity_selectors
from enrs.identity.hl7 import Applied, FeedError, Location, Problem, Reader

EVENTS = tuple(services.ADT_EVENTS)
PARIS = ZoneInfo("Europe/Paris")


_DTM_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?(?:([+-])(\d{2})(\d{2}))?$")


def hl7_datetime(value: str, location: Location) -> datetime.datetime | None:
    """TS/DTM → aware datetime (Paris when no offset is given); None when empty."""
    if not value:
        return None
    match = _DTM_RE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
        zone = PARIS
        if sign:
            minutes = int(off_h) * 60 + int(off_m)
            zone = datetime.timezone(datetime.timedelta(minutes=minutes if sign == "+" else -minutes))
        return datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError as exc:
        raise FeedError(Problem(location, hl7.DATA_TYPE, _("%(location)s : date illisible « %(value)s » (attendu AAAAMMJJHHMM[SS]).")
                                % {"location": location, "value": value[:26]})) from exc


def _occurred_at(reader: Reader) -> datetime.datetime:
    evn = reader.segments("EVN")
    if evn:
        for number in (6, 2):
            moment = hl7_datetime(reader.value(evn[0], number), Location("EVN", number))
            if moment is not None:
                return moment
    return timezone.now()


def _patient(reader: Reader, pid, sender):
    person = hl7.PersonData()
    own = hl7.read_identifiers(reader, pid, 3, sender, person)
    for _authority, value, _index in own:
        found = identity_selectors.find_by_local_id(sender.authority, value)
        if found is not None:
            return identity_selectors.surviving(found), own, person
    found = identity_selectors.find_by_ins(person.traits.get("ins", ""))
    return found, own, person


def _received_traits(reader: Reader, pid) -> dict:
    """What PID says of the person, raw, for the vigilance officer who will look for him."""
    return {
        "birth_name": reader.value(pid, 5, 1), "first_names": reader.value(pid, 5, 2),
        "birth_date": reader.value(pid, 7), "sex": reader.value(pid, 8),
    }


def handle_movement(reader: Reader, header: hl7.Header, sender) -> Applied:
    pid = hl7._one_segment(reader, "PID", _("un mouvement de patient"))
    patient, own, person = _patient(reader, pid, sender)
    occurred_at = _occurred_at(reader)
    if patient is None:
        if not own and "ins" not in person.traits:
            raise FeedError(Problem(Location("PID", 3), hl7.REQUIRED_MISSING, _(
                "PID-3 : aucun identifiant local (IPP) de l'autorité %(authority)s ni INS : le patient ne peut pas être retrouvé.")
                % {"authority": sender.authority_namespace or sender.authority_oid}))
        services.queue_unknown_encounter(
            sender=sender, source=sender.name, organisation_name=sender.organisation.name, control_id=header.control_id, event=header.event, occurred_at=occurred_at,
            local_id=own[0][1] if own else "", traits=_received_traits(reader, pid),
        )
        warning = Problem(Location("PID", 3), hl7.UNKNOWN_KEY, _(
            "PID-3 : patient inconnu du serveur d'identités ; le mouvement est mis en attente pour l'identitovigilance."), "W")
        return Applied("queued_for_vigilance", None, [*person.warnings, warning])
    pv1 = reader.segments("PV1")
    notice = services.EncounterNotice(
        event=header.event, occurred_at=occurred_at, facility=sender.organisation.name, source=sender.name,
        unit=reader.value(pv1[0], 3, 1) if pv1 else "", visit_number=reader.value(pv1[0], 19) if pv1 else "",
    )
    outcome = services.record_encounter(patient, notice, channel=hl7.CHANNEL)
    return Applied(outcome, patient.pk, person.warnings)


def register() -> None:
    for event in EVENTS:
        hl7.register_event(event, handle_movement)
