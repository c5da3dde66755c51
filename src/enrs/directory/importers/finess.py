"""Importer of the FINESS open-data extraction ``etalab-cs1100507-stock-*.csv``.

Semicolon-separated, UTF-8 in recent extractions and latin-1 in older ones
(detected). The first line is a header record (``finess;etalab;<n>;<date>``),
then one record per line, its type in the first field:

* ``structureet``: one establishment (ET), fields in this order (data.gouv.fr
  description of the extraction): nofinesset, nofinessej, rs, rslongue, complrs,
  compldistrib, numvoie, typvoie, voie, compvoie, lieuditbp, commune,
  departement, libdepartement, ligneacheminement, telephone, telecopie,
  categetab, libcategetab, categagretab, libcategagretab, siret, codeape,
  codemft, libmft, codesph, libsph, dateouv, dateautor, datemaj, numuai
  (numuai is absent from older extractions);
* ``geolocalisation``: nofinesset, coordxet, coordyet, sourcecoordet, datemaj,
  the coordinates projected in Lambert-93 (or a local UTM overseas, see geo.py);
* any other record type is counted and ignored.

Each ``structureet`` line creates or updates the legal entity (EJ, from
nofinessej; created with a provisional name when first met, never renamed
here because the extraction does not carry EJ names) and the establishment
(ET, legal_entity = the EJ). ``commune_insee`` is the département code plus
the 3-digit commune code; Corsica keeps 2A/2B, and the overseas codes 9A-9F
and 9G-9Z of FINESS become 97x and 98x.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from enrs.core import validators as v
from enrs.directory import services
from enrs.directory.importers import geo
from enrs.directory.importers.base import FileRejected, Importer, LineRejected, Status, combine, keep_coordinates
from enrs.directory.models import ImportRun, Organisation

SOURCE = "finess"
Kind = Organisation.Kind

STRUCTUREET_FIELDS = (
    "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie", "voie",
    "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
)
GEOLOCALISATION_FIELDS = ("nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")

# FINESS establishment category (categetab, nomenclature TRE_R66-CategorieEtablissement)
# -> Organisation.Kind. Categories not listed here are stored as AUTRE, with their code
# and label kept in category_code / category_label.
CATEGORY_KINDS: dict[str, str] = {
    "101": Kind.CHU,  # Centre Hospitalier Régional (CHR, the CHU sites)
    "106": Kind.CH,  # Centre hospitalier, ex Hôpital local
    "114": Kind.CH,  # Hôpital des armées
    "292": Kind.CH,  # Centre Hospitalier Spécialisé lutte Maladies Mentales
    "355": Kind.CH,  # Centre Hospitalier (C.H.)
    "122": Kind.CLINIQUE,  # Établissement de soins obstétriques et chirurgico-gynécologiques
    "128": Kind.CLINIQUE,  # Établissement de soins chirurgicaux
    "129": Kind.CLINIQUE,  # Établissement de soins médicaux
    "365": Kind.CLINIQUE,  # Établissement de soins pluridisciplinaire
    "131": Kind.CLCC,  # Centre de Lutte Contre le Cancer
    "127": Kind.HAD,  # Hospitalisation à domicile
    "500": Kind.EHPAD,  # Établissement d'hébergement pour personnes âgées dépendantes
    "354": Kind.SSIAD,  # Service de Soins Infirmiers A Domicile
    "255": Kind.MAS,  # Maison d'Accueil Spécialisée
    "603": Kind.MSP,  # Maison de santé (L.6223-3)
    "124": Kind.CDS,  # Centre de santé
    "125": Kind.CDS,  # Centre de santé dentaire (older extractions)
    "620": Kind.PHARMACIE,  # Pharmacie d'officine
    "610": Kind.LABO,  # Laboratoire d'analyses
    "611": Kind.LABO,  # Laboratoire de biologie médicale
}

_METRO_DEPARTEMENT = re.compile(r"^(?:\d{2}|2A|2B)$")
_OVERSEAS_DEPARTEMENT = re.compile(r"^9[A-Z]$")
_CEDEX = re.compile(r"\s+CEDEX(?:\s+\d+)?$", re.IGNORECASE)


def category_kind(code: str) -> str:
    return CATEGORY_KINDS.get(code, Kind.AUTRE)


def commune_insee(departement: str, commune: str) -> str:
    """INSEE commune code from FINESS's département and 3-digit commune codes."""
    departement = departement.strip().upper()
    commune = commune.strip()
    if not commune:
        return ""
    if departement.isdigit():
        departement = departement.zfill(2)
    if commune.isdigit():
        commune = commune.zfill(3)
    if _METRO_DEPARTEMENT.match(departement):
        return departement + commune
    if _OVERSEAS_DEPARTEMENT.match(departement):
        # 9A Guadeloupe ... 9F Mayotte are the 97x départements; 9G and after the 98x
        # collectivities. The commune code already starts with the x (9A/101 -> 97101).
        return ("97" if departement <= "9F" else "98") + commune
    raise LineRejected(
        _("Code département FINESS inconnu : « %(code)s ».") % {"code": departement}, "departement"
    )


