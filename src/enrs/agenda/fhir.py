"""FHIR view of the agendas after the ANS shared-agenda guide (GAP, fr-interop §3).

- ``Schedule`` (gap-fr-schedule): one per agenda, through the generic machinery
  (read, search on ``actor``, ``specialty``, ``active``; ``_include=Schedule:actor``).
  The actor of a professional's agenda references both his PractitionerRole and
  his Practitioner (GAP flux-gestion-ressources); a team or resource agenda
  references its Organization.
- ``Slot`` (gap-fr-slot): slots are computed from the rules, never stored, so
  ``/fhir/Slot`` has its own view (``slot_search`` / ``slot_read``): ``start``
  with prefixes (GAP earliestStart/latestStart), ``status`` (free, busy),
  ``schedule``, ``schedule.actor`` with the chain ``schedule.actor:PractitionerRole.specialty``,
  ``_include=Slot:schedule`` and ``_include=Schedule:actor``, ``_count``. A Slot id is
  ``<agenda>-<motif>-<UTC start yyyymmddThhmm>``.
- ``Appointment`` (gap-fr-appointment): read and search for the users the
  permission API allows (every resource served is trailed), ``POST`` (``status``
  booked = a declaration, pending/proposed = a request held for confirmation), and
  the conditional update ``PUT /fhir/Appointment?identifier=system|value``
  (cancellation with ``cancelationReason``, or a move to another ``slot``).

Writes authenticate by session with the CSRF check enforced (the FHIR endpoints
are otherwise CSRF-exempt), or by a connector token: ``agenda:lecture`` reads the
slots and appointments of the connector's structures, ``agenda:ecriture`` declares,
moves and cancels appointments on their agendas (docs/services/agenda.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from enrs.agenda import selectors, services
from enrs.agenda import slots as arithmetic
from enrs.agenda.models import Agenda, Appointment, Motif
from enrs.connectors import selectors as connector_selectors
from enrs.connectors.scopes import AGENDA_READ, AGENDA_WRITE
from enrs.core import audit, permissions
from enrs.directory.nomenclatures import R38_SYSTEM
from enrs.directory.models import PracticeSituation
from enrs.fhir import params as p
from enrs.fhir.dates import parse_date, split_prefix
from enrs.fhir.errors import FhirError, InvalidSearchValue, Issue
from enrs.fhir.registry import READ, SEARCH, CustomResource, ResourceType, register, register_custom, registry
from enrs.fhir.resources import build_resource, parse_body
from enrs.fhir.responses import base_url, fhir_response, negotiate, wants_pretty
from enrs.fhir.views import fhir_endpoint, type_level

GAP = "https://interop.esante.gouv.fr/ig/fhir/gap/StructureDefinition"
PROFILE_SCHEDULE, PROFILE_SLOT, PROFILE_APPOINTMENT = f"{GAP}/gap-fr-schedule", f"{GAP}/gap-fr-slot", f"{GAP}/gap-fr-appointment"
CHANNEL = "fhir"
DEFAULT_SLOT_COUNT, MAX_SLOT_COUNT = 50, 500
DEFAULT_WINDOW = dt.timedelta(days=14)
SLOT_PARAMS = {"start", "status", "schedule", "schedule.actor", "_count", "_include", "_format", "_pretty"}
SLOT_INCLUDES = {"Slot:schedule", "Schedule:actor"}
STATUS_TO_FHIR = {Appointment.Status.PENDING: "pending", Appointment.Status.BOOKED: "booked", Appointment.Status.CANCELLED: "cancelled"}


# --- Schedule ----------------------------------------------------------------------------------
def _situation(agenda: Agenda) -> PracticeSituation | None:
    if agenda.professional_id is None:
        return None
    return PracticeSituation.objects.filter(professional_id=agenda.professional_id, organisation_id=agenda.organisation_id).first()


def schedule_actors(agenda: Agenda) -> list[dict]:
    if agenda.professional_id is None:
        return [{"reference": f"Organization/{agenda.organisation_id}", "display": agenda.organisation.name}]
    actors = []
    situation = _situation(agenda)
    if situation is not None:
        actors.append({"reference": f"PractitionerRole/{situation.pk}"})
    actors.append({"reference": f"Practitioner/{agenda.professional_id}", "display": str(agenda.professional)})
    return actors


def schedule_resource(agenda: Agenda, request=None) -> Schedule:
    now = timezone.now()
    horizon = max([m.horizon_days for m in agenda.motifs.all()] or [0])
    specialty = [{"coding": [{"system": R38_SYSTEM, "code": agenda.specialty_code, "display": agenda.specialty_label or None}]}]
    return Schedule.model_validate({
        "resourceType": "Schedule", "id": str(agenda.pk),
        "meta": {"profile": [PROFILE_SCHEDULE], "lastUpdated": agenda.updated_at},
        "active": agenda.active, "actor": schedule_actors(agenda),
        "specialty": specialty if agenda.specialty_code else None,
        "planningHorizon": {"start": now, "end": now + dt.timedelta(days=horizon)},
        "comment": agenda.name,
    })


def schedules(request=None) -> QuerySet[Agenda]:
    return Agenda.objects.filter(published=True).select_related("organisation", "professional")


SCHEDULE = ResourceType(
    name="Schedule", queryset=schedules, to_fhir=schedule_resource, profiles=(PROFILE_SCHEDULE,),
    documentation=_lazy("Agendas publiés (GAP) : professionnel, équipe ou ressource."),
    search_params=(
        p.reference("actor", {"Practitioner": "professional", "Organization": "organisation"}, documentation=_lazy("Acteur de l'agenda.")),
        p.token("specialty", p.TokenTarget("specialty_code", system=R38_SYSTEM), documentation=_lazy("Spécialité ordinale (TRE_R38).")),
        p.boolean_token("active", "active", documentation=_lazy("Agenda actif.")),
    ),
    includes=(p.Include("actor", "Practitioner", "professional"),),
)


# --- Slot --------------------------------------------------------------------------------------
def slot_id(slot: selectors.Slot) -> str:
    return slot.key


def slot_resource(slot: selectors.Slot, motif: Motif) -> FhirSlot:
    return FhirSlot.model_validate({
        "resourceType": "Slot", "id": slot_id(slot), "meta": {"profile": [PROFILE_SLOT]},
        "schedule": {"reference": f"Schedule/{slot.agenda_id}"}, "status": "free" if slot.free else "busy",
        "start": slot.start, "end": slot.end,
        "serviceType": [{"text": motif.label}], "appointmentType": {"text": motif.get_mode_display()},
    })


def visible_motifs(user, request: HttpRequest | None = None) -> QuerySet[Motif]:
    """Motifs whose slots the requester may see: patients' motifs of published agendas for everyone,
    plus what a professional may book (professionals' and his circuits' motifs), plus, for a
    connector with ``agenda:lecture``, every motif of its structures' agendas."""
    public = Motif.objects.filter(active=True, agenda__active=True, agenda__published=True, audience=Motif.Audience.PATIENTS)
    connector = _connector(request, AGENDA_READ, required=False) if request is not None else None
    if connector is not None:
        own = Motif.objects.filter(active=True, agenda__active=True, agenda__organisation__in=_acted_for(connector))
        return (public | own).distinct()
    if not selectors.is_professional(user):
        return public
    professional = Motif.objects.filter(active=True, agenda__active=True, audience=Motif.Audience.PROFESSIONALS)
    circuits = selectors.reserved_motifs_for(user)
    own = Motif.objects.filter(active=True, agenda__in=selectors.agendas_managed_by(user))
    return (public | professional | circuits | own).distinct()


