"""ANS nomenclatures of the care offer, kept as data (``data/*.json``).

Each file is a FHIR ``CodeSystem`` (the format the ANS publishes its TRE in):
``url``, ``version``, ``identifier`` (OID) and ``concept`` (code, display).
``content: fragment`` marks a subset. What ships (see docs/services/offer.md):

- TRE_R211, R213, R227, R239, R344, R210, R329, R330, R343, R287: real ANS
  codes and labels, subsets of the published systems;
- the value sets the ROR guide names without us having read their codes
  (J18 equipment, J33 competences, J35 specialisations, J185 closures, J189,
  J190, J193, J194, J195 capacity attributes): ENRS placeholder codes under an
  ENRS ``.invalid`` canonical, flagged ``unconfirmed-codes``, so that no
  invented code is ever sent under an ANS system.

``enrs offer load-nomenclature FILE`` loads a complete ANS file over the
shipped subset (matched by its canonical URL). Every code the offer stores is
checked here: an unknown code raises a ``ValidationError`` naming the field and
the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATA_DIR = Path(__file__).resolve().parent / "data"
UNCONFIRMED_EXTENSION = "https://fhir.enrs.invalid/StructureDefinition/unconfirmed-codes"
VALUE_SET_EXTENSION = "https://fhir.enrs.invalid/StructureDefinition/ror-value-set"
MAX_CONCEPTS = 50_000


@dataclass(frozen=True)
class Role:
    """Which code system an attribute of the model takes its codes from."""

    key: str
    label: str  # the French field name used in error messages


ROLES: dict[str, Role] = {
    "activity": Role("TRE_R211", "activité opérationnelle"),
    "care_mode": Role("TRE_R213", "mode de prise en charge"),
    "activity_field": Role("TRE_R227", "champ d'activité"),
    "public": Role("TRE_R239", "public pris en charge"),
    "expertise_level": Role("TRE_R344", "niveau d'expertise"),
    "act": Role("TRE_R210", "acte spécifique"),
    "equipment": Role("ENRS_EQUIPEMENT", "équipement spécifique"),
    "competence": Role("ENRS_COMPETENCE", "compétence spécifique"),
    "specialisation": Role("ENRS_SPECIALISATION", "spécialisation de prise en charge"),
    "place_function": Role("TRE_R343", "fonction du lieu"),
    "contact_purpose": Role("TRE_R287", "nature du contact"),
    "closure_kind": Role("ENRS_TYPE_FERMETURE", "type de fermeture"),
    "capacity_type": Role("TRE_R329", "nature de la capacité"),
    "capacity_status": Role("TRE_R330", "statut de la capacité"),
    "temporality": Role("ENRS_TEMPORALITE_CAPACITE", "temporalité de la capacité"),
    "capacity_source": Role("ENRS_SOURCE_CAPACITE", "source de la capacité"),
    "temporary_assignment": Role("ENRS_AFFECTATION", "affectation temporaire"),
    "gender": Role("ENRS_GENRE_CAPACITE", "genre de la capacité"),
    "crisis_type": Role("ENRS_TYPE_CRISE", "type de crise"),
}
# Capacity codes the screens and the crisis dashboard rely on.
AVAILABLE = "02"  # TRE_R330 Disponible
INSTALLED = "01"  # TRE_R330 Installé
CURRENT = "CUR"  # temporality: the figure now


@dataclass(frozen=True)
class ParsedCodeSystem:
    key: str
    name: str
    url: str
    oid: str
    value_set: str
    version: str
    subset: bool
    confirmed: bool
    concepts: list[tuple[str, str]]


def _key_from_name(name: str) -> str:
    """``TRE_R211_ActiviteOperationnelle`` -> ``TRE_R211``; an ENRS key is kept whole."""
    parts = name.split("_")
    return "_".join(parts[:2]) if parts[0] == "TRE" and len(parts) >= 2 else name


def parse_code_system(data: object, source: str = "") -> ParsedCodeSystem:
    """Check a FHIR CodeSystem document; every problem names the element at fault."""
    if not isinstance(data, dict) or data.get("resourceType") != "CodeSystem":
        raise ValidationError(_("%(file)s : le fichier doit contenir une ressource FHIR CodeSystem.") % {"file": source or "—"})
    errors = []
    for element in ("url", "version", "name"):
        if not isinstance(data.get(element), str) or not data[element].strip():
            errors.append(_("%(file)s : élément « %(element)s » absent ou vide.") % {"file": source or "—", "element": element})
    concepts_in = data.get("concept")
    if not isinstance(concepts_in, list) or not concepts_in:
        errors.append(_("%(file)s : aucun code (élément « concept »).") % {"file": source or "—"})
        concepts_in = []
    if len(concepts_in) > MAX_CONCEPTS:
        errors.append(_("%(file)s : trop de codes (%(max)d au plus).") % {"file": source or "—", "max": MAX_CONCEPTS})
        concepts_in = []
    concepts, seen = [], set()
    for index, concept in enumerate(concepts_in):
        code = concept.get("code") if isinstance(concept, dict) else None
        display = concept.get("display") if isinstance(concept, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > 20:
            errors.append(_("%(file)s : concept n° %(n)d : code absent ou trop long.") % {"file": source or "—", "n": index + 1})
            continue
        if code in seen:
            errors.append(_("%(file)s : code « %(code)s » en double.") % {"file": source or "—", "code": code})
            continue
        seen.add(code)
        concepts.append((code.strip(), (display or code).strip()[:255]))
    if errors:
        raise ValidationError(errors)
    extensions = {ext.get("url"): ext for ext in data.get("extension") or [] if isinstance(ext, dict)}
    oid = next(
        (i.get("value", "").removeprefix("urn:oid:") for i in data.get("identifier") or [] if isinstance(i, dict)
         and str(i.get("value", "")).startswith("urn:oid:")),
        "",
    )
    return ParsedCodeSystem(
        key=_key_from_name(data["name"].strip()),
        name=str(data.get("title") or data["name"])[:120],
        url=data["url"].strip(),
        oid=oid[:64],
        value_set=str(extensions.get(VALUE_SET_EXTENSION, {}).get("valueCanonical", ""))[:255],
        version=data["version"].strip()[:40],
        subset=data.get("content") != "complete",
        confirmed=not extensions.get(UNCONFIRMED_EXTENSION, {}).get("valueBoolean", False),
        concepts=concepts,
    )


def read_code_system_file(path: Path) -> ParsedCodeSystem:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(_("%(file)s : fichier illisible ou JSON invalide (%(reason)s).") % {"file": Path(path).name, "reason": exc}) from exc
    return parse_code_system(data, Path(path).name)


def shipped_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.json"))


def unknown_code_error(role: str, code: str, field: str | None = None) -> ValidationError:
    """The French error for a code outside the loaded nomenclature of ``role``."""
    spec = ROLES[role]
    return ValidationError(
        {field or role: [_("Code inconnu « %(code)s » pour le champ %(label)s (nomenclature %(system)s).")
                         % {"code": code, "label": spec.label, "system": spec.key}]}
    )


def system_keys(roles: Iterable[str]) -> list[str]:
    return sorted({ROLES[role].key for role in roles})
