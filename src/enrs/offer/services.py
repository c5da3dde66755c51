"""Writes of the care-offer directory: nomenclatures, units, places, offers, capacity.

Every write validates first (codes against the loaded nomenclatures,
coordinates, counts, dates) and stores in one transaction: a refused record
leaves nothing behind and its ``ValidationError`` names each wrong field in
French. Upserts are keyed by the ROR identifiers and carry a fingerprint of
their cleaned content, so importing the same data twice changes nothing (not
even ``updated_at``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.translation import gettext as _

from enrs.core import validators as v
from enrs.core.text import fold
from enrs.directory import selectors as directory_selectors
from enrs.directory import services as directory_services
from enrs.offer import capacity_sql, geo, nomenclatures, text
from enrs.offer.models import (
    Closure,
    CodeSystem,
    Commune,
    Concept,
    Contact,
    Offer,
    OfferTerm,
    OpeningHours,
    Place,
    TelehealthOffer,
    Unit,
)

MAX_IDENTIFIER = 64
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class UpsertResult:
    status: str  # created, updated, unchanged
    obj: Any


# --- Nomenclatures ------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadResult:
    key: str
    version: str
    created: int
    updated: int
    deactivated: int


@transaction.atomic
def load_code_system(parsed: nomenclatures.ParsedCodeSystem, source: str = "") -> LoadResult:
    """Create or refresh a code system (matched by URL, then key); codes absent from
    the file are kept (offers may use them) but marked inactive."""
    system = CodeSystem.objects.filter(url=parsed.url).first() or CodeSystem.objects.filter(key=parsed.key).first()
    values = {
        "key": parsed.key, "name": parsed.name, "url": parsed.url, "oid": parsed.oid, "value_set": parsed.value_set,
        "version": parsed.version, "subset": parsed.subset, "confirmed": parsed.confirmed, "source": source[:255],
    }
    if system is None:
        system = CodeSystem.objects.create(**values)
    else:
        for name, value in values.items():
            setattr(system, name, value)
        system.save()
    existing = {concept.code: concept for concept in system.concepts.all()}
    created = updated = 0
    for code, label in parsed.concepts:
        concept = existing.pop(code, None)
        if concept is None:
            Concept.objects.create(system=system, code=code, label=label)
            created += 1
        elif concept.label != label or not concept.active:
            concept.label, concept.active = label, True
            concept.save(update_fields=["label", "active"])
            updated += 1
    deactivated = Concept.objects.filter(pk__in=[c.pk for c in existing.values() if c.active]).update(active=False)
    clear_code_cache()
    return LoadResult(parsed.key, parsed.version, created, updated, deactivated)


def load_nomenclature_file(path) -> LoadResult:
    parsed = nomenclatures.read_code_system_file(path)
    return load_code_system(parsed, source=str(getattr(path, "name", path)))


def load_shipped_nomenclatures() -> list[LoadResult]:
    """The subsets shipped in ``offer/data`` (idempotent)."""
    return [load_nomenclature_file(path) for path in nomenclatures.shipped_files()]


# Codes are read on every write and search: keep each nomenclature's active codes in
# memory for a minute (loading a file in this process clears it at once).
CODE_CACHE_SECONDS = 60.0
_code_cache: dict[str, tuple[float, dict[str, Concept]]] = {}


def clear_code_cache() -> None:
    _code_cache.clear()


def active_codes(role: str) -> dict[str, Concept]:
    """The active concepts of ``role``'s nomenclature, by code (cached)."""
    key = nomenclatures.ROLES[role].key
    cached = _code_cache.get(key)
    now = time.monotonic()
    if cached is None or now - cached[0] > CODE_CACHE_SECONDS:
        codes = {c.code: c for c in Concept.objects.filter(system__key=key, active=True).select_related("system")}
        cached = _code_cache[key] = (now, codes)
    return cached[1]


