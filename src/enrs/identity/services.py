"""Writes of the identity server: the only place the identity rules live.

- Strict traits are validated here (French error per trait, nothing stored on
  error): birth name, ordered birth first names, birth date (``00`` for an
  unknown month or day, see ``partial_birth_date_rule``), sex, birth place
  (INSEE COG code known to ``enrs.identity.cog``).
- The RNIV status is *computed* from the evidence (INSi retrieval × high-trust
  document check, fr-interop §1.4); doubtful or fictitious ⇒ PROV; a status
  change outside the grid is refused. Only a QUAL identity shares its INS
  (``Patient.shared_ins``).
- Every change leaves a row in ``IdentityHistory`` (who, when, channel, old →
  new, why) and a line in the access trail.
- Every create/update runs the real-time matching (``enrs.identity.matching``):
  same INS or a "link" decision attaches the local identifiers to the existing
  identity; a "review" decision opens a potential duplicate in the worklist.
- Merges re-point every foreign key to ``Patient`` in every installed app
  (discovered from ``Patient._meta.related_objects``) and record what moved, so
  that ``unmerge`` puts back exactly those rows.

Permission checks are the callers' job (views, API, feeds call
``enrs.core.permissions.require``); these functions trust their ``actor``.
"""

from __future__ import annotations

import calendar
import datetime
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core import audit
from enrs.core import validators as v
from enrs.identity import cog, selectors
from enrs.identity.models import (
    OID_NIA,
    OID_NIR,
    OID_NIR_DEMO,
    OID_NIR_TEST,
    CollectionMethod,
    CommentCode,
    DocumentType,
    IdentityAnomaly,
    IdentityCollision,
    IdentityHistory,
    IdentityMatchKey,
    IdentityMerge,
    IdentityStatus,
    LocalIdentifier,
    Patient,
    PotentialDuplicate,
    WorkItemStatus,
)
from enrs.identity.selectors import Candidate

Status = Literal["created", "updated", "unchanged"]
DEMO_SOURCE = "demo"
DEMO_PATIENT_FIELDS = {
    "birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee", "used_name", "used_first_name",
    "commune_insee", "city", "email", "phone",
}
INS_OIDS = (OID_NIR, OID_NIA, OID_NIR_TEST, OID_NIR_DEMO)
STRICT_TRAITS = ("birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee")
TRAIT_KEYS = (*STRICT_TRAITS, "used_name", "used_first_name", "ins", "ins_oid")
CONTACT_KEYS = ("commune_insee", "city", "email", "phone")
EVIDENCE_KEYS = (
    "identity_status", "collection_method", "document_type", "document_high_trust", "document_checked_on",
    "insi_called_at", "insi_result", "insi_verified", "comment_codes",
)
# Identity documents of high trust by default (RNIV: passport, national ID card, residence permit).
HIGH_TRUST_DOCUMENTS = frozenset({DocumentType.CN, DocumentType.ECN, DocumentType.PA, DocumentType.CS, DocumentType.IN})
PROVISIONAL_COMMENTS = frozenset({CommentCode.DOUT, CommentCode.FICT})
# Status changes the RNIV grid allows: the four upgrades (both criteria at once is PROV → QUAL),
# and the downgrades that follow from losing a criterion (doubt, trait change, document withdrawn).
ALLOWED_TRANSITIONS = frozenset({
    ("PROV", "RECUP"), ("PROV", "VALI"), ("RECUP", "QUAL"), ("VALI", "QUAL"), ("PROV", "QUAL"),
    ("RECUP", "PROV"), ("VALI", "PROV"), ("QUAL", "PROV"), ("QUAL", "VALI"), ("QUAL", "RECUP"),
})
NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")
BIRTH_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
OLDEST_BIRTH_YEAR = 1870
# Identity bookkeeping tables that a merge must NOT re-point (they describe one identity).
NOT_REPOINTED = ("identity.IdentityHistory", "identity.IdentityMatchKey", "identity.PotentialDuplicate",
                 "identity.IdentityCollision", "identity.IdentityAnomaly", "identity.IdentityMerge", "identity.Patient")


@dataclass(frozen=True)
class PatientUpsert:
    obj: Patient
    status: Status


@dataclass
class IdentityOutcome:
    patient: Patient
    outcome: Literal["created", "linked", "review"]
    candidates: list[Candidate] = field(default_factory=list)


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


# --- Trait validation ------------------------------------------------------------------------
def partial_birth_date_rule() -> str:
    """How a partly unknown birth date is stored in the date column: "first" (01) or "last" (31/12).

    The RNIV rule is not confirmed (fr-interop §1.2): the declared date with its
    ``00`` is always kept in ``birth_date_text`` and used by the matching; only
    the substitute date for sorting and age computations follows this setting
    (``ENRS_IDENTITY_PARTIAL_BIRTH_DATE``, default "first").
    """
    rule = getattr(settings, "ENRS_IDENTITY_PARTIAL_BIRTH_DATE", "first")
    return rule if rule in {"first", "last"} else "first"


