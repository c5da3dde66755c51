"""Writes of the directory: the only place its business rules live.

Every upsert validates its input (identifiers with their check digits, codes,
geography) and raises ``ValidationError`` with a French message per field, so
that a form, an importer line or an API call reports exactly what is wrong.
Upserts are idempotent: the same data twice gives ``unchanged`` the second
time, never a duplicate.

The upserts store one row each (a select for update, then a save). Importers
of national files wrap their batches of lines in ``bulk_upserts()``: the same
functions, with the same validation and answers, then stage their rows in
memory and store a batch with a few bulk queries.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrs.core import validators as v
from enrs.core.models import COLLEGES
# BulkConflict, BulkUpserts and bulk_upserts are re-exported: the importers use them through services.
from enrs.directory.bulk import BulkConflict, BulkUpserts, Status, UpsertResult, active_batch, bulk_upserts  # noqa: F401
from enrs.directory.models import Organisation, PracticeSituation, Professional
from enrs.directory.nomenclatures import PROFESSIONS, specialty_label

COORD_QUANTUM = Decimal("0.000001")
# Choices as sets: ``TextChoices.values`` builds a new list on every call, and the
# importers check them on every line.
_ORGANISATION_KINDS = frozenset(Organisation.Kind.values)
_FINESS_KINDS = frozenset(Organisation.FinessKind.values)
_TITLES = frozenset(Professional.Title.values)
_MODES = frozenset(PracticeSituation.Mode.values)



def _collect(errors: dict[str, list[str]], field: str, func, *args):
    """Run a validator; on failure remember its message under ``field``."""
    try:
        return func(*args)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return None


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _coordinate(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(COORD_QUANTUM, rounding=ROUND_HALF_UP)


def _apply(obj, values: dict[str, Any]) -> bool:
    """Set the fields that differ; return whether anything changed."""
    changed = False
    for field, value in values.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed = True
    return changed


def _save_upsert(model, lookup: dict[str, Any], values: dict[str, Any]) -> UpsertResult:
    obj = model.objects.select_for_update().filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        return UpsertResult(obj, "created")
    if not _apply(obj, values):
        return UpsertResult(obj, "unchanged")
    obj.save()
    return UpsertResult(obj, "updated")


# --- Organisations ---------------------------------------------------------------
ORGANISATION_FIELDS = {
    "finess_kind", "siret", "name", "short_name", "kind", "category_code", "category_label", "legal_entity",
    "ght", "address_line", "postal_code", "city", "commune_insee", "latitude", "longitude", "phone", "email",
    "mssante_address", "college", "active", "source",
}


def clean_organisation(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise organisation fields; raise ValidationError per field."""
    errors: dict[str, list[str]] = {}
    unknown = set(data) - ORGANISATION_FIELDS - {"finess"}
    if unknown:
        raise ValueError(f"unknown organisation fields: {sorted(unknown)}")
    cleaned = dict(data)
    if data.get("finess"):
        cleaned["finess"] = _collect(errors, "finess", v.validate_finess, data["finess"])
    if not (data.get("name") or "").strip():
        errors.setdefault("name", []).append(_("La raison sociale est obligatoire."))
    else:
        cleaned["name"] = data["name"].strip()
    if data.get("siret"):
        cleaned["siret"] = _collect(errors, "siret", v.validate_siret, data["siret"])
    if data.get("kind") and data["kind"] not in _ORGANISATION_KINDS:
        errors.setdefault("kind", []).append(_("Type de structure inconnu : %(kind)s.") % {"kind": data["kind"]})
    if data.get("finess_kind") and data["finess_kind"] not in _FINESS_KINDS:
        errors.setdefault("finess_kind", []).append(_("Le type FINESS doit être EJ ou ET."))
    if data.get("college") and data["college"] not in COLLEGES:
        errors.setdefault("college", []).append(
            _("Collège inconnu : %(college)s (attendu : A à F).") % {"college": data["college"]}
        )
    if data.get("commune_insee"):
        cleaned["commune_insee"] = _collect(errors, "commune_insee", v.validate_insee_commune, data["commune_insee"])
    if data.get("postal_code"):
        cleaned["postal_code"] = _collect(errors, "postal_code", v.validate_postal_code, data["postal_code"])
    if data.get("mssante_address"):
        cleaned["mssante_address"] = _collect(errors, "mssante_address", v.validate_mssante_address, data["mssante_address"])
    try:
        latitude, longitude = _coordinate(data.get("latitude")), _coordinate(data.get("longitude"))
        _collect(errors, "latitude", v.validate_wgs84, latitude, longitude)
        cleaned["latitude"], cleaned["longitude"] = latitude, longitude
    except (ArithmeticError, ValueError):
        errors.setdefault("latitude", []).append(_("Les coordonnées doivent être des nombres décimaux."))
    _raise_if(errors)
    return cleaned