def concept(role: str, code: str | None, field: str | None = None, *, required: bool = True) -> Concept | None:
    """The active concept ``code`` of the nomenclature of ``role``, or a French error."""
    code = (code or "").strip() if isinstance(code, str) or code is None else str(code)
    if not code:
        if required:
            raise ValidationError({field or role: [_("Ce champ est obligatoire.")]})
        return None
    found = active_codes(role).get(code)
    if found is None:
        raise nomenclatures.unknown_code_error(role, code, field)
    return found


def concepts(role: str, codes: Iterable[str] | None, field: str | None = None) -> list[Concept]:
    codes = list(dict.fromkeys(str(c).strip() for c in codes or [] if str(c).strip()))
    return [concept(role, code, field) for code in codes]


# --- Communes --------------------------------------------------------------------------------
@transaction.atomic
def load_communes(rows: Iterable[dict[str, Any]]) -> int:
    """Create or refresh communes (``insee``, ``name``, ``postal_code``, ``latitude``, ``longitude``)."""
    count = 0
    for index, row in enumerate(rows, start=1):
        errors: dict[str, list[str]] = {}
        insee = _collect(errors, "insee", v.validate_insee_commune, row.get("insee"))
        point = _collect(errors, "coordonnees", geo.check_coordinates, row.get("latitude"), row.get("longitude"))
        name = str(row.get("name") or "").strip()[:120]
        if not name:
            errors["name"] = [_("Ce champ est obligatoire.")]
        if errors or point is None:
            raise ValidationError({f"ligne {index}": [f"{field} : {' '.join(msgs)}" for field, msgs in errors.items()] or [_("Coordonnées absentes.")]})
        Commune.objects.update_or_create(
            insee=insee,
            defaults={"name": name, "folded_name": fold(name), "postal_code": str(row.get("postal_code") or "")[:5],
                      "latitude": point.latitude, "longitude": point.longitude},
        )
        count += 1
    return count


