"""Reads of the identity server: look-ups by local identifier, matching candidates, worklists.

Callers check permissions (``enrs.core.permissions``) before showing what
these return; the worklist queries already exclude merged identities.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from enrs.core.queries import by_unique_key
from enrs.identity.models import (
    IdentityAnomaly,
    IdentityCollision,
    IdentityHistory,
    IdentityMatchKey,
    IdentityMerge,
    LocalIdentifier,
    Patient,
    PotentialDuplicate,
    WorkItemStatus,
)

# Candidates read per look-up: the patients sharing the most blocking keys first.
MAX_BLOCK_CANDIDATES = 200
_TRAIT_COLUMNS = (
    "id", "birth_name", "birth_first_names", "birth_date", "birth_date_text", "sex", "birth_place_insee",
    "used_name", "used_first_name", "ins_matricule", "identity_status",
)


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    score: float
    decision: str | None  # "link", "review" or None


# --- Cross-references ---------------------------------------------------------------------
def authority_keys_of(organisation) -> list[str]:
    """The ``LocalIdentifier.authority`` values of an organisation's IPP authorities (OID, else namespace)."""
    from enrs.interfaces.selectors import authorities_of

    return [oid or namespace for namespace, oid in authorities_of(organisation)]


def known_to_organisation(organisation) -> QuerySet[Patient]:
    """Identities carrying a local identifier (IPP) of the organisation's assigning authorities:
    the patients a connector of that organisation knows."""
    keys = authority_keys_of(organisation)
    return Patient.objects.filter(pk__in=LocalIdentifier.objects.filter(authority__in=keys).values("patient_id"))


def find_by_local_id(authority: str, value: str) -> Patient | None:
    """The identity behind a local identifier (followed to the survivor if it was merged)."""
    local = by_unique_key(LocalIdentifier.objects.select_related("patient").filter(authority=authority, value=value))
    return surviving(local.patient) if local else None


def surviving(patient: Patient) -> Patient:
    """Follow ``merged_into`` to the identity that carries the person today."""
    seen = set()
    while patient.merged_into_id is not None and patient.pk not in seen:
        seen.add(patient.pk)
        patient = Patient.objects.get(pk=patient.merged_into_id)
    return patient


def local_ids_of(patient: Patient) -> list[tuple[str, str]]:
    """Every (authority, value) of a person, sorted."""
    return list(LocalIdentifier.objects.filter(patient=patient).order_by("authority", "value").values_list("authority", "value"))


def find_by_ins(matricule: str) -> Patient | None:
    if not matricule:
        return None
    return Patient.objects.active().filter(ins_matricule=matricule).order_by("pk").first()


# --- Matching -------------------------------------------------------------------------------
def birth_date_trait(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value or "")


def traits_from_dict(traits: dict):
    """``enrs.identity.matching.Traits`` from the trait dict of ``services.create_identity``."""
    from enrs.identity.matching import Traits

    first_names = traits.get("birth_first_names") or ()
    if isinstance(first_names, str):
        first_names = first_names.split()
    return Traits(
        birth_name=str(traits.get("birth_name") or ""),
        first_names=tuple(str(n) for n in first_names),
        birth_date=birth_date_trait(traits.get("birth_date")),
        sex=str(traits.get("sex") or ""),
        birth_place=str(traits.get("birth_place_insee") or ""),
        used_name=str(traits.get("used_name") or ""),
        used_first_name=str(traits.get("used_first_name") or ""),
        ins=str(traits.get("ins") or ""),
    )


def traits_of(patient: Patient):
    from enrs.identity.matching import Traits

    return Traits(
        birth_name=patient.birth_name,
        first_names=tuple(patient.birth_first_names.split()),
        birth_date=patient.birth_date_display,
        sex=patient.sex,
        birth_place=patient.birth_place_insee,
        used_name=patient.used_name,
        used_first_name=patient.used_first_name,
        ins=patient.ins_matricule,
    )


def blocked_patient_ids(keys, *, exclude_id: int | None = None) -> list[int]:
    """Ids of the patients sharing blocking keys with ``keys``: one indexed query."""
    rows = IdentityMatchKey.objects.filter(key__in=list(keys))
    if exclude_id is not None:
        rows = rows.exclude(patient_id=exclude_id)
    ranked = rows.values("patient_id").annotate(shared=Count("id")).order_by("-shared", "patient_id")
    return [row["patient_id"] for row in ranked[:MAX_BLOCK_CANDIDATES]]


def match_candidates(traits, limit: int = 10, *, exclude_id: int | None = None) -> list[Candidate]:
    """Active identities that may be the person with ``traits``, best score first.

    ``traits`` is the dict of ``services.create_identity`` or a ``matching.Traits``.
    """
    from enrs.identity import matching

    query = traits if isinstance(traits, matching.Traits) else traits_from_dict(traits)
    ids = blocked_patient_ids(matching.blocking_keys(query), exclude_id=exclude_id)
    if not ids:
        return []
    patients = Patient.objects.active().filter(pk__in=ids).only(*_TRAIT_COLUMNS)
    candidates = []
    for patient in patients:
        other = traits_of(patient)
        score = float(matching.score(query, other))
        candidates.append(Candidate(patient, score, matching.decide(query, other, score)))
    candidates.sort(key=lambda c: (-c.score, c.patient.pk))
    return candidates[:limit]


# --- Worklists -------------------------------------------------------------------------------
def open_duplicates() -> QuerySet[PotentialDuplicate]:
    return (
        PotentialDuplicate.objects.filter(status=WorkItemStatus.OPEN)
        .filter(patient_a__merged_into__isnull=True, patient_b__merged_into__isnull=True)
        .select_related("patient_a", "patient_b")
        .order_by("-score", "pk")
    )


def open_collisions() -> QuerySet[IdentityCollision]:
    return IdentityCollision.objects.filter(status=WorkItemStatus.OPEN).select_related("patient", "reported_by")


def open_anomalies() -> QuerySet[IdentityAnomaly]:
    return IdentityAnomaly.objects.filter(status=WorkItemStatus.OPEN, patient__merged_into__isnull=True).select_related(
        "patient"
    )


def worklist_counts() -> dict[str, int]:
    return {
        "duplicates": open_duplicates().count(),
        "collisions": open_collisions().count(),
        "anomalies": open_anomalies().count(),
    }


def history_of(patient: Patient) -> QuerySet[IdentityHistory]:
    return IdentityHistory.objects.filter(patient=patient).select_related("actor")


def merges_of(patient: Patient) -> QuerySet[IdentityMerge]:
    return IdentityMerge.objects.filter(Q(survivor=patient) | Q(merged=patient)).select_related("survivor", "merged")


def open_duplicates_of(patient: Patient) -> QuerySet[PotentialDuplicate]:
    return open_duplicates().filter(Q(patient_a=patient) | Q(patient_b=patient))


def search_identities(*, birth_name: str = "", birth_date=None, ins: str = "") -> QuerySet[Patient]:
    """Exact search for the vigilance screens (birth or used name + birth date, or INS)."""
    from enrs.core.text import fold, folded_pattern

    patients = Patient.objects.active()
    if ins:
        return patients.filter(ins_matricule=ins)
    pattern = "^" + folded_pattern(fold(" ".join(birth_name.split()))) + "$"
    return patients.filter(Q(birth_name__iregex=pattern) | Q(used_name__iregex=pattern), birth_date=birth_date)