def _parse_start(values: list[str], problems: list[Issue]) -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    lower, upper = now, None
    for raw in values:
        try:
            prefix, value = split_prefix(raw)
            if prefix not in {"ge", "gt", "le", "lt", "eq"}:
                raise InvalidSearchValue(_("Préfixe non pris en charge pour start : %(p)s (ge, gt, le, lt, eq).") % {"p": prefix})
            bounds = parse_date(value)
        except InvalidSearchValue as exc:
            problems.append(Issue("invalid", _("Paramètre « start » : %(m)s") % {"m": exc}, expression=("start",)))
            continue
        if prefix in {"ge", "eq"}:
            lower = max(lower, bounds.start)
        if prefix == "gt":
            lower = max(lower, bounds.end)
        if prefix in {"le", "eq"}:
            upper = bounds.end if upper is None else min(upper, bounds.end)
        if prefix == "lt":
            upper = bounds.start if upper is None else min(upper, bounds.start)
    upper = upper or lower + DEFAULT_WINDOW
    if upper - lower > dt.timedelta(days=selectors.MAX_SLOT_WINDOW_DAYS):
        problems.append(Issue("too-costly", _("La période demandée dépasse %(days)d jours : resserrez « start ».")
                              % {"days": selectors.MAX_SLOT_WINDOW_DAYS}, expression=("start",)))
    return lower, upper