def parse_birth_date(value: Any) -> tuple[datetime.date, str]:
    """(substitute date, declared text or "" when complete); ValidationError in French otherwise."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return _not_future(value, value), ""
    text = str(value or "").strip()
    match = BIRTH_DATE_RE.fullmatch(text)
    if not match:
        raise ValidationError(_("La date de naissance doit être au format AAAA-MM-JJ (00 pour un mois ou un jour inconnu)."))
    year, month, day = (int(part) for part in match.groups())
    if year < OLDEST_BIRTH_YEAR:
        raise ValidationError(_("L'année de naissance %(year)s n'est pas plausible.") % {"year": match.group(1)})
    if month == 0 and day != 0:
        raise ValidationError(_("Un jour de naissance connu avec un mois inconnu (00) n'est pas une date valide."))
    if month > 12:
        raise ValidationError(_("Le mois de naissance %(month)s n'existe pas.") % {"month": match.group(2)})
    if month and day and day > calendar.monthrange(year, month)[1]:
        raise ValidationError(_("La date de naissance %(date)s n'existe pas.") % {"date": text})
    if month and day:
        date = datetime.date(year, month, day)
        return _not_future(date, date), ""
    earliest = datetime.date(year, month or 1, 1)
    last = partial_birth_date_rule() == "last"
    substitute_month = month or (12 if last else 1)
    substitute_day = calendar.monthrange(year, substitute_month)[1] if last else 1
    substitute = min(datetime.date(year, substitute_month, substitute_day), timezone.localdate())
    _not_future(earliest, substitute)
    return substitute, text


def _not_future(earliest: datetime.date, value: datetime.date) -> datetime.date:
    if earliest > timezone.localdate():
        raise ValidationError(_("La date de naissance ne peut pas être dans le futur."))
    return value


def _clean_name(errors: _Errors, key: str, value: Any, *, required: bool, label: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            errors.add(key, _("Le trait « %(trait)s » est obligatoire.") % {"trait": label})
        return ""
    if not NAME_RE.fullmatch(text):
        errors.add(
            key,
            _("Le trait « %(trait)s » ne peut contenir que des lettres, des espaces, des traits d'union et des apostrophes.")
            % {"trait": label},
        )
    elif len(text) > 120:
        errors.add(key, _("Le trait « %(trait)s » dépasse 120 caractères.") % {"trait": label})
    return text.upper()


def _clean_first_names(errors: _Errors, value: Any) -> str:
    names = value.split() if isinstance(value, str) else [str(n) for n in (value or [])]
    names = [" ".join(n.split()) for n in names if str(n).strip()]
    label = _("prénoms de naissance")
    if not names:
        errors.add("birth_first_names", _("Le trait « %(trait)s » est obligatoire.") % {"trait": label})
        return ""
    bad = [n for n in names if not NAME_RE.fullmatch(n)]
    if bad:
        errors.add(
            "birth_first_names",
            _("Le prénom de naissance « %(name)s » ne peut contenir que des lettres, des traits d'union et des apostrophes.")
            % {"name": bad[0][:40]},
        )
    # A space separates distinct first names; a hyphen joins the parts of one (fr-interop §1.2).
    joined = " ".join(" ".join(n.split()) for n in names)
    if len(joined) > 255:
        errors.add("birth_first_names", _("Les prénoms de naissance dépassent 255 caractères."))
    return joined


def _clean_birth_place(errors: _Errors, value: Any, *, required: bool) -> str:
    code = v.compact(value)
    if not code:
        if required:
            errors.add(
                "birth_place_insee",
                _("Le trait « %(trait)s » est obligatoire.") % {"trait": _("lieu de naissance (code INSEE)")},
            )
        return ""
    try:
        code = v.validate_insee_commune(code)
    except ValidationError as exc:
        errors.setdefault("birth_place_insee", []).extend(exc.messages)
        return ""
    if not cog.is_known(code):
        errors.add(
            "birth_place_insee",
            _("Le lieu de naissance %(code)s est inconnu du code officiel géographique de la plateforme.") % {"code": code},
        )
    return code


def _clean_ins(errors: _Errors, matricule: Any, oid: Any) -> tuple[str, str]:
    matricule, oid = v.compact(matricule), str(oid or "").strip().removeprefix("urn:oid:")
    if not matricule:
        if oid:
            errors.add("ins", _("L'OID du matricule INS est donné sans matricule."))
        return "", ""
    try:
        matricule = v.validate_nir(matricule)
    except ValidationError as exc:
        errors.setdefault("ins", []).extend(exc.messages)
    if not oid:
        errors.add("ins_oid", _("L'OID du matricule INS est obligatoire (NIR, NIA, ou NIR de test/démonstration)."))
    elif oid not in INS_OIDS:
        errors.add("ins_oid", _("L'OID %(oid)s n'est pas un OID de matricule INS.") % {"oid": oid[:40]})
    return matricule, oid


def require_birth_place() -> bool:
    """Birth place is one of the five INS traits; ``ENRS_IDENTITY_REQUIRE_BIRTH_PLACE=False`` relaxes it."""
    return bool(getattr(settings, "ENRS_IDENTITY_REQUIRE_BIRTH_PLACE", True))


def clean_traits(traits: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate identity traits; return the model field values or raise {trait: [French message]}.

    ``partial``: only the keys present are checked (updates).
    """
    errors = _Errors()
    unknown = set(traits) - set(TRAIT_KEYS) - set(CONTACT_KEYS)
    for key in sorted(unknown):
        errors.add(key, _("Trait d'identité inconnu : « %(key)s ».") % {"key": key[:40]})
    cleaned: dict[str, Any] = {}

    def wanted(key: str) -> bool:
        return not partial or key in traits

    if wanted("birth_name"):
        cleaned["birth_name"] = _clean_name(errors, "birth_name", traits.get("birth_name"), required=True,
                                            label=_("nom de naissance"))
    if wanted("birth_first_names"):
        cleaned["birth_first_names"] = _clean_first_names(errors, traits.get("birth_first_names"))
    if wanted("birth_date"):
        if traits.get("birth_date") in (None, ""):
            errors.add("birth_date", _("Le trait « %(trait)s » est obligatoire.") % {"trait": _("date de naissance")})
        else:
            try:
                cleaned["birth_date"], cleaned["birth_date_text"] = parse_birth_date(traits["birth_date"])
            except ValidationError as exc:
                errors.setdefault("birth_date", []).extend(exc.messages)
    if wanted("sex"):
        sex = str(traits.get("sex") or "").strip().upper()
        if sex not in Patient.Sex.values:
            errors.add("sex", _("Le trait « sexe » doit valoir F, M ou I."))
        cleaned["sex"] = sex
    if wanted("birth_place_insee"):
        cleaned["birth_place_insee"] = _clean_birth_place(errors, traits.get("birth_place_insee"),
                                                          required=require_birth_place())
    if wanted("used_name"):
        cleaned["used_name"] = _clean_name(errors, "used_name", traits.get("used_name"), required=False,
                                           label=_("nom utilisé"))
    if wanted("used_first_name"):
        cleaned["used_first_name"] = _clean_name(errors, "used_first_name", traits.get("used_first_name"),
                                                 required=False, label=_("prénom utilisé")).title()
    if wanted("ins") or wanted("ins_oid"):
        cleaned["ins_matricule"], cleaned["ins_oid"] = _clean_ins(errors, traits.get("ins"), traits.get("ins_oid"))
    for key in CONTACT_KEYS:
        if key in traits:
            cleaned[key] = _clean_contact(errors, key, traits[key])
    errors.raise_if_any()
    return cleaned


def _clean_contact(errors: _Errors, key: str, value: Any) -> str:
    text = " ".join(str(value or "").split())
    if key == "commune_insee" and text:
        try:
            return v.validate_insee_commune(text)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
    limit = {"city": 120, "email": 254, "phone": 20}.get(key, 5)
    if len(text) > limit:
        errors.add(key, _("Le champ « %(field)s » est trop long.") % {"field": key})
    return text


# --- RNIV status -----------------------------------------------------------------------------
def rniv_status(*, insi_verified: bool, high_trust_checked: bool, comment_codes: Iterable[str] = (),
                collection_method: str = "") -> str:
    """The RNIV status from the two criteria (EXI SI 07 grid); doubtful/fictitious ⇒ PROV."""
    if set(comment_codes) & PROVISIONAL_COMMENTS:
        return IdentityStatus.PROV
    if collection_method == CollectionMethod.AV:
        # An identity read from the Appli carte Vitale "est considérée comme qualifiée" (RNIV 1 §4.3.4).
        return IdentityStatus.QUAL
    if insi_verified:
        return IdentityStatus.QUAL if high_trust_checked else IdentityStatus.RECUP
    return IdentityStatus.VALI if high_trust_checked else IdentityStatus.PROV


def check_transition(old: str, new: str) -> None:
    if old != new and (old, new) not in ALLOWED_TRANSITIONS:
        raise ValidationError({"identity_status": [
            _("Le passage du statut %(old)s au statut %(new)s n'est pas permis par la grille du RNIV.")
            % {"old": old, "new": new}
        ]})