# --- Helpers ------------------------------------------------------------------------------------
def _collect(errors: dict[str, list[str]], field: str, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, items in exc.message_dict.items():
                errors.setdefault(name if name != field and name in {"latitude", "longitude"} else field, []).extend(items)
        else:
            errors.setdefault(field, []).extend(exc.messages)
        return None


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _text(data: dict, name: str, max_length: int, errors: dict, *, required: bool = False) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if "\x00" in value:
        errors[name] = [_("Caractères de contrôle interdits.")]
        return ""
    if required and not value:
        errors[name] = [_("Ce champ est obligatoire.")]
    elif len(value) > max_length:
        errors[name] = [_("Valeur trop longue (%(max)d caractères au plus).") % {"max": max_length}]
    return value[:max_length]


def _identifier(data: dict, errors: dict) -> str:
    value = _text(data, "identifier", MAX_IDENTIFIER, errors, required=True)
    if value and not all(ch.isalnum() or ch in "-._" for ch in value):
        errors["identifier"] = [_("Identifiant invalide : lettres, chiffres, « - », « . » et « _ » seulement.")]
    return value


def _fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _establishment(value, errors: dict, field: str = "establishment"):
    """An active directory organisation given as an object or a FINESS number."""
    if value is None or value == "":
        errors[field] = [_("Ce champ est obligatoire.")]
        return None
    if hasattr(value, "pk"):
        return value
    finess = v.compact(value)
    organisation = directory_services.find_organisation(finess=finess) if finess else None
    if organisation is None:
        errors[field] = [_("Établissement inconnu de l'annuaire : FINESS « %(finess)s ».") % {"finess": finess}]
    return organisation


# --- Units and places ----------------------------------------------------------------------------
@transaction.atomic
def upsert_unit(data: dict[str, Any]) -> UpsertResult:
    errors: dict[str, list[str]] = {}
    identifier = _identifier(data, errors)
    name = _text(data, "name", 255, errors, required=True)
    establishment = _establishment(data.get("establishment"), errors)
    _raise_if(errors)
    values = {"establishment_id": establishment.pk, "name": name, "active": bool(data.get("active", True))}
    return _save(Unit, identifier, values)


def _save(model, identifier: str, values: dict[str, Any], after_save=None) -> UpsertResult:
    obj = model.objects.select_for_update().filter(identifier=identifier).first()
    if obj is None:
        obj = model(identifier=identifier, **values)
        obj.save()
        return UpsertResult("created", obj)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return UpsertResult("unchanged", obj)
    for name in changed:
        setattr(obj, name, values[name])
    obj.save()
    return UpsertResult("updated", obj)


def _unit(identifier: str, errors: dict) -> Unit | None:
    if not identifier:
        return None
    unit = Unit.objects.filter(identifier=identifier).first()
    if unit is None:
        errors["unit"] = [_("Organisation interne inconnue : « %(id)s ».") % {"id": identifier}]
    return unit


def clean_place(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    identifier = _identifier(data, errors)
    values: dict[str, Any] = {"name": _text(data, "name", 255, errors, required=True)}
    establishment = _establishment(data.get("establishment"), errors)
    unit = _unit(str(data.get("unit") or "").strip(), errors)
    function = _collect(errors, "function", concept, "place_function", data.get("function"), "function", required=False)
    point = _collect(errors, "coordinates", geo.check_coordinates, data.get("latitude"), data.get("longitude"))
    commune_insee = str(data.get("commune_insee") or "").strip()
    if commune_insee:
        commune_insee = _collect(errors, "commune_insee", v.validate_insee_commune, commune_insee) or ""
    postal_code = str(data.get("postal_code") or "").strip()
    if postal_code:
        postal_code = _collect(errors, "postal_code", v.validate_postal_code, postal_code) or ""
    values.update(
        address_line=_text(data, "address_line", 255, errors),
        city=_text(data, "city", 120, errors),
        active=bool(data.get("active", True)),
    )
    _raise_if(errors)
    # A place without its own address takes the establishment's (read from the directory).
    if point is None and establishment.latitude is not None and establishment.longitude is not None:
        point = geo.Point(float(establishment.latitude), float(establishment.longitude))
    values.update(
        establishment_id=establishment.pk,
        unit_id=unit.pk if unit else None,
        function_id=function.pk if function else None,
        postal_code=postal_code or establishment.postal_code,
        city=values["city"] or establishment.city,
        commune_insee=commune_insee or establishment.commune_insee,
        latitude=point.latitude if point else None,
        longitude=point.longitude if point else None,
    )
    values["departement"] = v.departement_of(values["commune_insee"]) if values["commune_insee"] else establishment.departement
    return identifier, values


@transaction.atomic
def upsert_place(data: dict[str, Any]) -> UpsertResult:
    identifier, values = clean_place(data)
    result = _save(Place, identifier, values)
    if result.status == "updated":
        _copy_place_to_offers(result.obj)
    return result


def _place_columns(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"departement": "", "commune_insee": "", "city": "", "latitude": None, "longitude": None,
                "ux": None, "uy": None, "uz": None}
    columns = {"departement": place.departement, "commune_insee": place.commune_insee, "city": place.city,
               "latitude": place.latitude, "longitude": place.longitude, "ux": None, "uy": None, "uz": None}
    if place.latitude is not None and place.longitude is not None:
        columns["ux"], columns["uy"], columns["uz"] = geo.unit_vector(place.latitude, place.longitude)
    return columns


def _copy_place_to_offers(place: Place) -> None:
    place.offers.update(**_place_columns(place))


# --- Offers -----------------------------------------------------------------------------------------
WEEKDAYS = range(1, 8)


def _opening_hours(rows, errors: dict) -> list[tuple[int, dt.time, dt.time]]:
    cleaned = []
    for index, row in enumerate(rows or [], start=1):
        try:
            weekday = int(row.get("weekday"))
            opens, closes = parse_time(str(row.get("opens"))), parse_time(str(row.get("closes")))
        except (TypeError, ValueError, AttributeError):
            weekday, opens, closes = 0, None, None
        if weekday not in WEEKDAYS or opens is None or closes is None or opens >= closes:
            errors.setdefault("opening_hours", []).append(
                _("Horaire n° %(n)d invalide : jour de 1 (lundi) à 7 et ouverture avant fermeture (HH:MM).") % {"n": index}
            )
            continue
        cleaned.append((weekday, opens, closes))
    return sorted(set(cleaned))


def _closures(rows, errors: dict) -> list[tuple[int, dt.date, dt.date | None]]:
    cleaned = []
    for index, row in enumerate(rows or [], start=1):
        kind = _collect(errors, "closures", concept, "closure_kind", (row or {}).get("kind"), "closures")
        try:
            start = parse_date(str(row.get("start")))
            reopening = parse_date(str(row["planned_reopening"])) if row.get("planned_reopening") else None
        except (ValueError, AttributeError, TypeError):
            start, reopening = None, None
        if start is None or (reopening is not None and reopening < start):
            errors.setdefault("closures", []).append(
                _("Fermeture n° %(n)d : date de début invalide ou réouverture antérieure.") % {"n": index}
            )
            continue
        if kind is not None:
            cleaned.append((kind.pk, start, reopening))
    return cleaned


def _contacts(rows, errors: dict) -> list[tuple[int, str, str, str]]:
    cleaned = []
    for index, row in enumerate(rows or [], start=1):
        row = row if isinstance(row, dict) else {}
        purpose = _collect(errors, "contacts", concept, "contact_purpose", row.get("purpose"), "contacts")
        contact_errors: dict[str, list[str]] = {}
        name = _text(row, "name", 120, contact_errors)
        phone = _text(row, "phone", 20, contact_errors)
        email = _text(row, "email", 254, contact_errors)
        if email:
            _collect(contact_errors, "email", validate_email, email)
        if contact_errors:
            errors.setdefault("contacts", []).append(_("Contact n° %(n)d invalide (nom, téléphone ou e-mail).") % {"n": index})
        elif purpose is not None:
            cleaned.append((purpose.pk, name, phone, email))
    return cleaned


def _telehealth(rows, errors: dict) -> list[dict[str, Any]]:
    cleaned, kinds = [], set()
    for index, row in enumerate(rows or [], start=1):
        row = row if isinstance(row, dict) else {}
        row_errors: dict[str, list[str]] = {}
        kind, channel = row.get("kind"), row.get("channel")
        if kind not in TelehealthOffer.Kind.values:
            row_errors["kind"] = [_("type inconnu « %(code)s »") % {"code": kind}]
        if channel not in TelehealthOffer.Channel.values:
            row_errors["channel"] = [_("canal de demande inconnu « %(code)s »") % {"code": channel}]
        address = _text(row, "address", 255, row_errors, required=True)
        instructions = _text(row, "instructions", 2000, row_errors)
        hours = row.get("response_hours")
        if hours not in (None, ""):
            try:
                hours = int(hours)
                if not 0 <= hours <= 24 * 90:
                    raise ValueError
            except (TypeError, ValueError):
                row_errors["response_hours"] = [_("délai de réponse invalide")]
        else:
            hours = None
        professional = None
        if row.get("professional"):
            professional = directory_selectors.active_professional_by_idnat(str(row["professional"]).strip())
            if professional is None:
                row_errors["professional"] = [_("professionnel inconnu « %(id)s »") % {"id": row["professional"]}]
        if kind in kinds:
            row_errors["kind"] = [_("type en double")]
        if row_errors:
            details = "; ".join(f"{name} : {' '.join(msgs)}" for name, msgs in row_errors.items())
            errors.setdefault("telehealth", []).append(_("Télésanté n° %(n)d : %(details)s.") % {"n": index, "details": details})
            continue
        kinds.add(kind)
        cleaned.append({"kind": kind, "channel": channel, "address": address, "instructions": instructions,
                        "response_hours": hours, "professional_id": professional.pk if professional else None})
    return cleaned


@dataclass
class CleanOffer:
    identifier: str
    values: dict[str, Any]
    many: dict[str, list[Concept]]
    opening_hours: list
    closures: list
    contacts: list
    telehealth: list

    def fingerprint(self) -> str:
        return _fingerprint({
            "values": self.values, "many": {k: sorted(c.pk for c in v) for k, v in self.many.items()},
            "hours": self.opening_hours, "closures": self.closures, "contacts": self.contacts, "telehealth": self.telehealth,
        })


MANY_ROLES = {"publics": "public", "acts": "act", "competences": "competence", "specialisations": "specialisation",
              "equipment": "equipment"}


def clean_offer(data: dict[str, Any]) -> CleanOffer:
    errors: dict[str, list[str]] = {}
    identifier = _identifier(data, errors)
    name = _text(data, "name", 255, errors, required=True)
    description = _text(data, "description", 4000, errors)
    establishment = _establishment(data.get("establishment"), errors)
    unit = _unit(str(data.get("unit") or "").strip(), errors)
    place = None
    if data.get("place"):
        place = Place.objects.filter(identifier=str(data["place"]).strip()).first()
        if place is None:
            errors["place"] = [_("Lieu inconnu : « %(id)s ».") % {"id": data["place"]}]
    coded = {
        "activity": _collect(errors, "activity", concept, "activity", data.get("activity"), "activity"),
        "care_mode": _collect(errors, "care_mode", concept, "care_mode", data.get("care_mode"), "care_mode"),
        "activity_field": _collect(errors, "activity_field", concept, "activity_field", data.get("activity_field"), "activity_field", required=False),
        "expertise_level": _collect(errors, "expertise_level", concept, "expertise_level", data.get("expertise_level"), "expertise_level", required=False),
    }
    many = {field: _collect(errors, field, concepts, role, _as_list(data.get(field)), field) or [] for field, role in MANY_ROLES.items()}
    hours = _opening_hours(_as_list(data.get("opening_hours")), errors)
    closures = _closures(_as_list(data.get("closures")), errors)
    contacts = _contacts(_as_list(data.get("contacts")), errors)
    telehealth = _telehealth(_as_list(data.get("telehealth")), errors)
    if place is not None and establishment is not None and place.establishment_id != establishment.pk:
        errors["place"] = [_("Ce lieu appartient à un autre établissement.")]
    _raise_if(errors)
    values = {
        "name": name, "description": description, "establishment_id": establishment.pk,
        "unit_id": unit.pk if unit else None, "place_id": place.pk if place else None,
        **{f"{field}_id": (c.pk if c else None) for field, c in coded.items()},
        "sensitive_unit": bool(data.get("sensitive_unit", False)), "active": bool(data.get("active", True)),
    }
    return CleanOffer(identifier, values, many, hours, closures, contacts, telehealth)


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@transaction.atomic
def upsert_offer(data: dict[str, Any]) -> UpsertResult:
    """Create or update an operational offer and everything it owns, then reindex it."""
    clean = clean_offer(data)
    fingerprint = clean.fingerprint()
    offer = Offer.objects.select_for_update().filter(identifier=clean.identifier).first()
    if offer is not None and offer.fingerprint == fingerprint:
        return UpsertResult("unchanged", offer)
    status = "updated" if offer is not None else "created"
    offer = offer or Offer(identifier=clean.identifier)
    for name, value in clean.values.items():
        setattr(offer, name, value)
    for name, value in _place_columns(offer.place).items():
        setattr(offer, name, value)
    offer.fingerprint = fingerprint
    offer.save()
    for field, items in clean.many.items():
        getattr(offer, field).set(items)
    _replace_children(offer, clean)
    reindex_offer(offer)
    return UpsertResult(status, offer)


def _replace_children(offer: Offer, clean: CleanOffer) -> None:
    offer.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(OpeningHours(offer=offer, weekday=d, opens=o, closes=c) for d, o, c in clean.opening_hours)
    offer.closures.all().delete()
    Closure.objects.bulk_create(Closure(offer=offer, kind_id=k, start=s, planned_reopening=r) for k, s, r in clean.closures)
    offer.contacts.all().delete()
    Contact.objects.bulk_create(Contact(offer=offer, purpose_id=p, name=n, phone=t, email=e) for p, n, t, e in clean.contacts)
    kept = {row["kind"] for row in clean.telehealth}
    offer.telehealth.exclude(kind__in=kept).delete()
    for row in clean.telehealth:
        TelehealthOffer.objects.update_or_create(offer=offer, kind=row["kind"], defaults={k: v for k, v in row.items() if k != "kind"})


def offer_words(offer: Offer) -> str:
    """Everything a searcher may type to find ``offer``: names, labels, commune."""
    labels = [offer.name, offer.description, offer.city, offer.establishment.name, offer.establishment.short_name]
    labels += [c.label for c in (offer.activity, offer.care_mode, offer.expertise_level) if c is not None]
    if offer.unit_id:
        labels.append(offer.unit.name)
    for field in MANY_ROLES:
        labels += [c.label for c in getattr(offer, field).all()]
    labels += [str(TelehealthOffer.Kind(kind).label) for kind in offer.telehealth.values_list("kind", flat=True)]
    return " ".join(label for label in labels if label)


def reindex_offer(offer: Offer) -> None:
    terms = text.terms(offer_words(offer))
    offer.terms.all().delete()
    OfferTerm.objects.bulk_create(OfferTerm(offer=offer, term=term) for term in terms)
    offer.search_text = " ".join(terms)
    Offer.objects.filter(pk=offer.pk).update(search_text=offer.search_text)


# --- Capacity ---------------------------------------------------------------------------------------
def staleness() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "ENRS_OFFER_CAPACITY_STALE_HOURS", 24))


