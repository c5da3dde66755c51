"""Writes of the identity app (foundation subset).

The identity issue will add INS qualification, matching and vigilance
worklists. For now the only writer is the demo region, which needs an
idempotent upsert of synthetic patients and a way to attach a patient account.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core import validators as v
from enrs.identity.models import Patient

Status = Literal["created", "updated", "unchanged"]
DEMO_SOURCE = "demo"
DEMO_PATIENT_FIELDS = {
    "birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee", "used_name", "used_first_name",
    "commune_insee", "city", "email", "phone",
}


@dataclass(frozen=True)
class PatientUpsert:
    obj: Patient
    status: Status


def _clean_name(errors: dict[str, list[str]], data: dict[str, Any], field: str, message: str) -> str:
    value = " ".join(str(data.get(field) or "").split())
    if not value:
        errors.setdefault(field, []).append(message)
    return value


def _clean_birth_date(errors: dict[str, list[str]], value: Any) -> datetime.date | None:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors.setdefault("birth_date", []).append(_("La date de naissance doit être une date (AAAA-MM-JJ)."))
        return None
    if value > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("La date de naissance ne peut pas être dans le futur."))
    return value


def _clean_insee(errors: dict[str, list[str]], data: dict[str, Any], field: str) -> str:
    if not data.get(field):
        return ""
    try:
        return v.validate_insee_commune(data[field])
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return ""


def clean_demo_patient(data: dict[str, Any]) -> dict[str, Any]:
    """Validate the traits of a synthetic patient; raise ValidationError per field (French)."""
    unknown = set(data) - DEMO_PATIENT_FIELDS
    if unknown:
        raise ValueError(f"unknown patient fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    cleaned = {field: data.get(field) or "" for field in DEMO_PATIENT_FIELDS}
    cleaned["birth_name"] = _clean_name(errors, data, "birth_name", _("Le nom de naissance est obligatoire.")).upper()
    cleaned["birth_first_names"] = _clean_name(
        errors, data, "birth_first_names", _("Au moins un prénom de naissance est obligatoire.")
    )
    cleaned["used_name"] = " ".join(str(data.get("used_name") or "").split()).upper()
    cleaned["birth_date"] = _clean_birth_date(errors, data.get("birth_date"))
    if data.get("sex") not in Patient.Sex.values:
        errors.setdefault("sex", []).append(_("Le sexe doit être F, M ou I."))
    cleaned["birth_place_insee"] = _clean_insee(errors, data, "birth_place_insee")
    cleaned["commune_insee"] = _clean_insee(errors, data, "commune_insee")
    if errors:
        raise ValidationError(errors)
    return cleaned


def upsert_demo_patient(data: dict[str, Any]) -> PatientUpsert:
    """Create or update a synthetic patient keyed by birth name, birth first names and birth date.

    An identity with the same key that does not come from the demo is never
    touched: the demo must not overwrite a real record.
    """
    cleaned = clean_demo_patient(data)
    lookup = {key: cleaned.pop(key) for key in ("birth_name", "birth_first_names", "birth_date")}
    values = {**cleaned, "source": DEMO_SOURCE}
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(**lookup).order_by("pk").first()
        if patient is None:
            return PatientUpsert(Patient.objects.create(**lookup, **values), "created")
        if patient.source != DEMO_SOURCE:
            raise ValidationError(
                {"birth_name": [_("Une identité réelle existe déjà avec ces traits : la démonstration ne la modifie pas.")]}
            )
        changed = [field for field, value in values.items() if getattr(patient, field) != value]
        if not changed:
            return PatientUpsert(patient, "unchanged")
        for field in changed:
            setattr(patient, field, values[field])
        patient.save(update_fields=[*changed, "updated_at"])
        return PatientUpsert(patient, "updated")


def link_patient_user(patient: Patient, user) -> bool:
    """Attach a patient account to an identity; return whether anything changed."""
    if patient.user_id == user.pk:
        return False
    if patient.user_id is not None:
        raise ValidationError({"user": [_("Cette identité est déjà rattachée à un autre compte patient.")]})
    patient.user = user
    patient.save(update_fields=["user", "updated_at"])
    return True