def _reference_ids(raw: str, allowed: tuple[str, ...], name: str, problems: list[Issue]) -> list[tuple[str, int]]:
    found = []
    for part in filter(None, (x.strip() for x in raw.split(","))):
        kind, _sep, ident = part.rpartition("/")
        kind = kind.rsplit("/", 1)[-1] if kind else allowed[0]
        if kind not in allowed or not ident.isdigit():
            problems.append(Issue("invalid", _("Paramètre « %(n)s » : référence invalide « %(v)s » (attendu : %(a)s/<id>).")
                                  % {"n": name, "v": part[:60], "a": " ou ".join(allowed)}, expression=(name,)))
            continue
        found.append((kind, int(ident)))
    return found


def _filter_agendas(params: MultiValueDict, problems: list[Issue]) -> QuerySet[Agenda]:
    agendas = Agenda.objects.filter(active=True)
    for raw in params.getlist("schedule"):
        ids = [ident for _kind, ident in _reference_ids(raw, ("Schedule",), "schedule", problems)]
        agendas = agendas.filter(pk__in=ids)
    for raw in params.getlist("schedule.actor"):
        refs = _reference_ids(raw, ("Practitioner", "PractitionerRole", "Organization"), "schedule.actor", problems)
        agendas = agendas.filter(pk__in=_agendas_of_actors(refs))
    for key in params:
        if key.startswith("schedule.actor:"):
            agendas = _chained_specialty(agendas, key, params.getlist(key), problems)
    return agendas


def _agendas_of_actors(refs) -> list[int]:
    ids = set()
    for kind, ident in refs:
        if kind == "Practitioner":
            ids |= set(Agenda.objects.filter(professional_id=ident).values_list("pk", flat=True))
        elif kind == "Organization":
            ids |= set(Agenda.objects.filter(organisation_id=ident).values_list("pk", flat=True))
        else:
            situation = PracticeSituation.objects.filter(pk=ident).first()
            if situation is not None:
                ids |= set(Agenda.objects.filter(professional_id=situation.professional_id,
                                                 organisation_id=situation.organisation_id).values_list("pk", flat=True))
    return list(ids)


def _chained_specialty(agendas, key: str, values: list[str], problems: list[Issue]):
    if key != "schedule.actor:PractitionerRole.specialty":
        problems.append(Issue("not-supported", _("Chaînage non pris en charge : « %(k)s » (admis : schedule.actor:PractitionerRole.specialty).")
                              % {"k": key[:80]}, expression=(key,)))
        return agendas
    for raw in values:
        codes = []
        for part in raw.split(","):
            system, sep, code = part.rpartition("|")
            if sep and p.normalise_system(system) != p.normalise_system(R38_SYSTEM):
                problems.append(Issue("invalid", _("Système de spécialité inconnu : %(s)s (attendu : TRE_R38).") % {"s": system[:100]},
                                      expression=(key,)))
            codes.append(code.strip())
        agendas = agendas.filter(specialty_code__in=codes)
    return agendas