def _capacity_time(value, errors: dict) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value)) if value not in (None, "") else None
    if moment is None:
        errors["updated_at"] = [_("Date et heure de mise à jour invalides (format ISO 8601 attendu).")]
        return None
    if timezone.is_naive(moment):
        errors["updated_at"] = [_("Fuseau horaire manquant dans la date de mise à jour (par exemple +01:00 ou Z).")]
        return None
    if moment > timezone.now() + FUTURE_TOLERANCE:
        errors["updated_at"] = [_("La date de mise à jour est dans le futur.")]
        return None
    return moment


def _count(value, errors: dict) -> int | None:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
        if str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        errors["count"] = [_("Un nombre entier est attendu.")]
        return None
    if number < 0:
        errors["count"] = [_("La capacité ne peut pas être négative (%(value)d).") % {"value": number}]
        return None
    if number > 100_000:
        errors["count"] = [_("Capacité invraisemblable (%(value)d).") % {"value": number}]
        return None
    return number


def clean_capacity(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned = {
        "capacity_type": _collect(errors, "capacity_type", concept, "capacity_type", data.get("capacity_type"), "capacity_type"),
        "status": _collect(errors, "status", concept, "capacity_status", data.get("status"), "status"),
        "temporality": _collect(errors, "temporality", concept, "temporality", data.get("temporality") or nomenclatures.CURRENT, "temporality"),
        "source_type": _collect(errors, "source_type", concept, "capacity_source", data.get("source_type"), "source_type"),
        "temporary_assignment": _collect(errors, "temporary_assignment", concept, "temporary_assignment", data.get("temporary_assignment"), "temporary_assignment", required=False),
        "gender": _collect(errors, "gender", concept, "gender", data.get("gender"), "gender", required=False),
        "crisis_type": _collect(errors, "crisis_type", concept, "crisis_type", data.get("crisis_type"), "crisis_type", required=False),
        "count": _count(data.get("count"), errors),
        "updated_at": _capacity_time(data.get("updated_at") or timezone.now(), errors),
    }
    _raise_if(errors)
    return cleaned


def update_capacity(place: Place, data: dict[str, Any], *, user=None, channel: str = "formulaire") -> UpsertResult:
    """Store one capacity figure; a figure older than the stored one is refused.
    The result's ``obj`` is the figure as written (``capacity_sql.Figure``, with its id)."""
    return _store_capacities(place, [clean_capacity(data)], user, channel, numbered=False)[0]


def update_capacities(place: Place, rows: list[dict[str, Any]], *, user=None, channel: str = "api") -> list[UpsertResult]:
    """Several figures of one place, all or nothing; errors are prefixed with the row number.

    One read of the place's stored figures and one upsert statement for the whole
    batch (the path systems use: ``POST .../capacites``)."""
    cleaned, errors = [], {}
    for index, row in enumerate(rows, start=1):
        try:
            cleaned.append(clean_capacity(row if isinstance(row, dict) else {}))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{index}.{field}"] = messages
    keys = [_capacity_key(row) for row in cleaned]
    for index, key in enumerate(keys, start=1):
        if keys.index(key) != index - 1:
            errors[f"{index}.status"] = [_("Même nature, statut et temporalité qu'une ligne précédente.")]
    _raise_if(errors)
    return _store_capacities(place, cleaned, user, channel, numbered=True)


def _capacity_key(cleaned: dict[str, Any]) -> tuple[int, int, int]:
    return (cleaned["capacity_type"].pk, cleaned["status"].pk, cleaned["temporality"].pk)


def _store_capacities(place: Place, cleaned: list[dict[str, Any]], user, channel: str, *, numbered: bool) -> list[UpsertResult]:
    """Compare with the stored figures, refuse any older one, write the new and changed
    ones: on PostgreSQL in one statement, elsewhere one locked read then one
    ``INSERT … ON CONFLICT DO UPDATE`` in a transaction (see ``capacity_sql``)."""
    figures = [_figure(place, row, user, channel) for row in cleaned]
    if capacity_sql.in_one_statement():
        relax = capacity_sql.outside_any_transaction() and capacity_sql.async_commit_allowed()
        stored = capacity_sql.store_in_one_statement(place.pk, figures, relax=relax)
        return _capacity_results(figures, stored, numbered)
    with transaction.atomic():
        stored = capacity_sql.stored_figures(place.pk, [figure.key for figure in figures])
        results = _capacity_results(figures, stored, numbered)
        capacity_sql.upsert([result.obj for result in results if result.status != "unchanged"])
    return results


def _capacity_results(figures: list[capacity_sql.Figure], stored: dict, numbered: bool) -> list[UpsertResult]:
    """created / updated / unchanged for each figure against the stored ones; an older
    figure refuses the whole batch (``ValidationError`` naming its row)."""
    results = []
    for index, figure in enumerate(figures, start=1):
        current = stored.get(figure.key)
        if current is None:
            status = "created"
        elif figure.updated_at < current.updated_at:
            raise ValidationError({f"{index}.updated_at" if numbered else "updated_at": [_older_message(current.updated_at)]})
        else:
            figure.pk = current.pk
            status = "unchanged" if (figure.updated_at, figure.count) == (current.updated_at, current.count) else "updated"
        results.append(UpsertResult(status, figure))
    return results


def _figure(place: Place, cleaned: dict[str, Any], user, channel: str) -> capacity_sql.Figure:
    return capacity_sql.Figure(
        place_id=place.pk, **{name: cleaned[name] for name in CAPACITY_CLEANED_FIELDS},
        received_at=timezone.now(), updated_by_id=user.pk if getattr(user, "is_authenticated", False) else None,
        channel=channel[:20], departement=place.departement,
    )


CAPACITY_CLEANED_FIELDS = ("capacity_type", "status", "temporality", "count", "source_type", "temporary_assignment", "gender",
                           "crisis_type", "updated_at")


def _older_message(last: dt.datetime) -> str:
    return _("Mise à jour plus ancienne que la dernière enregistrée (%(last)s) : refusée.") % {
        "last": timezone.localtime(last).strftime("%d/%m/%Y %H:%M")
    }


# --- Bulk loading (benchmarks, large regional imports) ----------------------------------------------
def _code_table(roles: Iterable[str]) -> dict[str, dict[str, int]]:
    """role -> {code: concept id} of the active codes, to check codes in memory."""
    table: dict[str, dict[str, int]] = {}
    for role in roles:
        rows = Concept.objects.filter(system__key=nomenclatures.ROLES[role].key, active=True).values_list("code", "pk")
        table[role] = dict(rows)
    return table


def _bulk_code(table: dict, role: str, code: str, field: str) -> int:
    try:
        return table[role][code]
    except KeyError:
        raise nomenclatures.unknown_code_error(role, code, field) from None


@transaction.atomic
def bulk_insert_offers(rows: list[dict[str, Any]], places: dict[str, Place]) -> int:
    """Insert new offers in a few multi-row statements, with the same code checks and
    index terms as ``upsert_offer`` (no update, no opening hours or contacts): for
    loading a whole region at once. Any bad row refuses the whole batch."""
    roles = ("activity", "care_mode", "public", "specialisation", "equipment")
    table = _code_table(roles)
    labels = {pk: label for pk, label in Concept.objects.filter(pk__in=[pk for codes in table.values() for pk in codes.values()]).values_list("pk", "label")}
    offers, extras = [], []
    for index, row in enumerate(rows, start=1):
        try:
            place = places[row["place"]]
            activity = _bulk_code(table, "activity", row["activity"], "activity")
            care_mode = _bulk_code(table, "care_mode", row["care_mode"], "care_mode")
            many = {field: [_bulk_code(table, role, code, field) for code in row.get(field, [])]
                    for field, role in (("publics", "public"), ("specialisations", "specialisation"), ("equipment", "equipment"))}
        except (ValidationError, KeyError) as exc:
            raise ValidationError({f"ligne {index}": [str(exc)]}) from exc
        offer = Offer(identifier=row["identifier"], name=row["name"], establishment_id=place.establishment_id, place=place,
                      activity_id=activity, care_mode_id=care_mode, **_place_columns(place))
        words = " ".join([row["name"], place.city, labels[activity], labels[care_mode],
                          *(labels[pk] for pks in many.values() for pk in pks),
                          *(str(TelehealthOffer.Kind(kind).label) for kind in row.get("telehealth", []))])
        offer.search_text = " ".join(text.terms(words))
        offers.append(offer)
        extras.append((many, row.get("telehealth", [])))
    Offer.objects.bulk_create(offers, batch_size=2000)
    if offers[0].pk is None:  # SQLite before 3.35 does not return ids: read them back
        ids = dict(Offer.objects.filter(identifier__in=[o.identifier for o in offers]).values_list("identifier", "pk"))
        for offer in offers:
            offer.pk = ids[offer.identifier]
    links = {field: [] for field in ("publics", "specialisations", "equipment")}
    terms, telehealth = [], []
    for offer, (many, kinds) in zip(offers, extras, strict=True):
        for field, pks in many.items():
            through = getattr(Offer, field).through
            links[field] += [through(offer_id=offer.pk, concept_id=pk) for pk in dict.fromkeys(pks)]
        terms += [OfferTerm(offer_id=offer.pk, term=term) for term in offer.search_text.split()]
        telehealth += [TelehealthOffer(offer_id=offer.pk, kind=kind, channel=TelehealthOffer.Channel.PLATFORM,
                                       address="plateforme régionale") for kind in dict.fromkeys(kinds)]
    for field, objs in links.items():
        getattr(Offer, field).through.objects.bulk_create(objs, batch_size=5000)
    OfferTerm.objects.bulk_create(terms, batch_size=5000)
    TelehealthOffer.objects.bulk_create(telehealth, batch_size=5000)
    return len(offers)
