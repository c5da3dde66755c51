"""Importer of the Annuaire Santé public extraction ``PS_LibreAcces_Personne_activite_*.txt``.

The file is UTF-8, pipe-separated, with a header line; each line is one
professional and one practice situation ("activité") in a structure. Columns
are found by their header name, compared without case, extra spaces or curly
apostrophes, so extra or reordered columns are accepted and the small
spelling variants between extraction versions ("(coord. Structure)") match.

Mapping (column -> directory):

* ``Type d'identifiant PP`` 8 = RPPS, 0 = ADELI; ``Identifiant PP`` is the number;
* ``Code civilité d'exercice`` (DR, PR), else ``Code civilité`` (M, MME): title;
* ``Nom d'exercice``, ``Prénom d'exercice``, ``Code profession`` (TRE_G15),
  ``Code catégorie professionnelle``: the professional;
* the structure: by ``Numéro FINESS site`` when given, else by
  ``Numéro SIRET site`` + ``Raison sociale site`` (``services.upsert_organisation``).
  A structure already known from another source (FINESS import, manual entry)
  is linked, never overwritten by the Annuaire's site data;
* ``Code savoir-faire`` / ``Libellé savoir-faire``: specialty;
  ``Code mode exercice`` (L, S, B): mode; ``Code rôle`` (or ``Code fonction`` in
  older extractions): role; ``Identifiant technique de la structure``: the
  situation's external id; telephone and e-mail of the structure coordinates:
  the situation's contact.

A line without any structure (no FINESS, SIRET or name) imports the
professional only. Known limit: structures with neither FINESS nor SIRET are
keyed by their name alone, so two such cabinets with the same name merge.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from enrs.core import validators as v
from enrs.directory import services
from enrs.directory.importers.base import FileRejected, Importer, LineRejected, Status, combine, keep_coordinates
from enrs.directory.models import ImportRun, Organisation, PracticeSituation, Professional

SOURCE = "annuaire"
FRANCE_COUNTRY_CODES = {"", "99100"}  # TRE_R20: 99100 is France

# Logical field -> accepted header names (first found wins).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id_type": ("Type d'identifiant PP",),
    "id": ("Identifiant PP",),
    "title_practice": ("Code civilité d'exercice",),
    "title": ("Code civilité",),
    "last_name": ("Nom d'exercice",),
    "first_name": ("Prénom d'exercice",),
    "profession": ("Code profession",),
    "category": ("Code catégorie professionnelle",),
    "specialty_code": ("Code savoir-faire",),
    "specialty_label": ("Libellé savoir-faire",),
    "mode": ("Code mode exercice",),
    "siret": ("Numéro SIRET site",),
    "finess": ("Numéro FINESS site",),
    "technical_id": ("Identifiant technique de la structure",),
    "name": ("Raison sociale site",),
    "brand": ("Enseigne commerciale site",),
    "street_number": ("Numéro Voie (coord. structure)",),
    "street_repeat": ("Indice répétition voie (coord. structure)",),
    "street_type": ("Libellé type de voie (coord. structure)", "Code type de voie (coord. structure)"),
    "street": ("Libellé Voie (coord. structure)",),
    "distribution": ("Mention distribution (coord. structure)",),
    "cedex": ("Bureau cedex (coord. structure)",),
    "postal_code": ("Code postal (coord. structure)",),
    "commune": ("Code commune (coord. structure)",),
    "city": ("Libellé commune (coord. structure)", "Libellé commune"),
    "country": ("Code pays (coord. structure)",),
    "phone": ("Téléphone (coord. structure)",),
    "email": ("Adresse e-mail (coord. structure)",),
    "role_code": ("Code rôle", "Code fonction"),
    "role_label": ("Libellé rôle", "Libellé fonction"),
}
MODES = frozenset(PracticeSituation.Mode.values)
REQUIRED = ("id_type", "id", "last_name", "first_name", "profession", "mode", "siret", "finess", "technical_id", "name")


def normalise_header(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").split()).casefold()


class AnnuaireImporter(Importer):
    kind = ImportRun.Kind.ANNUAIRE
    zip_member = re.compile(r"Personne_activite.*\.txt$", re.IGNORECASE)
    field_labels = {
        "rpps": "Identifiant PP",
        "adeli": "Identifiant PP",
        "idnat_ps": "Identifiant PP",
        "title": "Code civilité d'exercice",
        "last_name": "Nom d'exercice",
        "first_name": "Prénom d'exercice",
        "profession_code": "Code profession",
        "profession_label": "Libellé profession",
        "category_code": "Code catégorie professionnelle",
        "finess": "Numéro FINESS site",
        "siret": "Numéro SIRET site",
        "name": "Raison sociale site",
        "short_name": "Enseigne commerciale site",
        "address_line": "Libellé Voie (coord. structure)",
        "postal_code": "Code postal (coord. structure)",
        "commune_insee": "Code commune (coord. structure)",
        "city": "Libellé commune (coord. structure)",
        "mode": "Code mode exercice",
        "specialty_code": "Code savoir-faire",
        "specialty_label": "Libellé savoir-faire",
        "role_code": "Code rôle",
        "role_label": "Libellé rôle",
        "external_id": "Identifiant technique de la structure",
        "phone": "Téléphone (coord. structure)",
        "email": "Adresse e-mail (coord. structure)",
    }

    def read_header(self, line: str) -> None:
        names = [normalise_header(name) for name in line.split("|")]
        self.width = len(names)
        positions = {name: index for index, name in reversed(list(enumerate(names))) if name}
        self.positions: dict[str, int] = {}
        for field, headers in COLUMNS.items():
            for header in headers:
                if normalise_header(header) in positions:
                    self.positions[field] = positions[normalise_header(header)]
                    break
        missing = [COLUMNS[field][0] for field in REQUIRED if field not in self.positions]
        if missing:
            raise FileRejected(
                _(
                    "Colonnes obligatoires absentes de l'en-tête : %(columns)s. Ce fichier n'est pas une extraction "
                    "PS_LibreAcces_Personne_activite de l'Annuaire Santé (colonnes séparées par « | »)."
                )
                % {"columns": ", ".join(f"« {name} »" for name in missing)}
            )

    # One line ---------------------------------------------------------------------
    def import_line(self, line: str) -> Status | None:
        row = self._row(line)
        professional, professional_status = self._professional(row)
        organisation, organisation_status = self._structure(row)
        if organisation is None:
            return professional_status
        situation = services.upsert_situation(professional, organisation, self._situation_data(row))
        return combine(professional_status, organisation_status, situation.status)

    def prefetch(self, staged: services.BulkUpserts, lines: list[str]) -> None:
        at = self.positions
        idnat_ps, finess, named = [], [], []
        for line in lines:
            values = line.split("|")
            if len(values) != self.width:
                continue
            if (id_type := values[at["id_type"]].strip()) in ("8", "0"):
                idnat_ps.append(id_type + v.compact(values[at["id"]]))
            if site := values[at["finess"]].strip():
                finess.append(v.compact(site))
            elif name := values[at["name"]].strip() or (values[at["brand"]].strip() if "brand" in at else ""):
                named.append((v.compact(values[at["siret"]]), name))
        staged.prefetch(idnat_ps=idnat_ps, finess=finess, named=named)

    def _row(self, line: str) -> dict[str, str]:
        values = line.split("|")
        if len(values) != self.width:
            raise LineRejected(
                _("La ligne compte %(found)d colonnes au lieu des %(expected)d annoncées par l'en-tête.")
                % {"found": len(values), "expected": self.width},
                incomplete=True,
            )
        return {field: values[index].strip() for field, index in self.positions.items()}

    def _professional(self, row: dict[str, str]) -> tuple[Professional, Status]:
        key = ("professional", row["id_type"], row["id"])
        if (known := self.recall(key, Professional)) is not None:
            return known, "unchanged"
        data: dict[str, Any] = {
            "title": self._title(row),
            "last_name": row["last_name"],
            "first_name": row["first_name"],
            "profession_code": row["profession"],
            "category_code": row.get("category", "")[:2],
            "source": SOURCE,
            "active": True,
        }
        if row["id_type"] == "8":
            data["rpps"] = row["id"]
        elif row["id_type"] == "0":
            data["adeli"] = row["id"]
        else:
            raise LineRejected(
                _("Type d'identifiant PP inconnu : « %(type)s » (attendu : 8 pour un RPPS, 0 pour un ADELI).")
                % {"type": row["id_type"]},
                "Type d'identifiant PP",
            )
        result = services.upsert_professional(data)
        self.remember(key, result.obj)
        return result.obj, result.status

    @staticmethod
    def _title(row: dict[str, str]) -> str:
        practice, civil = row.get("title_practice", "").upper(), row.get("title", "").upper()
        if practice in (Professional.Title.DR, Professional.Title.PR):
            return practice
        return civil if civil in (Professional.Title.M, Professional.Title.MME) else ""

    # Structure ------------------------------------------------------------------------
    def _structure(self, row: dict[str, str]) -> tuple[Organisation | None, Status]:
        name = row["name"] or row.get("brand", "")
        if row["finess"]:
            # A structure met on an earlier line had its number validated then (validators
            # return the compact form, which is the memo key): skip the costly check.
            if (known := self.recall(("finess", v.compact(row["finess"])), Organisation)) is not None:
                return known, "unchanged"
            finess = self._checked(v.validate_finess, row["finess"], "Numéro FINESS site")
            return self._organisation(("finess", finess), {"finess": finess}, row, name, finess=finess)
        if not (row["siret"] or name):
            return None, "unchanged"
        if (known := self.recall(("siret", v.compact(row["siret"]), name), Organisation)) is not None:
            return known, "unchanged"
        siret = self._checked(v.validate_siret, row["siret"], "Numéro SIRET site") if row["siret"] else ""
        if not name:
            raise LineRejected(
                _("La raison sociale du site est obligatoire pour une structure sans numéro FINESS."),
                "Raison sociale site",
            )
        return self._organisation(("siret", siret, name), {"finess": None, "siret": siret, "name": name}, row, name)

    def _organisation(self, key, lookup, row, name, *, finess: str = "") -> tuple[Organisation, Status]:
        if (known := self.recall(key, Organisation)) is not None:
            return known, "unchanged"
        existing = services.find_organisation(**lookup)
        if existing is not None and existing.source != SOURCE:
            self.remember(key, existing)
            return existing, "unchanged"
        if not name:
            raise LineRejected(_("La raison sociale du site est absente."), "Raison sociale site")
        data = self._site_data(row, name)
        if finess:
            data.update(finess=finess, finess_kind=Organisation.FinessKind.ET)
        result = services.upsert_organisation(keep_coordinates(data, existing))
        self.remember(key, result.obj)
        return result.obj, result.status

    def _site_data(self, row: dict[str, str], name: str) -> dict[str, Any]:
        brand = row.get("brand", "")
        street = " ".join(
            part for part in (row.get(k, "") for k in ("street_number", "street_repeat", "street_type", "street")) if part
        )
        data: dict[str, Any] = {
            "name": name,
            "short_name": brand[:120] if brand and brand != name else "",
            "siret": row["siret"],
            "address_line": (street or row.get("distribution", ""))[:255],
            "city": (row.get("city") or re.sub(r"^\d{5}\s*", "", row.get("cedex", "")))[:120],
            "source": SOURCE,
        }
        # Foreign addresses carry foreign postcodes: only French ones are validated and kept.
        if row.get("country", "") in FRANCE_COUNTRY_CODES:
            data["postal_code"] = row.get("postal_code", "")
            data["commune_insee"] = row.get("commune", "")
        return data

    # Practice situation ----------------------------------------------------------------
    def _situation_data(self, row: dict[str, str]) -> dict[str, Any]:
        email = row.get("email", "")
        if email:
            self._checked(validate_email, email, "Adresse e-mail (coord. structure)")
        mode = row["mode"].upper()
        return {
            "external_id": row["technical_id"][:64],
            "mode": mode if mode in MODES else "",
            "role_code": row.get("role_code", "")[:8],
            "role_label": row.get("role_label", "")[:120],
            "specialty_code": row.get("specialty_code", "")[:10],
            "specialty_label": row.get("specialty_label", "")[:120],
            "phone": re.sub(r"[\s.]", "", row.get("phone", ""))[:20],
            "email": email,
            "source": SOURCE,
            "active": True,
        }

    @staticmethod
    def _checked(validator, value: str, label: str):
        try:
            result = validator(value)
        except ValidationError as exc:
            raise LineRejected(" ".join(exc.messages), label) from exc
        return value if result is None else result