def _check_slot_params(params: MultiValueDict, problems: list[Issue]) -> None:
    for key in params:
        if key not in SLOT_PARAMS and not key.startswith("schedule.actor:"):
            problems.append(Issue("not-supported", _("Paramètre de recherche inconnu pour Slot : « %(k)s » (admis : %(a)s).")
                                  % {"k": key[:60], "a": ", ".join(sorted(SLOT_PARAMS))}, expression=(key,)))
        if any(ord(ch) < 32 for value in params.getlist(key) for ch in value) or any(len(v) > p.MAX_VALUE_LENGTH for v in params.getlist(key)):
            problems.append(Issue("invalid", _("Valeur illisible pour « %(k)s ».") % {"k": key[:60]}, expression=(key,)))
    for value in ",".join(params.getlist("status")).split(","):
        if value and value not in {"free", "busy"}:
            problems.append(Issue("invalid", _("Statut de créneau inconnu : « %(v)s » (free ou busy).") % {"v": value[:30]}, expression=("status",)))
    for value in ",".join(params.getlist("_include")).split(","):
        if value and value not in SLOT_INCLUDES:
            problems.append(Issue("not-supported", _("_include non pris en charge « %(v)s » (admis : Slot:schedule, Schedule:actor).")
                                  % {"v": value[:60]}, expression=("_include",)))


def _count(params: MultiValueDict, problems: list[Issue]) -> int:
    raw = params.get("_count", "")
    if not raw:
        return DEFAULT_SLOT_COUNT
    if not raw.isdigit():
        problems.append(Issue("invalid", _("_count attend un entier."), expression=("_count",)))
        return DEFAULT_SLOT_COUNT
    return min(int(raw), MAX_SLOT_COUNT)


def search_slots(request: HttpRequest, params: MultiValueDict):
    problems: list[Issue] = []
    _check_slot_params(params, problems)
    lower, upper = _parse_start(params.getlist("start"), problems)
    agendas = _filter_agendas(params, problems)
    count = _count(params, problems)
    if problems:
        raise FhirError(400, problems)
    statuses = set(",".join(params.getlist("status")).split(",")) - {""} or {"free", "busy"}
    motifs = visible_motifs(request.user, request).filter(agenda__in=agendas).select_related("agenda").order_by("agenda__next_free_at", "agenda_id", "pk")
    found: list[tuple[selectors.Slot, Motif]] = []
    for motif in motifs.iterator():
        for slot in selectors.slots(motif, lower, upper, include_busy="busy" in statuses):
            if ("free" if slot.free else "busy") in statuses:
                found.append((slot, motif))
        if len(found) >= count:
            break
    found.sort(key=lambda pair: (pair[0].start, pair[0].agenda_id, pair[0].motif_id))
    return found[:count]


def _slot_bundle(request: HttpRequest, params: MultiValueDict, found) -> Bundle:
    base = base_url(request)
    entries = [{"fullUrl": f"{base}/Slot/{slot_id(slot)}", "resource": slot_resource(slot, motif), "search": {"mode": "match"}}
               for slot, motif in found]
    includes = set(",".join(params.getlist("_include")).split(",")) - {""}
    if includes:
        agendas = Agenda.objects.filter(pk__in={slot.agenda_id for slot, _m in found}).select_related("organisation", "professional")
        entries += _included(request, base, list(agendas), includes)
    return Bundle.model_validate({
        "resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset", "total": len(found),
        "link": [{"relation": "self", "url": request.build_absolute_uri()}], "entry": entries or None,
    })


def _included(request, base: str, agendas: list[Agenda], includes: set[str]) -> list[dict]:
    entries = []
    if "Slot:schedule" in includes:
        entries += [{"fullUrl": f"{base}/Schedule/{a.pk}", "resource": schedule_resource(a), "search": {"mode": "include"}} for a in agendas]
    if "Schedule:actor" in includes:
        seen = set()
        for agenda in agendas:
            for actor in schedule_actors(agenda):
                kind, ident = actor["reference"].split("/")
                rt = registry.get(kind)
                obj = rt.queryset(request).filter(pk=int(ident)).first() if rt else None
                if obj is not None and (kind, ident) not in seen:
                    seen.add((kind, ident))
                    entries.append({"fullUrl": f"{base}/{kind}/{ident}", "resource": build_resource(rt, obj, request), "search": {"mode": "include"}})
    return entries