def upsert_organisation(data: dict[str, Any]) -> UpsertResult:
    """Create or update an organisation keyed by its FINESS (or its name and SIRET without one)."""
    lookup, values = _organisation_lookup_and_values(data)
    if (batch := active_batch.get()) is not None:
        return batch.upsert_organisation(lookup, values)
    with transaction.atomic():
        return _save_upsert(Organisation, lookup, values)


def _organisation_lookup_and_values(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    cleaned = clean_organisation(data)
    if cleaned.get("commune_insee"):
        cleaned["departement"] = v.departement_of(cleaned["commune_insee"])
    finess = cleaned.pop("finess", None)
    lookup = {"finess": finess} if finess else {"finess": None, "name": cleaned["name"], "siret": cleaned.get("siret", "")}
    return lookup, {k: val for k, val in cleaned.items() if k not in lookup}


def find_organisation(*, finess: str | None = None, siret: str = "", name: str = "") -> Organisation | None:
    """The organisation ``upsert_organisation`` would update for this key, or None.

    Keyed like the upsert: by FINESS, else by SIRET and name among organisations
    without FINESS. It lives beside the writes because inside ``bulk_upserts()``
    it must also see the organisations staged by the batch and not yet stored.
    """
    if (batch := active_batch.get()) is not None:
        return batch.find_organisation(finess=finess, siret=siret, name=name)
    if finess:
        return Organisation.objects.filter(finess=finess).first()
    return Organisation.objects.filter(finess=None, siret=siret, name=name).order_by("pk").first()


# --- Professionals ------------------------------------------------------------------
PROFESSIONAL_FIELDS = {
    "rpps", "adeli", "title", "last_name", "first_name", "profession_code", "profession_label", "category_code",
    "mssante_address", "active", "source",
}


def clean_professional(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    unknown = set(data) - PROFESSIONAL_FIELDS
    if unknown:
        raise ValueError(f"unknown professional fields: {sorted(unknown)}")
    cleaned = dict(data)
    cleaned["rpps"] = _collect(errors, "rpps", v.validate_rpps, data["rpps"]) if data.get("rpps") else None
    cleaned["adeli"] = _collect(errors, "adeli", v.validate_adeli, data["adeli"]) if data.get("adeli") else None
    if not data.get("rpps") and not data.get("adeli"):
        errors.setdefault("rpps", []).append(_("Un professionnel doit avoir un numéro RPPS ou ADELI."))
    for field in ("last_name", "first_name"):
        if (data.get(field) or "").strip():
            cleaned[field] = data[field].strip()
        else:  # translated only when needed: gettext costs more than the checks of a valid line
            errors.setdefault(field, []).append(
                _("Le nom d'exercice est obligatoire.") if field == "last_name" else _("Le prénom d'exercice est obligatoire.")
            )
    code = (data.get("profession_code") or "").strip()
    if code not in PROFESSIONS:
        errors.setdefault("profession_code", []).append(
            _("Code profession inconnu dans TRE_G15 : « %(code)s ».") % {"code": code}
        )
    else:
        cleaned["profession_code"] = code
        cleaned["profession_label"] = PROFESSIONS[code]
    if data.get("title") and data["title"] not in _TITLES:
        errors.setdefault("title", []).append(_("Civilité d'exercice inconnue : %(title)s.") % {"title": data["title"]})
    if data.get("mssante_address"):
        cleaned["mssante_address"] = _collect(errors, "mssante_address", v.validate_mssante_address, data["mssante_address"])
    _raise_if(errors)
    return cleaned


def upsert_professional(data: dict[str, Any]) -> UpsertResult:
    """Create or update a professional keyed by idNatPS (8 + RPPS, else 0 + ADELI)."""
    cleaned = clean_professional(data)
    if (batch := active_batch.get()) is not None:
        return batch.upsert_professional(_idnat_ps(cleaned), cleaned)
    with transaction.atomic():
        return _save_upsert(Professional, {"idnat_ps": _idnat_ps(cleaned)}, cleaned)


def _idnat_ps(cleaned: dict[str, Any]) -> str:
    return v.idnat_ps(rpps=cleaned.get("rpps") or "", adeli=cleaned.get("adeli") or "")


# --- Practice situations ----------------------------------------------------------------
SITUATION_FIELDS = {
    "external_id", "mode", "role_code", "role_label", "specialty_code", "specialty_label", "phone", "email",
    "start_date", "end_date", "active", "source",
}


def clean_situation(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    unknown = set(data) - SITUATION_FIELDS
    if unknown:
        raise ValueError(f"unknown practice-situation fields: {sorted(unknown)}")
    cleaned = dict(data)
    if data.get("mode") and data["mode"] not in _MODES:
        errors.setdefault("mode", []).append(_("Mode d'exercice inconnu : %(mode)s.") % {"mode": data["mode"]})
    code = (data.get("specialty_code") or "").strip()
    cleaned["specialty_code"] = code
    if code and not data.get("specialty_label"):
        label = specialty_label(code)
        if label is None:
            errors.setdefault("specialty_code", []).append(
                _("Code spécialité inconnu dans TRE_R38 : « %(code)s ».") % {"code": code}
            )
        cleaned["specialty_label"] = label or ""
    if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
        errors.setdefault("end_date", []).append(_("La date de fin précède la date de début."))
    _raise_if(errors)
    cleaned.setdefault("role_code", "")
    return cleaned


def upsert_situation(professional: Professional, organisation: Organisation, data: dict[str, Any]) -> UpsertResult:
    """Create or update the practice situation of ``professional`` in ``organisation``."""
    cleaned = clean_situation(data)
    if (batch := active_batch.get()) is not None:
        return batch.upsert_situation(professional, organisation, cleaned)
    lookup = {
        "professional": professional,
        "organisation": organisation,
        "role_code": cleaned.pop("role_code", ""),
        "specialty_code": cleaned.pop("specialty_code", ""),
    }
    with transaction.atomic():
        return _save_upsert(PracticeSituation, lookup, cleaned)


def link_user(professional: Professional, user) -> None:
    """Attach a login account to a professional (one account per professional)."""
    if professional.user_id not in (None, user.pk):
        raise ValidationError({"user": [_("Ce professionnel a déjà un compte.")]})
    professional.user = user
    professional.save(update_fields=["user", "updated_at"])


# --- Imports of the national directories ------------------------------------------------
def start_import(*, kind: str, file_name: str, chunks, started_by=None):
    """Keep a copy of the received file (with its SHA-256) and create its pending ImportRun.

    ``chunks`` is an iterable of bytes (an upload's ``chunks()`` or
    ``importers.storage.file_chunks(path)``). Run it with ``run_import``.
    """
    from enrs.directory.importers.storage import store_copy
    from enrs.directory.models import ImportRun

    if kind not in ImportRun.Kind.values:
        raise ValidationError({"kind": [_("Type d'import inconnu : %(kind)s.") % {"kind": kind}]})
    path, sha256 = store_copy(kind, file_name, chunks)
    return ImportRun.objects.create(
        kind=kind,
        file_name=file_name[:255],
        file_sha256=sha256,
        stored_path=str(path),
        started_by=started_by if getattr(started_by, "pk", None) else None,
    )


def run_import(run_id: int, *, progress=None):
    """Import the stored file of run ``run_id`` and record the outcome on the run.

    A finished run is left as it is; a pending or failed one is (re)run from
    the start, which is safe because the upserts are idempotent. Bad input
    never raises: the run ends ``failed`` with a French error, or ``done``
    with its rejected lines.
    """
    from enrs.directory.importers.runner import execute
    from enrs.directory.models import ImportRun

    run = ImportRun.objects.get(pk=run_id)
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.RUNNING):
        return run
    return execute(run, progress)