def _clean_comment_codes(errors: _Errors, value: Any) -> list[str]:
    codes = value.split() if isinstance(value, str) else [str(c) for c in (value or [])]
    codes = sorted({c.strip().upper() for c in codes if c.strip()})
    unknown = [c for c in codes if c not in CommentCode.values]
    if unknown:
        errors.add("comment_codes", _("Code de commentaire inconnu : %(codes)s.") % {"codes": ", ".join(unknown)[:80]})
    if {CommentCode.DOUT, CommentCode.FICT} <= set(codes):
        errors.add("comment_codes", _("Une identité ne peut pas être à la fois douteuse (DOUT) et fictive (FICT)."))
    return codes


def _clean_evidence(errors: _Errors, evidence: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Evidence fields merged over ``current``; the caller recomputes the status."""
    unknown = set(evidence) - set(EVIDENCE_KEYS)
    for key in sorted(unknown):
        errors.add(key, _("Élément de preuve inconnu : « %(key)s ».") % {"key": key[:40]})
    cleaned = dict(current)
    if "collection_method" in evidence:
        method = str(evidence["collection_method"] or "").upper()
        if method and method not in CollectionMethod.values:
            errors.add("collection_method", _("Mode de recueil inconnu : %(value)s.") % {"value": method[:10]})
        cleaned["collection_method"] = method
    if "document_type" in evidence:
        document = str(evidence["document_type"] or "")
        document = next((d for d in DocumentType.values if d.upper() == document.upper()), document)
        if document and document not in DocumentType.values:
            errors.add("document_type", _("Type de pièce d'identité inconnu : %(value)s.") % {"value": document[:10]})
        cleaned["document_type"] = document
        if "document_high_trust" not in evidence:
            cleaned["document_high_trust"] = document in HIGH_TRUST_DOCUMENTS
    if "document_high_trust" in evidence:
        cleaned["document_high_trust"] = bool(evidence["document_high_trust"])
    if evidence.get("document_high_trust") and not cleaned.get("document_type"):
        errors.add("document_type", _("Le contrôle d'une pièce à haut niveau de confiance exige le type de pièce."))
    if "document_checked_on" in evidence:
        cleaned["document_checked_on"] = _date_or_error(errors, "document_checked_on", evidence["document_checked_on"])
    if "insi_called_at" in evidence:
        cleaned["insi_called_at"] = _datetime_or_error(errors, "insi_called_at", evidence["insi_called_at"])
    if "insi_result" in evidence:
        result = str(evidence["insi_result"] or "")
        if result and result not in {"00", "01", "02"}:
            errors.add("insi_result", _("Réponse INSi inconnue : %(value)s (00, 01 ou 02).") % {"value": result[:4]})
        cleaned["insi_result"] = result
    if "insi_verified" in evidence:
        cleaned["insi_verified"] = bool(evidence["insi_verified"])
    if "comment_codes" in evidence:
        cleaned["comment_codes"] = _clean_comment_codes(errors, evidence["comment_codes"])
    if evidence.get("identity_status"):
        _apply_claimed_status(errors, str(evidence["identity_status"]).upper(), cleaned)
    return cleaned


def _apply_claimed_status(errors: _Errors, claimed: str, cleaned: dict[str, Any]) -> None:
    """A sender's status (e.g. HL7 PID-32) attests its criteria; it must not contradict the rest."""
    if claimed not in IdentityStatus.values:
        errors.add("identity_status", _("Statut d'identité inconnu : %(value)s.") % {"value": claimed[:10]})
        return
    if claimed != IdentityStatus.PROV and set(cleaned.get("comment_codes") or ()) & PROVISIONAL_COMMENTS:
        errors.add("identity_status", _("Une identité douteuse ou fictive est forcément provisoire (PROV)."))
        return
    if claimed in {IdentityStatus.RECUP, IdentityStatus.QUAL}:
        cleaned["insi_verified"] = True
    if claimed in {IdentityStatus.VALI, IdentityStatus.QUAL}:
        cleaned["document_high_trust"] = True
        cleaned["document_type"] = cleaned.get("document_type") or ""
    if claimed == IdentityStatus.PROV:
        cleaned["insi_verified"] = False
        cleaned["document_high_trust"] = False
    cleaned["_claimed"] = claimed


def _date_or_error(errors: _Errors, key: str, value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value if not isinstance(value, datetime.datetime) else value.date()
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.add(key, _("Date invalide (AAAA-MM-JJ)."))
        return None


def _datetime_or_error(errors: _Errors, key: str, value: Any) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        errors.add(key, _("Date et heure invalides (AAAA-MM-JJTHH:MM)."))
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _evidence_of(patient: Patient) -> dict[str, Any]:
    return {
        "collection_method": patient.collection_method,
        "document_type": patient.document_type,
        "document_high_trust": patient.document_high_trust,
        "document_checked_on": patient.document_checked_on,
        "insi_called_at": patient.insi_called_at,
        "insi_result": patient.insi_result,
        "insi_verified": patient.insi_verified,
        "comment_codes": list(patient.comment_codes or []),
    }


def _status_from(values: dict[str, Any], errors: _Errors) -> str:
    if values.get("insi_verified") and not values.get("ins_matricule"):
        errors.add("ins", _("Une identité récupérée par INSi porte un matricule INS."))
    status = rniv_status(
        insi_verified=bool(values.get("insi_verified")),
        high_trust_checked=bool(values.get("document_high_trust")),
        comment_codes=values.get("comment_codes") or (),
        collection_method=values.get("collection_method") or "",
    )
    claimed = values.get("_claimed")
    if claimed and claimed != status:
        errors.add("identity_status", _("Le statut %(claimed)s ne correspond pas aux preuves fournies (%(status)s).")
                   % {"claimed": claimed, "status": status})
    return status


# --- History and trail ------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [_jsonable(before.get(k)), _jsonable(after[k])] for k in sorted(after) if before.get(k) != after[k]}


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def record_history(patient: Patient, action: str, *, actor, channel: str, changes: dict | None = None,
                   reason: str = "") -> IdentityHistory:
    user = _actor_user(actor)
    display = str(getattr(user, "email", "") or user) if user else str(actor or channel)
    return IdentityHistory.objects.create(
        patient=patient, action=action, actor=user, actor_display=display[:255], channel=channel,
        changes=changes or {}, reason=reason,
    )


def _trail(actor, action: str, patient: Patient, channel: str, *, object_type: str = "identity.Patient",
           object_id: str = "", justification: str = "") -> None:
    audit.record(
        actor=_actor_user(actor), action=action, channel=channel, patient_id=patient.pk, object_type=object_type,
        object_id=object_id or str(patient.pk), justification=justification[:500],
    )


# --- Matching keys ------------------------------------------------------------------------------
def refresh_match_keys(patient: Patient) -> set[str]:
    """Replace the blocking keys of ``patient`` (none for a merged identity)."""
    from enrs.identity import matching

    IdentityMatchKey.objects.filter(patient=patient).delete()
    if patient.is_merged:
        return set()
    keys = {key[:64] for key in matching.blocking_keys(selectors.traits_of(patient))}
    IdentityMatchKey.objects.bulk_create(IdentityMatchKey(patient=patient, key=key) for key in sorted(keys))
    return keys


def _replace_keys(patients: list[Patient]) -> int:
    """Replace the blocking keys of ``patients`` in one statement pair; merged identities keep none."""
    from enrs.identity import matching

    IdentityMatchKey.objects.filter(patient__in=[p.pk for p in patients]).delete()
    rows = [IdentityMatchKey(patient=p, key=key) for p in patients if not p.is_merged
            for key in sorted({k[:64] for k in matching.blocking_keys(selectors.traits_of(p))})]
    IdentityMatchKey.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def rebuild_match_keys(*, from_id: int = 0, batch_size: int = 2000, progress=None) -> dict[str, int]:
    """Recompute every identity's blocking keys (after a change of the key functions), in batches.

    Each batch is its own transaction, in primary-key order, so an interrupted run is resumed with
    ``from_id`` = the last id reported, and a rerun is harmless (keys are replaced, not added).
    ``progress(done, total, last_id)`` is called after each batch.
    """
    queryset = Patient.objects.filter(pk__gt=from_id).order_by("pk")
    total, done, keys, last_id = queryset.count(), 0, 0, from_id
    while True:
        batch = list(queryset.filter(pk__gt=last_id)[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            keys += _replace_keys(batch)
        done, last_id = done + len(batch), batch[-1].pk
        if progress is not None:
            progress(done, total, last_id)
    return {"identities": done, "keys": keys, "last_id": last_id}


def _open_duplicate(a: Patient, b: Patient, score: float, *, source: str, actor, channel: str) -> PotentialDuplicate:
    low, high = (a, b) if a.pk < b.pk else (b, a)
    duplicate, created = PotentialDuplicate.objects.get_or_create(
        patient_a=low, patient_b=high, defaults={"score": score, "source": source}
    )
    if created:
        for patient, other in ((low, high), (high, low)):
            record_history(patient, IdentityHistory.Action.DUPLICATE, actor=actor, channel=channel,
                           changes={"other": other.pk, "score": round(score, 4)}, reason=source)
    return duplicate


def _queue_candidates(patient: Patient, candidates: list[Candidate], *, actor, channel: str, source: str) -> None:
    for candidate in candidates:
        if candidate.decision in {"link", "review"}:
            _open_duplicate(patient, candidate.patient, candidate.score, source=source, actor=actor, channel=channel)


# --- Anomalies (NIR vs traits) ----------------------------------------------------------------------
def ins_anomalies(patient: Patient) -> list[tuple[str, str]]:
    """Inconsistencies between the NIR/NIA and the traits: (code, French detail)."""
    nir = patient.ins_matricule
    if not nir or not v.nir_is_valid(nir):
        return []
    found = []
    expected_sex = v.NIR_SEX_DIGITS.get(nir[0])
    if patient.sex in {"F", "M"} and expected_sex and expected_sex != patient.sex:
        found.append((IdentityAnomaly.Code.NIR_SEX, _("Le matricule commence par %(digit)s, le sexe déclaré est %(sex)s.")
                      % {"digit": nir[0], "sex": patient.sex}))
    declared = patient.birth_date_display
    year, month = declared[:4], declared[5:7]
    if year[2:] != nir[1:3]:
        found.append((IdentityAnomaly.Code.NIR_YEAR, _("Année %(year)s, matricule %(nir)s.") % {"year": year, "nir": nir[1:3]}))
    # Months 20 and above (or 99) in a NIR mean an incomplete civil record: nothing to compare.
    if month != "00" and 1 <= int(nir[3:5]) <= 12 and nir[3:5] != month:
        found.append((IdentityAnomaly.Code.NIR_MONTH, _("Mois %(month)s, matricule %(nir)s.") % {"month": month, "nir": nir[3:5]}))
    place = patient.birth_place_insee
    if place and nir[5:10] != place and not (cog.is_country(place) and nir[5:7] == "99" and nir[7:10] == place[2:]):
        found.append((IdentityAnomaly.Code.NIR_PLACE, _("Lieu %(place)s, matricule %(nir)s.") % {"place": place, "nir": nir[5:10]}))
    return found


def refresh_anomalies(patient: Patient, *, actor, channel: str) -> list[IdentityAnomaly]:
    """Open an anomaly per new NIR inconsistency; close the open ones that disappeared."""
    found = dict(ins_anomalies(patient))
    open_items = {a.code: a for a in IdentityAnomaly.objects.filter(patient=patient, status=WorkItemStatus.OPEN,
                                                                    code__startswith="nir_")}
    for code, item in open_items.items():
        if code not in found:
            item.status, item.resolved_at = WorkItemStatus.RESOLVED, timezone.now()
            item.resolution = _("Résolue automatiquement : les traits correspondent désormais au matricule.")
            item.save(update_fields=["status", "resolved_at", "resolution"])
    created = []
    for code, detail in found.items():
        if code not in open_items:
            created.append(IdentityAnomaly.objects.create(patient=patient, code=code, detail=detail))
            record_history(patient, IdentityHistory.Action.ANOMALY, actor=actor, channel=channel,
                           changes={"code": str(code)}, reason=detail)
    return created


# --- Create / update -------------------------------------------------------------------------
def _clean_local_ids(errors: _Errors, local_ids: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    cleaned = []
    for item in local_ids or ():
        try:
            authority, value = (str(part or "").strip() for part in item)
        except (TypeError, ValueError):
            errors.add("local_ids", _("Un identifiant local est un couple (autorité d'affectation, valeur)."))
            continue
        if not authority or not value:
            errors.add("local_ids", _("Un identifiant local exige une autorité d'affectation et une valeur."))
        elif len(authority) > 64 or len(value) > 64:
            errors.add("local_ids", _("Un identifiant local ou son autorité dépasse 64 caractères."))
        else:
            cleaned.append((authority, value))
    return cleaned


def _known_owner(local_ids: list[tuple[str, str]]) -> Patient | None:
    """The identity that already carries these local ids, or None; error if they name several."""
    owners = {selectors.find_by_local_id(a, val) for a, val in local_ids} - {None}
    if len(owners) > 1:
        raise ValidationError({"local_ids": [_("Ces identifiants locaux désignent déjà des identités différentes.")]})
    return next(iter(owners), None)


def _attach_local_ids(patient: Patient, local_ids: list[tuple[str, str]], *, actor, channel: str) -> list[tuple[str, str]]:
    added = []
    for authority, value in local_ids:
        _, created = LocalIdentifier.objects.get_or_create(authority=authority, value=value, defaults={"patient": patient})
        if created:
            added.append((authority, value))
    if added:
        record_history(patient, IdentityHistory.Action.LINK, actor=actor, channel=channel,
                       changes={"local_ids": [[None, f"{val}^^^{a}"] for a, val in added]})
    return added


@transaction.atomic
def create_identity(traits: dict[str, Any], *, actor, channel: str, source: str = "",
                    local_ids: Iterable[tuple[str, str]] = (), evidence: dict[str, Any] | None = None) -> IdentityOutcome:
    """Create an identity, or link the local ids to the existing one (same INS, or a "link" match).

    Outcome "created" (new identity), "linked" (existing identity, local ids
    attached) or "review" (new identity, potential duplicates opened).
    """
    errors = _Errors()
    ids = _clean_local_ids(errors, local_ids)
    try:
        values = clean_traits(traits)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        values = {}
    evidence_values = _clean_evidence(errors, dict(evidence or {}), {"comment_codes": []})
    values.update(evidence_values)
    status = _status_from(values, errors)
    errors.raise_if_any()
    values.pop("_claimed", None)
    owner = _known_owner(ids)
    if owner is not None:
        _attach_local_ids(owner, ids, actor=actor, channel=channel)
        _trail(actor, "update", owner, channel, justification=source)
        return IdentityOutcome(owner, "linked")
    same_ins = selectors.find_by_ins(values.get("ins_matricule", ""))
    query = _query_of(values)
    if same_ins is not None:
        return _link_to(same_ins, query, ids, actor=actor, channel=channel, source=source, by_ins=True)
    candidates = selectors.match_candidates(query)
    best = candidates[0] if candidates else None
    if best is not None and best.decision == "link":
        return _link_to(best.patient, query, ids, actor=actor, channel=channel, source=source, candidates=candidates)
    patient = Patient.objects.create(**values, identity_status=status, source=(source or channel)[:20])
    record_history(patient, IdentityHistory.Action.CREATE, actor=actor, channel=channel,
                   changes=diff({}, {k: val for k, val in values.items() if val not in ("", None, [], False)}
                                | {"identity_status": status}), reason=source)
    _attach_local_ids(patient, ids, actor=actor, channel=channel)
    refresh_match_keys(patient)
    refresh_anomalies(patient, actor=actor, channel=channel)
    _queue_candidates(patient, candidates, actor=actor, channel=channel, source=source or channel)
    _trail(actor, "create", patient, channel, justification=source)
    reviewed = [c for c in candidates if c.decision == "review"]
    return IdentityOutcome(patient, "review" if reviewed else "created", candidates)


def _query_of(values: dict[str, Any]):
    """Matching traits from cleaned values (the declared date keeps its 00)."""
    return selectors.traits_from_dict({
        **values, "birth_date": values.get("birth_date_text") or values.get("birth_date"), "ins": values.get("ins_matricule", ""),
    })


def _link_to(patient: Patient, query, ids, *, actor, channel, source, by_ins: bool = False,
             candidates: list[Candidate] | None = None) -> IdentityOutcome:
    from enrs.identity import matching

    _attach_local_ids(patient, ids, actor=actor, channel=channel)
    if by_ins:
        existing = selectors.traits_of(patient)
        score = float(matching.score(query, existing))
        if score < matching.low_threshold():  # decide() links on the INS alone; the traits must agree too
            # Same INS, traits of someone else: two people may be behind one identity.
            report_collision(patient, actor=actor, channel=channel, source=source,
                             description=_("Même matricule INS reçu avec des traits différents (score %(score).2f).")
                             % {"score": score})
        candidates = [Candidate(patient, score, "link")]
    _trail(actor, "update", patient, channel, justification=source)
    return IdentityOutcome(patient, "linked", candidates or [])


def _patient_values(patient: Patient, keys: Iterable[str]) -> dict[str, Any]:
    return {key: getattr(patient, key) for key in keys}


@transaction.atomic
def update_identity(patient: Patient, changes: dict[str, Any], *, actor, channel: str, reason: str = "") -> Patient:
    """Change traits and/or evidence; the status is recomputed and must follow the RNIV grid.

    Changing a strict trait of an identity retrieved through INSi drops the INSi
    criterion (its traits are no longer those INSi returned) unless the change
    brings a new INSi verification.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_merged:
        raise ValidationError({"patient": [_("Cette identité a été fusionnée : modifiez l'identité conservée.")]})
    errors = _Errors()
    trait_changes = {k: val for k, val in changes.items() if k not in EVIDENCE_KEYS}
    evidence = {k: val for k, val in changes.items() if k in EVIDENCE_KEYS}
    if "ins" in trait_changes and "ins_oid" not in trait_changes and trait_changes["ins"]:
        trait_changes["ins_oid"] = patient.ins_oid  # a new matricule keeps the OID unless told otherwise
    try:
        values = clean_traits(trait_changes, partial=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        values = {}
    before = _patient_values(patient, [*values, *_evidence_of(patient), "identity_status", "ins_matricule"])
    merged = {**_evidence_of(patient), **_clean_evidence(errors, evidence, _evidence_of(patient))}
    strict_changed = any(k in values and values[k] != before.get(k) for k in (*STRICT_TRAITS, "birth_date_text",
                                                                               "ins_matricule"))
    if strict_changed and patient.insi_verified and not evidence.get("insi_verified"):
        merged["insi_verified"] = False
    after = {**before, **values, **merged}
    status = _status_from({**after, "ins_matricule": after.get("ins_matricule", patient.ins_matricule)}, errors)
    errors.raise_if_any()
    check_transition(patient.identity_status, status)
    after.pop("_claimed", None)
    after["identity_status"] = status
    changed = diff(before, after)
    if not changed:
        return patient
    for key, value in after.items():
        setattr(patient, key, value)
    patient.save()
    action = IdentityHistory.Action.STATUS if set(changed) <= {"identity_status", *EVIDENCE_KEYS} else IdentityHistory.Action.UPDATE
    record_history(patient, action, actor=actor, channel=channel, changes=changed, reason=reason)
    refresh_match_keys(patient)
    refresh_anomalies(patient, actor=actor, channel=channel)
    _queue_candidates(patient, selectors.match_candidates(selectors.traits_of(patient), exclude_id=patient.pk),
                      actor=actor, channel=channel, source=channel)
    _trail(actor, "update", patient, channel, justification=reason)
    return patient


def after_admin_change(patient: Patient, before: dict[str, Any], after: dict[str, Any], *, actor, created: bool) -> None:
    """Bookkeeping of a back-office edit of the traits (the admin saves the row itself):
    history, blocking keys, NIR anomalies. The RNIV fields are read-only there."""
    changes = diff(before, after)
    if not changes and not created:
        return
    if patient.insi_verified and set(changes) & set(STRICT_TRAITS):
        # Same rule as update_identity: edited traits are no longer the ones INSi returned.
        status = rniv_status(insi_verified=False, high_trust_checked=patient.document_high_trust,
                             comment_codes=patient.comment_codes, collection_method=patient.collection_method)
        changes.update(insi_verified=[True, False], identity_status=[patient.identity_status, status])
        patient.insi_verified, patient.identity_status = False, status
        patient.save(update_fields=["insi_verified", "identity_status", "updated_at"])
    action = IdentityHistory.Action.CREATE if created else IdentityHistory.Action.UPDATE
    record_history(patient, action, actor=actor, channel="admin", changes=changes, reason=_("Back-office"))
    refresh_match_keys(patient)
    refresh_anomalies(patient, actor=actor, channel="admin")


# --- INSi -------------------------------------------------------------------------------------------
def insi_query(patient: Patient):
    from enrs.identity.insi import InsiQuery

    return InsiQuery(birth_name=patient.birth_name, first_name=patient.birth_first_names,
                     birth_date=patient.birth_date_display, sex=patient.sex, birth_place_insee=patient.birth_place_insee)


@transaction.atomic
def call_insi(patient: Patient, *, actor, channel: str, client=None):
    """Ask INSi for the INS of ``patient``; on "00" take its matricule and traits (RECUP or QUAL)."""
    from enrs.identity import insi

    client = client or insi.get_client()
    try:
        response = client.search(insi_query(patient))
    except (OSError, TimeoutError) as exc:
        raise ValidationError({"insi": [_("Le téléservice INSi ne répond pas ; réessayez plus tard.")]}) from exc
    evidence: dict[str, Any] = {"insi_called_at": response.called_at, "insi_result": response.code}
    if not response.found:
        patient = update_identity(patient, evidence, actor=actor, channel=channel,
                                  reason=_("Appel INSi : aucune identité (01).") if response.code == insi.NOT_FOUND
                                  else _("Appel INSi : plusieurs identités (02)."))
        if response.code == insi.SEVERAL:
            IdentityAnomaly.objects.create(patient=patient, code=IdentityAnomaly.Code.INSI,
                                           detail=_("INSi a trouvé plusieurs identités pour ces traits."))
        return response
    found = response.identity
    changes = {
        "birth_name": found.birth_name, "birth_first_names": list(found.birth_first_names), "birth_date": found.birth_date,
        "sex": found.sex, "birth_place_insee": found.birth_place_insee, "ins": found.matricule, "ins_oid": found.oid,
        **evidence, "insi_verified": True,
        "collection_method": patient.collection_method or CollectionMethod.INSI,
    }
    update_identity(patient, changes, actor=actor, channel=channel, reason=_("Appel INSi : identité trouvée (00)."))
    return response


# --- Local identifiers --------------------------------------------------------------------------------
@transaction.atomic
def link_local_identifier(patient: Patient, authority: str, value: str, *, actor, channel: str) -> LocalIdentifier:
    errors = _Errors()
    ids = _clean_local_ids(errors, [(authority, value)])
    errors.raise_if_any()
    owner = _known_owner(ids)
    if owner is not None and owner.pk != patient.pk:
        raise ValidationError({"local_ids": [_("Cet identifiant local est déjà rattaché à une autre identité.")]})
    _attach_local_ids(patient, ids, actor=actor, channel=channel)
    _trail(actor, "update", patient, channel)
    return LocalIdentifier.objects.get(authority=ids[0][0], value=ids[0][1])


@transaction.atomic
def change_local_identifier(authority: str, old_value: str, new_value: str, *, actor, channel: str) -> LocalIdentifier:
    """Change the value of a local identifier (HL7 A47); the identity behind it stays the same."""
    errors = _Errors()
    ids = _clean_local_ids(errors, [(authority, old_value), (authority, new_value)])
    errors.raise_if_any()
    local = LocalIdentifier.objects.select_for_update().filter(authority=ids[0][0], value=ids[0][1]).first()
    if local is None:
        raise ValidationError({"local_ids": [_("Identifiant local inconnu : %(value)s.") % {"value": old_value[:64]}]})
    if LocalIdentifier.objects.filter(authority=ids[1][0], value=ids[1][1]).exists():
        raise ValidationError({"local_ids": [_("Le nouvel identifiant local %(value)s est déjà utilisé.")
                                             % {"value": new_value[:64]}]})
    old = str(local)
    local.value = ids[1][1]
    local.save(update_fields=["value"])
    record_history(local.patient, IdentityHistory.Action.LOCAL_ID, actor=actor, channel=channel,
                   changes={"local_id": [old, str(local)]})
    _trail(actor, "update", local.patient, channel)
    return local


# --- Worklist decisions ---------------------------------------------------------------------------------
def _require_reason(reason: str, key: str = "reason") -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({key: [_("Le motif est obligatoire.")]})
    return reason


@transaction.atomic
def report_collision(patient: Patient, *, actor, channel: str, description: str, source: str = "") -> IdentityCollision:
    """Flag two people behind one identity (by an officer or a feed)."""
    description = _require_reason(description, "description")
    collision = IdentityCollision.objects.create(patient=patient, description=description, source=source[:64],
                                                 reported_by=_actor_user(actor), channel=channel)
    record_history(patient, IdentityHistory.Action.COLLISION, actor=actor, channel=channel,
                   changes={"collision": [None, collision.pk]}, reason=description)
    _trail(actor, "update", patient, channel, object_type="identity.IdentityCollision", object_id=str(collision.pk))
    return collision


def _close(item, *, actor, channel: str, resolution: str, status: str, patient: Patient, label: str):
    resolution = _require_reason(resolution, "resolution")
    if item.status != WorkItemStatus.OPEN:
        raise ValidationError({"resolution": [_("Cet élément a déjà été traité.")]})
    item.status, item.resolved_at, item.resolved_by, item.resolution = status, timezone.now(), _actor_user(actor), resolution
    item.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    record_history(patient, IdentityHistory.Action.UPDATE, actor=actor, channel=channel,
                   changes={label: [WorkItemStatus.OPEN, status]}, reason=resolution)
    _trail(actor, "update", patient, channel, object_type=item._meta.label, object_id=str(item.pk))
    return item


@transaction.atomic
def resolve_collision(collision: IdentityCollision, *, actor, channel: str, resolution: str) -> IdentityCollision:
    return _close(collision, actor=actor, channel=channel, resolution=resolution, status=WorkItemStatus.RESOLVED,
                  patient=collision.patient, label="collision")


@transaction.atomic
def resolve_anomaly(anomaly: IdentityAnomaly, *, actor, channel: str, resolution: str) -> IdentityAnomaly:
    return _close(anomaly, actor=actor, channel=channel, resolution=resolution, status=WorkItemStatus.RESOLVED,
                  patient=anomaly.patient, label="anomaly")


@transaction.atomic
def dismiss_duplicate(duplicate: PotentialDuplicate, *, actor, channel: str, reason: str) -> PotentialDuplicate:
    """Not the same person: close the pair (it will not be proposed again)."""
    reason = _require_reason(reason)
    if duplicate.status != WorkItemStatus.OPEN:
        raise ValidationError({"reason": [_("Ce doublon potentiel a déjà été traité.")]})
    duplicate.status, duplicate.decided_at = WorkItemStatus.DISMISSED, timezone.now()
    duplicate.decided_by, duplicate.decision_reason = _actor_user(actor), reason
    duplicate.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    for patient, other in ((duplicate.patient_a, duplicate.patient_b), (duplicate.patient_b, duplicate.patient_a)):
        record_history(patient, IdentityHistory.Action.DUPLICATE, actor=actor, channel=channel,
                       changes={"other": other.pk, "status": [WorkItemStatus.OPEN, WorkItemStatus.DISMISSED]}, reason=reason)
        _trail(actor, "update", patient, channel, object_type="identity.PotentialDuplicate", object_id=str(duplicate.pk))
    return duplicate


# --- Merge / unmerge -------------------------------------------------------------------------------------
def _relations():
    """Every foreign key to Patient in every installed app, found at run time (no app is named here).

    Hidden relations (``related_name="+"``) are included, and so are the rows of
    many-to-many tables: their through model's foreign key is one of these
    relations, so a many-to-many is re-pointed row by row like any other.
    """
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or relation.many_to_many:
            continue
        if relation.related_model._meta.label in NOT_REPOINTED:
            continue
        yield relation.related_model, relation.field.name, relation.one_to_one or relation.field.unique


def _move_rows(model, column: str, unique_owner: bool, source: Patient, target: Patient) -> tuple[list[str], list[str]]:
    """Re-point ``column`` of ``model`` rows from ``source`` to ``target``: (moved pks, kept pks)."""
    manager = model._base_manager
    pks = list(manager.filter(**{column: source}).values_list("pk", flat=True))
    if not pks:
        return [], []
    if unique_owner and manager.filter(**{column: target}).exists():
        return [], [str(pk) for pk in pks]
    try:
        with transaction.atomic():
            manager.filter(pk__in=pks).update(**{column: target})
        return [str(pk) for pk in pks], []
    except IntegrityError:
        moved, kept = [], []
        for pk in pks:  # a unique constraint refused the batch: move what can move, keep the rest
            try:
                with transaction.atomic():
                    manager.filter(pk=pk).update(**{column: target})
                moved.append(str(pk))
            except IntegrityError:
                kept.append(str(pk))
        return moved, kept


@transaction.atomic
def merge_identities(survivor: Patient, merged: Patient, *, actor, channel: str, reason: str) -> IdentityMerge:
    """Merge ``merged`` into ``survivor``: every linked object moves, the merged identity stays (inactive).

    Rows that cannot move because the survivor already has its own (a one-to-one
    such as the consent, or a unique constraint) stay on the merged identity and
    are listed in ``kept``: nothing is ever deleted.
    """
    reason = _require_reason(reason)
    locked = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": [_("Une identité ne peut pas être fusionnée avec elle-même.")]})
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.is_merged or merged.is_merged:
        raise ValidationError({"merged": [_("L'une des deux identités a déjà été fusionnée.")]})
    merge = IdentityMerge.objects.create(survivor=survivor, merged=merged, actor=_actor_user(actor), channel=channel,
                                         reason=reason)
    moved, kept = [], []
    for model, column, unique_owner in _relations():
        moved_pks, kept_pks = _move_rows(model, column, unique_owner, merged, survivor)
        if moved_pks:
            moved.append({"model": model._meta.label, "field": column, "pks": moved_pks})
        if kept_pks:
            kept.append({"model": model._meta.label, "field": column, "pks": kept_pks})
    if merged.user_id and not survivor.user_id:
        merge.moved_user_id, user = merged.user_id, merged.user
        merged.user = None
        merged.save(update_fields=["user", "updated_at"])
        survivor.user = user
        survivor.save(update_fields=["user", "updated_at"])
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    merge.moved, merge.kept = moved, kept
    merge.save(update_fields=["moved", "kept", "moved_user_id"])
    refresh_match_keys(merged)
    _close_pair(survivor, merged, actor=actor, reason=reason)
    summary = {"merge": merge.pk, "moved": sum(len(m["pks"]) for m in moved), "kept": sum(len(k["pks"]) for k in kept)}
    record_history(survivor, IdentityHistory.Action.MERGE, actor=actor, channel=channel,
                   changes={**summary, "merged": [None, merged.pk]}, reason=reason)
    record_history(merged, IdentityHistory.Action.MERGE, actor=actor, channel=channel,
                   changes={**summary, "merged_into": [None, survivor.pk]}, reason=reason)
    for patient in (survivor, merged):
        _trail(actor, "update", patient, channel, object_type="identity.IdentityMerge", object_id=str(merge.pk),
               justification=reason)
    return merge


def _close_pair(survivor: Patient, merged: Patient, *, actor, reason: str) -> None:
    low, high = sorted([survivor.pk, merged.pk])
    PotentialDuplicate.objects.filter(patient_a_id=low, patient_b_id=high, status=WorkItemStatus.OPEN).update(
        status=WorkItemStatus.RESOLVED, decided_at=timezone.now(), decided_by=_actor_user(actor), decision_reason=reason
    )


@transaction.atomic
def unmerge(merge: IdentityMerge, *, actor, channel: str, reason: str) -> IdentityMerge:
    """Undo a merge: the rows that moved go back to the merged identity, which becomes active again."""
    reason = _require_reason(reason)
    merge = IdentityMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"reason": [_("Cette fusion a déjà été annulée.")]})
    survivor = Patient.objects.select_for_update().get(pk=merge.survivor_id)
    merged = Patient.objects.select_for_update().get(pk=merge.merged_id)
    if survivor.is_merged:
        raise ValidationError({"reason": [_("L'identité conservée a depuis été fusionnée : annulez d'abord cette fusion-là.")]})
    from django.apps import apps

    restored = 0
    for entry in merge.moved:
        model = apps.get_model(entry["model"])
        restored += model._base_manager.filter(pk__in=entry["pks"], **{entry["field"]: survivor}).update(
            **{entry["field"]: merged}
        )
    if merge.moved_user_id and survivor.user_id == merge.moved_user_id:
        survivor.user = None
        survivor.save(update_fields=["user", "updated_at"])
        merged.user_id = merge.moved_user_id
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "user", "updated_at"])
    merge.undone_at, merge.undone_by, merge.undo_reason = timezone.now(), _actor_user(actor), reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    refresh_match_keys(merged)
    for patient, other in ((survivor, merged), (merged, survivor)):
        record_history(patient, IdentityHistory.Action.UNMERGE, actor=actor, channel=channel,
                       changes={"merge": merge.pk, "restored": restored, "other": other.pk}, reason=reason)
        _trail(actor, "update", patient, channel, object_type="identity.IdentityMerge", object_id=str(merge.pk),
               justification=reason)
    return merge


# --- Benchmark loading (bench only) -------------------------------------------------------------------------
def bulk_load_for_benchmark(rows: Iterable[dict[str, Any]], batch_size: int = 5000) -> int:
    """BENCHMARK ONLY: insert identities and their blocking keys, fast.

    No validation beyond the birth date parsing, no history, no trail, no
    matching: it loads synthetic data for ``enrs bench identity`` and must
    never be used for real identities. ``rows`` are trait dicts as for
    ``create_identity``; returns the number of identities inserted.

    Rows go in by ``executemany`` with primary keys taken after the current
    maximum (the ORM's per-object cost dominated at a million rows), so it
    assumes no concurrent writer; the id sequence is reset at the end.
    """
    from django.core.management.color import no_style

    from enrs.identity import matching

    trait_columns = ("birth_name", "birth_first_names", "birth_date", "birth_date_text", "sex", "birth_place_insee",
                     "used_name", "used_first_name", "ins_matricule", "ins_oid")
    constants = _bench_constants(exclude=("id", *trait_columns))
    columns = ("id", *trait_columns, *constants)
    quote = connection.ops.quote_name
    insert_patients = (f"INSERT INTO {quote(Patient._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                       f"VALUES ({', '.join(['%s'] * len(columns))})")
    insert_keys = f"INSERT INTO {quote(IdentityMatchKey._meta.db_table)} (patient_id, {quote('key')}) VALUES (%s, %s)"
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        next_id = (Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        batch, keys = [], []
        for row in rows:
            birth_date, text = parse_birth_date(row.get("birth_date"))
            first_names = row.get("birth_first_names") or ()
            first_names = " ".join(first_names.split() if isinstance(first_names, str) else first_names)
            values = (
                next_id, str(row.get("birth_name") or "")[:120], first_names[:255],
                connection.ops.adapt_datefield_value(birth_date), text, str(row.get("sex") or "I")[:1],
                str(row.get("birth_place_insee") or "")[:5], str(row.get("used_name") or "")[:120],
                str(row.get("used_first_name") or "")[:120], str(row.get("ins") or "")[:15],
                str(row.get("ins_oid") or "")[:40], *constants.values(),
            )
            batch.append(values)
            keys.extend((next_id, key[:64]) for key in matching.blocking_keys(selectors.traits_from_dict(row)))
            next_id += 1
            if len(batch) >= batch_size:
                cursor.executemany(insert_patients, batch)
                cursor.executemany(insert_keys, keys)
                total += len(batch)
                batch, keys = [], []
        if batch:
            cursor.executemany(insert_patients, batch)
            cursor.executemany(insert_keys, keys)
            total += len(batch)
        for statement in connection.ops.sequence_reset_sql(no_style(), [Patient]):
            cursor.execute(statement)
    return total


def _bench_constants(*, exclude: tuple[str, ...]) -> dict[str, Any]:
    """Database values of every other Patient column, as a bench identity has them (computed once)."""
    now = timezone.now()
    sample = Patient(source="bench", created_at=now, updated_at=now)
    return {
        field.column: field.get_db_prep_save(getattr(sample, field.attname), connection)
        for field in Patient._meta.concrete_fields
        if field.column not in exclude
    }


# --- Demo (foundation) ------------------------------------------------------------------------------------
def _clean_demo_name(errors: dict[str, list[str]], data: dict[str, Any], field: str, message: str) -> str:
    value = " ".join(str(data.get(field) or "").split())
    if not value:
        errors.setdefault(field, []).append(message)
    return value


def _clean_demo_birth_date(errors: dict[str, list[str]], value: Any) -> datetime.date | None:
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
    cleaned["birth_name"] = _clean_demo_name(errors, data, "birth_name", _("Le nom de naissance est obligatoire.")).upper()
    cleaned["birth_first_names"] = _clean_demo_name(
        errors, data, "birth_first_names", _("Au moins un prénom de naissance est obligatoire.")
    )
    cleaned["used_name"] = " ".join(str(data.get("used_name") or "").split()).upper()
    cleaned["birth_date"] = _clean_demo_birth_date(errors, data.get("birth_date"))
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


# --- Demo identity vigilance (synthetic data only) ------------------------------------------------------------
DEMO_LOCAL_AUTHORITY = "DEMO-CH-CAEN"
# Share of demo identities per RNIV status, in this order over a stable hash of the pk.
DEMO_STATUS_SHARES = (("QUAL", 40), ("VALI", 20), ("RECUP", 10), ("PROV", 30))
DEMO_DUPLICATES = 3


def demo_nir(patient: Patient, order: int) -> str:
    """A synthetic NIR consistent with the traits (sex, year, month, place) and a valid key."""
    sex = "2" if patient.sex == "F" else "1"
    place = patient.birth_place_insee or "99100"
    return v.nir_complete(f"{sex}{patient.birth_date:%y%m}{place}{order % 1000:03d}")


def _demo_status(patient: Patient) -> str:
    # A hash of the person's traits, not of the primary key: the same seed gives the same
    # statuses on every database (PostgreSQL sequences are not reset between builds).
    slot = zlib.crc32(f"{patient.birth_name}|{patient.birth_first_names}|{patient.birth_date}".encode()) % 100
    for status, share in DEMO_STATUS_SHARES:
        if slot < share:
            return status
        slot -= share
    return "PROV"


def _demo_evidence(patient: Patient, status: str) -> dict[str, Any]:
    insi = status in {"RECUP", "QUAL"}
    document = status in {"VALI", "QUAL"}
    return {
        "identity_status": status,
        "ins_matricule": demo_nir(patient, patient.pk) if insi else "",
        "ins_oid": OID_NIR_DEMO if insi else "",
        "insi_verified": insi, "insi_result": "00" if insi else "",
        "insi_called_at": timezone.now() if insi and not patient.insi_called_at else patient.insi_called_at,
        "collection_method": CollectionMethod.INSI if insi else CollectionMethod.SM,
        "document_type": DocumentType.CN if document else "", "document_high_trust": document,
    }


@transaction.atomic
def seed_demo_vigilance() -> dict[str, int]:
    """Give the demo identities RNIV statuses, demo INS (OID INS-NIR-DEMO), match keys and a few duplicates.

    Idempotent: identities that already carry a status other than PROV, or an
    INS, are left alone; duplicates are created once. Demo data only (source "demo").
    """
    counts = {"statuses": 0, "duplicates": 0}
    demo = list(Patient.objects.active().filter(source=DEMO_SOURCE).order_by("pk"))
    twins = set(LocalIdentifier.objects.filter(authority=DEMO_LOCAL_AUTHORITY).values_list("patient_id", flat=True))
    for patient in demo:
        if patient.pk in twins or patient.ins_matricule or patient.identity_status != IdentityStatus.PROV:
            continue
        values = _demo_evidence(patient, _demo_status(patient))
        if values["identity_status"] == IdentityStatus.PROV:
            values.pop("insi_called_at")
        if all(getattr(patient, key) == value for key, value in values.items()):
            continue
        for key, value in values.items():
            setattr(patient, key, value)
        patient.save()
        counts["statuses"] += 1
    _refresh_demo_keys(demo)
    counts["duplicates"] = _seed_demo_duplicates(demo)
    return counts


def _refresh_demo_keys(patients: list[Patient]) -> None:
    _replace_keys(patients)


def _seed_demo_duplicates(demo: list[Patient]) -> int:
    """Second identities of a few demo people (typo, day/month swapped, first name dropped), sent to review."""
    created = 0
    originals = [p for p in demo if p.identity_status == IdentityStatus.PROV and p.birth_date.day <= 12
                 and p.birth_date.day != p.birth_date.month and not p.used_name][:DEMO_DUPLICATES]
    for index, original in enumerate(originals):
        swapped = original.birth_date.replace(month=original.birth_date.day, day=original.birth_date.month)
        if swapped > timezone.localdate():
            continue
        variant = {
            "birth_name": original.birth_name, "birth_first_names": original.first_names[:1] or ["X"],
            "birth_date": swapped, "sex": original.sex, "birth_place_insee": original.birth_place_insee,
        }
        twin = Patient.objects.filter(source=DEMO_SOURCE, birth_name=original.birth_name, birth_date=swapped).first()
        if twin is None:
            twin = Patient.objects.create(**{**variant, "birth_first_names": " ".join(variant["birth_first_names"])},
                                          source=DEMO_SOURCE)
            LocalIdentifier.objects.get_or_create(authority=DEMO_LOCAL_AUTHORITY, value=f"IPP-DEMO-{index + 1:04d}",
                                                  defaults={"patient": twin})
            refresh_match_keys(twin)
        _, made = PotentialDuplicate.objects.get_or_create(
            patient_a=min(original, twin, key=lambda p: p.pk), patient_b=max(original, twin, key=lambda p: p.pk),
            defaults={"score": _pair_score(original, twin), "source": "demo"},
        )
        created += int(made)
    return created


def _pair_score(a: Patient, b: Patient) -> float:
    from enrs.identity import matching

    return float(matching.score(selectors.traits_of(a), selectors.traits_of(b)))