@fhir_endpoint
def slot_type(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        raise FhirError.method_not_allowed(_("Les créneaux se calculent à partir des règles : lecture et recherche seulement."), ["GET"])
    negotiate(request, request.GET.getlist("_format"))
    found = search_slots(request, request.GET)
    return fhir_response(_slot_bundle(request, request.GET, found), pretty=wants_pretty(request.GET.getlist("_pretty")))


@fhir_endpoint
def slot_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        raise FhirError.method_not_allowed(_("Les créneaux se calculent à partir des règles : lecture et recherche seulement."), ["GET"])
    not_found = FhirError.not_found(_("Ressource Slot/%(id)s introuvable.") % {"id": resource_id[:64]})
    try:
        agenda_id, motif_id, stamp = resource_id.split("-")
        start = dt.datetime.strptime(stamp, "%Y%m%dT%H%M").replace(tzinfo=arithmetic.UTC)
    except ValueError:
        raise not_found from None
    motif = visible_motifs(request.user, request).filter(pk=int(motif_id) if motif_id.isdigit() else 0, agenda_id=agenda_id).select_related("agenda").first()
    if motif is None:
        raise not_found
    slot = next((s for s in selectors.slots(motif, start, start + dt.timedelta(minutes=1), include_busy=True, within_window=False)), None)
    if slot is None:
        raise not_found
    return fhir_response(slot_resource(slot, motif), pretty=wants_pretty(request.GET.getlist("_pretty")))


# --- Appointment -------------------------------------------------------------------------------
# --- Who is asking: a signed-in user, or a connector of a structure (Bearer token) -----------------
def _bearer(request: HttpRequest | None) -> bool:
    return request is not None and request.headers.get("Authorization", "").lower().startswith("bearer ")


def _connector(request: HttpRequest, *scopes: str, required: bool = True):
    """The connector behind the request's token, holding one of ``scopes``; None for a user session.

    ``required=False``: a token without the scope is simply not a connector view (public slots)."""
    if not _bearer(request):
        return None
    from enrs.identity.fhir import principal  # the shared FHIR token check (401/403 as OperationOutcome)

    who = principal(request)
    if not set(scopes) & who.scopes:
        scope = " ou ".join(scopes)
        if not required:
            return None
        raise FhirError(403, Issue("forbidden", _("Portée insuffisante : ce jeton n'a pas la portée %(scope)s.") % {"scope": scope}))
    return who.connector


def _acted_for(connector) -> set[int]:
    cached = getattr(connector, "_enrs_acted_for", None)
    if cached is None:
        cached = connector._enrs_acted_for = connector_selectors.acted_for_organisation_ids(connector)
    return cached


def _user(request: HttpRequest | None):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise FhirError(401, Issue("login", _("Authentification requise pour les rendez-vous.")), headers={"WWW-Authenticate": "Bearer"})
    return user


def appointments(request: HttpRequest | None) -> QuerySet[Appointment]:
    if request is None:
        return Appointment.objects.none()
    base = Appointment.objects.select_related("agenda", "motif", "patient").exclude(status=Appointment.Status.PENDING, hold_expires_at__lt=timezone.now())
    connector = _connector(request, AGENDA_READ)
    if connector is not None:
        return base.filter(agenda__organisation__in=_acted_for(connector))
    return permissions.filter_allowed(_user(request), "read", base)


def _trail_connector(connector, appointment: Appointment, action: str, request) -> None:
    """Connectors act without a user: their accesses are trailed with the structure they act for."""
    audit.record(actor=None, action=action, channel=CHANNEL, patient_id=appointment.patient_id, object_type="agenda.Appointment",
                 object_id=str(appointment.pk), organisation_id=connector.organisation_id, role="connector",
                 justification=_("Connecteur %(name)s") % {"name": connector.name}, request=request)


def appointment_resource(appointment: Appointment, request=None) -> FhirAppointment:
    if request is not None:
        connector = _connector(request, AGENDA_READ, AGENDA_WRITE)  # a write answers with what it wrote
        if connector is not None:
            if appointment.agenda.organisation_id not in _acted_for(connector):
                raise FhirError.not_found(_("Ressource Appointment/%(id)s introuvable.") % {"id": appointment.pk})
            _trail_connector(connector, appointment, "read", request)
        else:
            permissions.require(_user(request), "read", appointment, channel=CHANNEL, request=request)
    participants = [{"actor": {"reference": actor["reference"]}, "status": "accepted"} for actor in schedule_actors(appointment.agenda)]
    patient = {"actor": {"display": appointment.patient_label or "—"}, "status": "accepted"}
    if appointment.patient_id:
        patient["actor"]["reference"] = f"Patient/{appointment.patient_id}"
    identifiers = [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{appointment.identifier}"}]
    if appointment.external_identifier:
        system, _sep, value = appointment.external_identifier.rpartition("|")
        identifiers.append({"system": system or None, "value": value})
    slot = selectors.Slot(appointment.agenda_id, appointment.motif_id, appointment.start, appointment.end)
    return FhirAppointment.model_validate({
        "resourceType": "Appointment", "id": str(appointment.pk),
        "meta": {"profile": [PROFILE_APPOINTMENT], "lastUpdated": appointment.updated_at},
        "identifier": identifiers, "status": STATUS_TO_FHIR[appointment.status],
        "cancelationReason": {"text": appointment.cancel_reason} if appointment.cancel_reason else None,
        "serviceType": [{"text": appointment.motif.label}], "start": appointment.start, "end": appointment.end,
        "minutesDuration": int((appointment.end - appointment.start).total_seconds() // 60),
        "slot": [{"reference": f"Slot/{slot.key}"}], "created": appointment.created_at,
        "comment": appointment.comment or None, "participant": [*participants, patient],
    })


def _check_csrf(request: HttpRequest) -> None:
    rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
    if rejected is not None:
        raise FhirError(403, Issue("forbidden", _("Jeton CSRF absent ou invalide pour une écriture par session.")))


def _slot_of(resource: FhirAppointment) -> tuple[Motif, dt.datetime]:
    refs = [s.reference for s in (resource.slot or []) if s.reference]
    if len(refs) != 1 or not refs[0].startswith("Slot/"):
        raise FhirError.unprocessable([Issue("required", _("Appointment.slot doit référencer exactement un Slot."), expression=("Appointment.slot",))])
    try:
        agenda_id, motif_id, stamp = refs[0][5:].split("-")
        start = dt.datetime.strptime(stamp, "%Y%m%dT%H%M").replace(tzinfo=arithmetic.UTC)
        motif = Motif.objects.select_related("agenda", "circuit").get(pk=int(motif_id), agenda_id=int(agenda_id))
    except (ValueError, Motif.DoesNotExist):
        raise FhirError.unprocessable([Issue("invalid", _("Créneau inconnu : %(ref)s.") % {"ref": refs[0][:80]}, expression=("Appointment.slot",))]) from None
    return motif, start


def _patient_of(resource: FhirAppointment, user, connector=None):
    """The patient the resource names: one the user may read, or, for a connector, one its structure knows (IPP)."""
    from enrs.identity import selectors as identity_selectors
    from enrs.identity.models import Patient

    for participant in resource.participant or []:
        reference = participant.actor.reference if participant.actor else None
        if reference and reference.startswith("Patient/"):
            pk = int(reference[8:]) if reference[8:].isdigit() else 0
            if connector is not None:
                patient = identity_selectors.known_to_organisation(connector.organisation).filter(pk=pk).first()
            else:
                patient = Patient.objects.filter(pk=pk).first()
                patient = patient if patient is not None and permissions.can(user, "read", patient) else None
            if patient is None:
                raise FhirError.unprocessable([Issue("invalid", _("Patient inconnu ou hors de votre équipe de soins : %(ref)s.") % {"ref": reference[:40]},
                                                     expression=("Appointment.participant",))])
            if connector is None:
                permissions.require(user, "read", patient, channel=CHANNEL)
            return patient, (participant.actor.display or "")
        if participant.actor and participant.actor.display and not reference:
            return None, participant.actor.display
    return None, ""


def _identifier_key(resource: FhirAppointment) -> str:
    for identifier in resource.identifier or []:
        if identifier.value and identifier.system != "urn:ietf:rfc:3986":
            return f"{identifier.system or ''}|{identifier.value}"
    return ""


def _book_from(request: HttpRequest, resource: FhirAppointment, user, connector=None) -> Appointment:
    if resource.status not in {"booked", "pending", "proposed"} or (connector is not None and resource.status != "booked"):
        allowed = _("booked (déclaration)") if connector is not None else _("booked (déclaration), pending ou proposed (demande)")
        raise FhirError.unprocessable([Issue("invalid", _("Statut de création admis : %(allowed)s.") % {"allowed": allowed},
                                             expression=("Appointment.status",))])
    motif, start = _slot_of(resource)
    patient, label = _patient_of(resource, user, connector)
    try:
        if connector is not None:
            appointment = services.declare(motif, start, organisation_ids=_acted_for(connector), patient=patient, patient_label=label,
                                           comment=(resource.comment or "")[:500], external_identifier=_identifier_key(resource))
            _trail_connector(connector, appointment, "create", request)
            return appointment
        return services.book(motif, start, user=user, patient=patient, patient_label=label, hold=resource.status != "booked",
                             comment=(resource.comment or "")[:500], external_identifier=_identifier_key(resource))
    except ValidationError as exc:
        raise FhirError(409 if "réservé" in " ".join(exc.messages) else 422, [Issue("conflict" if "réservé" in " ".join(exc.messages) else "business-rule", m)
                                                                                for m in exc.messages]) from exc


def _writer(request: HttpRequest):
    """(user, connector) of a write: a connector token with ``agenda:ecriture``, or a session with its CSRF token."""
    connector = _connector(request, AGENDA_WRITE)
    if connector is not None:
        return None, connector
    user = _user(request)
    _check_csrf(request)
    return user, None


def create_appointment(request: HttpRequest, rt: ResourceType, resource_id=None) -> HttpResponse:
    user, connector = _writer(request)
    resource = parse_body(request, rt)
    appointment = _book_from(request, resource, user, connector)
    location = f"{base_url(request)}/Appointment/{appointment.pk}"
    return fhir_response(appointment_resource(appointment, request), status=201, headers={"Location": location})


def conditional_update(request: HttpRequest) -> HttpResponse:
    """``PUT /fhir/Appointment?identifier=system|value``: cancel or move the matching appointment, or create it."""
    user, connector = _writer(request)
    keys = request.GET.getlist("identifier")
    if len(keys) != 1 or "|" not in keys[0] or set(request.GET) - {"identifier", "_format", "_pretty"}:
        raise FhirError.invalid(_("La mise à jour conditionnelle attend un seul critère identifier=system|value."), "identifier")
    resource = parse_body(request, SCHEDULE_APPOINTMENT)
    candidates = Appointment.objects.filter(external_identifier=keys[0][:200])
    if connector is not None:
        same = candidates.filter(agenda__organisation__in=_acted_for(connector))
    else:
        same = permissions.filter_allowed(user, "update", candidates)
    # A moved appointment keeps its identifier: the live one is the match, else the latest.
    matches = list(same.exclude(status=Appointment.Status.CANCELLED)) or list(same.order_by("-updated_at")[:1])
    if len(matches) > 1:
        raise FhirError(412, Issue("multiple-matches", _("Plusieurs rendez-vous portent cet identifiant.")))
    if not matches:
        if Appointment.objects.filter(external_identifier=keys[0][:200]).exists():
            raise FhirError(403, Issue("forbidden", _("Ce rendez-vous ne vous concerne pas.")))
        if _identifier_key(resource) != keys[0]:
            raise FhirError.unprocessable([Issue("invalid", _("L'identifiant de la ressource doit être celui du critère."), expression=("Appointment.identifier",))])
        appointment = _book_from(request, resource, user, connector)
        return fhir_response(appointment_resource(appointment, request), status=201)
    appointment = matches[0]
    if connector is not None:
        _trail_connector(connector, appointment, "update", request)
    else:
        permissions.require(user, "update", appointment, channel=CHANNEL, request=request)
    appointment = _apply_update(appointment, resource, user, connector)
    return fhir_response(appointment_resource(appointment, request), status=200)


def _apply_update(appointment: Appointment, resource: FhirAppointment, user, connector=None) -> Appointment:
    acting = _acted_for(connector) if connector is not None else None
    try:
        if resource.status in {"cancelled", "noshow", "entered-in-error"}:
            reason = (resource.cancelationReason.text if resource.cancelationReason and resource.cancelationReason.text else "") or resource.status
            return services.cancel(appointment, user=user, reason=reason, organisation_ids=acting)
        if resource.status == "booked" and appointment.status == Appointment.Status.PENDING and connector is None:
            return services.confirm(appointment, user=user)
        motif, start = _slot_of(resource)
        if motif.pk == appointment.motif_id and start != appointment.start:
            reason = (resource.comment or "").strip() or _("Déplacé par l'interface FHIR")
            return services.reschedule(appointment, start, user=user, reason=reason, organisation_ids=acting)
        return appointment
    except ValidationError as exc:
        raise FhirError(409, [Issue("conflict", m) for m in exc.messages]) from exc


@fhir_endpoint
def appointment_type(request: HttpRequest) -> HttpResponse:
    """``/fhir/Appointment``: PUT is the conditional update; everything else is the generic machinery."""
    if request.method == "PUT":
        return conditional_update(request)
    return type_level(request, "Appointment")


SCHEDULE_APPOINTMENT = register(ResourceType(
    name="Appointment", queryset=appointments, to_fhir=appointment_resource, profiles=(PROFILE_APPOINTMENT,),
    interactions=frozenset({READ, SEARCH, "create"}), handlers={"create": create_appointment}, conditional_update=True,
    documentation=_lazy("Rendez-vous (GAP) : lecture et recherche selon les droits, création, mise à jour conditionnelle sur identifier."),
    search_params=(
        p.date("date", "start", documentation=_lazy("Début du rendez-vous.")),
        p.token("status", p.TokenTarget("status"), documentation=_lazy("pending, booked, cancelled.")),
        p.reference("actor", {"Patient": "patient", "Practitioner": "agenda__professional"}, documentation=_lazy("Participant.")),
    ),
    last_updated="updated_at",
))
register(SCHEDULE)
# Slots are computed by slot_type/slot_instance (fhir_urls.py), so they are only announced.
SLOT = register_custom(CustomResource(
    name="Slot", interactions=(READ, SEARCH), profiles=(PROFILE_SLOT,), search_includes=tuple(sorted(SLOT_INCLUDES)),
    documentation=_lazy("Créneaux calculés à partir des règles d'ouverture (jamais stockés) : lecture et recherche. "
                        "Identifiant <agenda>-<motif>-<début UTC aaaammjjThhmm>."),
    search_params=(
        ("start", "date", _lazy("Début du créneau, avec préfixes (ge, gt, le, lt, eq) ; 14 jours par défaut.")),
        ("status", "token", _lazy("free ou busy.")),
        ("schedule", "reference", _lazy("Agenda (Schedule).")),
        ("schedule.actor", "reference", _lazy("Acteur de l'agenda ; chaîne schedule.actor:PractitionerRole.specialty.")),
    ),
))