def split_routing_line(line: str) -> tuple[str, str]:
    """``"14000 CAEN CEDEX 4"`` -> ``("14000", "CAEN")``."""
    match = re.match(r"^\s*(\d{5})\s*(.*)$", line)
    if not match:
        return "", line.strip()
    return match.group(1), _CEDEX.sub("", match.group(2)).strip()


def _fields(values: list[str], names: tuple[str, ...], optional_last: bool) -> dict[str, str]:
    if len(values) == len(names) + 1 and values[-1] == "":
        values = values[:-1]  # trailing separator
    if optional_last and len(values) == len(names) - 1:
        values = [*values, ""]
    if len(values) != len(names):
        raise LineRejected(
            _("La ligne compte %(found)d champs au lieu des %(expected)d attendus pour ce type d'enregistrement.")
            % {"found": len(values), "expected": len(names)},
            incomplete=True,
        )
    return {name: value.strip() for name, value in zip(names, values)}


class FinessImporter(Importer):
    kind = ImportRun.Kind.FINESS
    encodings = ("utf-8", "latin-1")
    zip_member = re.compile(r"\.csv$", re.IGNORECASE)
    field_labels = {
        "finess": "nofinesset",
        "name": "rslongue",
        "short_name": "rs",
        "siret": "siret",
        "commune_insee": "commune",
        "postal_code": "ligneacheminement",
        "city": "ligneacheminement",
        "phone": "telephone",
        "category_code": "categetab",
        "category_label": "libcategetab",
        "latitude": "coordxet, coordyet",
        "longitude": "coordxet, coordyet",
        "legal_entity": "nofinessej",
    }

    def read_header(self, line: str) -> None:
        if line.split(";", 1)[0].strip().lower() != "finess":
            raise FileRejected(
                _(
                    "La première ligne n'est pas l'en-tête d'une extraction FINESS (« finess;etalab;… ») : "
                    "ce fichier n'est pas l'extraction des établissements FINESS."
                )
            )

    def import_line(self, line: str) -> Status | None:
        values = next(csv.reader([line], delimiter=";"))
        record = values[0].strip().lower() if values else ""
        if record == "structureet":
            return self._establishment(_fields(values[1:], STRUCTUREET_FIELDS, optional_last=True))
        if record == "geolocalisation":
            return self._geolocation(_fields(values[1:], GEOLOCALISATION_FIELDS, optional_last=False))
        return None

    def prefetch(self, staged: services.BulkUpserts, lines: list[str]) -> None:
        finess = []
        for line in lines:
            values = next(csv.reader([line], delimiter=";"), [])
            record = values[0].strip().lower() if values else ""
            if record == "structureet":
                finess += [v.compact(value) for value in values[1:3]]
            elif record == "geolocalisation":
                finess += [v.compact(value) for value in values[1:2]]
        staged.prefetch(finess=finess)

    # structureet -------------------------------------------------------------------
    def _establishment(self, row: dict[str, str]) -> Status:
        et_finess = self._finess(row["nofinesset"], "nofinesset")
        ej_finess = self._finess(row["nofinessej"], "nofinessej")
        if ej_finess == et_finess:
            raise LineRejected(_("nofinessej : l'entité juridique ne peut pas avoir le numéro de l'établissement."), "nofinessej")
        kind = category_kind(row["categetab"])
        legal_entity, ej_status = self._legal_entity(ej_finess, kind)
        data = self._establishment_data(row, et_finess, kind, legal_entity)
        result = services.upsert_organisation(keep_coordinates(data, services.find_organisation(finess=et_finess)))
        return combine(ej_status, result.status)

    def _establishment_data(self, row, finess: str, kind: str, legal_entity: Organisation) -> dict[str, Any]:
        postal_code, city = split_routing_line(row["ligneacheminement"])
        street = " ".join(part for part in (row["numvoie"], row["typvoie"], row["voie"], row["compvoie"]) if part)
        address = ", ".join(part for part in (row["compldistrib"], street, row["lieuditbp"]) if part)
        return {
            "finess": finess,
            "finess_kind": Organisation.FinessKind.ET,
            "name": row["rslongue"] or row["rs"],
            "short_name": row["rs"][:120] if row["rslongue"] and row["rs"] != row["rslongue"] else "",
            "siret": row["siret"],
            "kind": kind,
            "category_code": row["categetab"][:4],
            "category_label": row["libcategetab"][:120],
            "legal_entity": legal_entity,
            "address_line": address[:255],
            "postal_code": postal_code,
            "city": city[:120],
            "commune_insee": commune_insee(row["departement"], row["commune"]),
            "phone": re.sub(r"[\s.]", "", row["telephone"])[:20],
            "source": SOURCE,
            "active": True,
        }

    def _legal_entity(self, finess: str, kind: str) -> tuple[Organisation, Status]:
        key = ("ej", finess)
        if (known := self.recall(key, Organisation)) is not None:
            return known, "unchanged"
        existing = services.find_organisation(finess=finess)
        if existing is not None and existing.finess_kind == Organisation.FinessKind.ET:
            raise LineRejected(
                _("Le FINESS juridique %(finess)s est déjà enregistré comme établissement géographique.")
                % {"finess": finess},
                "nofinessej",
            )
        if existing is not None and existing.finess_kind == Organisation.FinessKind.EJ:
            self.remember(key, existing)
            return existing, "unchanged"
        data = {"finess": finess, "finess_kind": Organisation.FinessKind.EJ, "source": SOURCE}
        if existing is None:
            data.update(name=_("Entité juridique FINESS %(finess)s") % {"finess": finess}, kind=kind)
        else:
            data["name"] = existing.name
        result = services.upsert_organisation(data)
        self.remember(key, result.obj)
        return result.obj, result.status

    # geolocalisation ----------------------------------------------------------------
    def _geolocation(self, row: dict[str, str]) -> Status | None:
        finess = self._finess(row["nofinesset"], "nofinesset")
        if not row["coordxet"] and not row["coordyet"]:
            return None
        x, y = self._number(row["coordxet"], "coordxet"), self._number(row["coordyet"], "coordyet")
        projection = geo.projection_of(row["sourcecoordet"])
        if projection not in geo.PROJECTIONS:
            raise LineRejected(
                _("Projection inconnue « %(projection)s » : attendu LAMBERT_93 ou une projection UTM de l'outre-mer.")
                % {"projection": projection},
                "sourcecoordet",
            )
        try:
            longitude, latitude = geo.to_wgs84(x, y, geo.PROJECTIONS[projection])
        except geo.OutOfArea as exc:
            raise LineRejected(
                _("Les coordonnées (%(x)s ; %(y)s) sont hors de la zone couverte par la projection %(projection)s.")
                % {"x": row["coordxet"], "y": row["coordyet"], "projection": projection},
                "coordxet, coordyet",
            ) from exc
        establishment = services.find_organisation(finess=finess)
        if establishment is None or establishment.finess_kind != Organisation.FinessKind.ET:
            raise LineRejected(
                _("Géolocalisation d'un établissement inconnu : aucun établissement FINESS %(finess)s enregistré.")
                % {"finess": finess},
                "nofinesset",
            )
        result = services.upsert_organisation(
            {"finess": finess, "name": establishment.name, "latitude": latitude, "longitude": longitude}
        )
        return result.status

    # Helpers -----------------------------------------------------------------------
    @staticmethod
    def _finess(value: str, field: str) -> str:
        try:
            return v.validate_finess(value)
        except ValidationError as exc:
            raise LineRejected(" ".join(exc.messages), field) from exc

    @staticmethod
    def _number(value: str, field: str) -> float:
        try:
            number = float(Decimal(value.replace(",", ".")))
        except (ArithmeticError, ValueError) as exc:
            raise LineRejected(
                _("%(field)s n'est pas un nombre : « %(value)s ».") % {"field": field, "value": value}, field
            ) from exc
        return number
