"""Reads behind the portal: who may open which space, and which tiles to show.

Tile rule (professional space): a professional sees the enabled services of
his audience open to at least one collège among the organisations where he
has an active practice situation; institutional services are open to all.
Agency staff see every professional service. Services whose ``tile_url`` is
empty are not online yet and go to the "Bientôt disponible" group. A service
his collège may take but that the registered service conditions refuse (the
membership app: no live membership, pack complémentaire not ordered…) goes to
the "À souscrire" group, which links to the catalogue instead of the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from enrs.core.models import COLLEGES, Service
from enrs.core.permissions import passes_service_checks
from enrs.core.services_registry import services_for, tile_url
from enrs.directory import selectors as directory_selectors
from enrs.directory.models import Organisation, Professional
from enrs.identity.models import Patient


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    description: str
    url: str
    icon: str = ""


@dataclass(frozen=True)
class TileGroups:
    available: list[Tile] = field(default_factory=list)
    upcoming: list[Tile] = field(default_factory=list)
    to_subscribe: list[Tile] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.available or self.upcoming or self.to_subscribe)


def _kind_choices():
    return get_user_model().Kind


def _kind(user) -> str | None:
    return user.kind if getattr(user, "is_authenticated", False) else None


# --- Access to the two spaces -----------------------------------------------------
def can_open_pro_space(user) -> bool:
    return _kind(user) in {_kind_choices().PROFESSIONAL, _kind_choices().AGENCY}


def can_open_patient_space(user) -> bool:
    return _kind(user) == _kind_choices().PATIENT


def is_agency(user) -> bool:
    return _kind(user) == _kind_choices().AGENCY


def shows_back_office(user) -> bool:
    """Agency staff get a link to the admin (which still checks ``is_staff``)."""
    return is_agency(user) or (_kind(user) is not None and user.is_staff)


def can_search_directory(user) -> bool:
    return directory_selectors.can_search_directory(user)


# --- Tiles ---------------------------------------------------------------------------------
def colleges_of(organisations: Iterable[Organisation]) -> set[str]:
    return {o.college for o in organisations if o.college}


def group_tiles(services: Iterable[Service], subscribed=lambda service: True) -> TileGroups:
    """Split services into online tiles (with a URL), upcoming ones and those to subscribe to."""
    groups = TileGroups()
    for service in services:
        tile = Tile(service.code, service.name, service.description, tile_url(service), service.icon)
        if not subscribed(service):
            groups.to_subscribe.append(tile)
        else:
            (groups.available if tile.url else groups.upcoming).append(tile)
    return groups


def professional_services(user, organisations: Iterable[Organisation]) -> list[Service]:
    colleges = COLLEGES if is_agency(user) else colleges_of(organisations)
    return services_for(colleges, Service.Audience.PROFESSIONAL)


def professional_tiles(user, organisations: Iterable[Organisation]) -> TileGroups:
    return group_tiles(professional_services(user, organisations), lambda service: passes_service_checks(user, service))


def patient_tiles() -> TileGroups:
    # Patient services are institutional: every patient sees the same set.
    return group_tiles(services_for((), Service.Audience.PATIENT))


# --- Who is behind the account ------------------------------------------------------------
@dataclass(frozen=True)
class ProfessionalContext:
    professional: object | None
    organisations: list[Organisation]


def professional_context(user) -> ProfessionalContext:
    professional = directory_selectors.professional_of_user(user)
    return ProfessionalContext(professional, directory_selectors.organisations_of(professional))


def patient_of_user(user) -> Patient | None:
    """The patient record of ``user`` only: a patient never sees another one."""
    if not can_open_patient_space(user):
        return None
    return Patient.objects.filter(user=user).first()


# --- Who accessed my record ---------------------------------------------------------------
ACCESS_HISTORY_PAGE_SIZE = 25


@dataclass(frozen=True)
class AccessRow:
    event: object
    who: str
    organisation: str
    by_patient: bool


def access_history_rows(events, user) -> list[AccessRow]:
    """Trail events as the patient reads them: names, not ids."""
    from enrs.core.audit import SYSTEM_ACTOR_LABEL

    events = list(events)
    organisation_ids = {event.organisation_id for event in events if event.organisation_id}
    organisations = Organisation.objects.in_bulk(organisation_ids) if organisation_ids else {}
    names = _professional_names({event.actor_id for event in events if event.actor_id})
    rows = []
    for event in events:
        organisation = organisations.get(event.organisation_id)
        rows.append(
            AccessRow(
                event=event,
                who=names.get(event.actor_id) or event.actor_display or str(SYSTEM_ACTOR_LABEL),
                organisation=organisation.name if organisation else "",
                by_patient=event.actor_id is not None and event.actor_id == user.pk,
            )
        )
    return rows


def _professional_names(user_ids: set[int]) -> dict[int, str]:
    """The directory name of each account (the account's own name is the fallback)."""
    if not user_ids:
        return {}
    return {pro.user_id: pro.display_name for pro in Professional.objects.filter(user_id__in=user_ids)}
