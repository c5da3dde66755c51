"""French identifier validators shared by every service.

Each ``validate_*`` function raises ``django.core.exceptions.ValidationError``
with a French message, and each ``normalise_*`` function returns the canonical
form (digits only, upper case) so that the same number typed with spaces or
dots matches. Check-digit rules come from python-stdnum where it has them
(SIREN, SIRET, Luhn); see docs/services/directory.md for the rules whose
official text we could not read (RPPS and FINESS keys), which can be turned
off with ``ENRS_CHECK_RPPS_KEY=0`` / ``ENRS_CHECK_FINESS_KEY=0``.
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

_SEPARATORS = re.compile(r"[\s.\-/]")
FINESS_RE = re.compile(r"^(?:\d{2}|2A|2B)\d{7}$")
INSEE_COMMUNE_RE = re.compile(r"^(?:\d{2}|2A|2B)\d{3}$")
POSTAL_CODE_RE = re.compile(r"^\d{5}$")
# Département codes of metropolitan France and overseas (971-976); used to
# check the first characters of FINESS numbers and INSEE codes.
OVERSEAS_PREFIXES = ("971", "972", "973", "974", "975", "976", "977", "978", "98")


def _flag(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in {"0", "false", "no", "off"}


def compact(value: object) -> str:
    """Strip the separators people type (spaces, dots, dashes) and upper-case."""
    return _SEPARATORS.sub("", str(value or "")).upper()


def luhn_is_valid(digits: str) -> bool:
    return digits.isdigit() and luhn.is_valid(digits)


def luhn_complete(partial: str) -> str:
    """Return ``partial`` followed by its Luhn check digit (used by generators)."""
    return partial + luhn.calc_check_digit(partial)


# --- RPPS / ADELI --------------------------------------------------------------
def normalise_rpps(value: object) -> str:
    return compact(value)


def validate_rpps(value: object) -> str:
    number = normalise_rpps(value)
    if not re.fullmatch(r"\d{11}", number):
        raise ValidationError(_("Le numéro RPPS doit comporter exactement 11 chiffres."), code="rpps_format")
    if _flag("ENRS_CHECK_RPPS_KEY") and not luhn_is_valid(number):
        raise ValidationError(_("La clé de contrôle du numéro RPPS est incorrecte."), code="rpps_key")
    return number


def validate_adeli(value: object) -> str:
    # ADELI has 9 digits; the reference does not give a check-digit rule, so
    # only the format is checked (documented in docs/services/directory.md).
    number = compact(value)
    if not re.fullmatch(r"\d{9}", number):
        raise ValidationError(_("Le numéro ADELI doit comporter exactement 9 chiffres."), code="adeli_format")
    return number


def idnat_ps(*, rpps: str = "", adeli: str = "") -> str:
    """National professional identifier: ``8`` + RPPS, else ``0`` + ADELI (TRE_G08)."""
    if rpps:
        return "8" + rpps
    if adeli:
        return "0" + adeli
    raise ValidationError(_("Un professionnel doit avoir un numéro RPPS ou ADELI."), code="idnat_missing")


# --- FINESS / SIREN / SIRET ------------------------------------------------------
def _finess_key_digits(number: str) -> str:
    # Corsica's 2A/2B are read as 20 for the key (unconfirmed, see the docs).
    return "20" + number[2:] if number[:2] in {"2A", "2B"} else number


def validate_finess(value: object) -> str:
    number = compact(value)
    if not FINESS_RE.fullmatch(number):
        raise ValidationError(
            _("Le numéro FINESS doit comporter 9 caractères (2 pour le département puis 7 chiffres)."),
            code="finess_format",
        )
    if _flag("ENRS_CHECK_FINESS_KEY") and not luhn_is_valid(_finess_key_digits(number)):
        raise ValidationError(_("La clé de contrôle du numéro FINESS est incorrecte."), code="finess_key")
    return number


def finess_complete(partial8: str) -> str:
    """Complete an 8-character FINESS prefix with its key (used by generators)."""
    return partial8 + luhn.calc_check_digit(_finess_key_digits(partial8))


def validate_siren(value: object) -> str:
    number = compact(value)
    if not stdnum_siren.is_valid(number):
        raise ValidationError(_("Le numéro SIREN est invalide (9 chiffres avec clé de Luhn)."), code="siren")
    return number


def validate_siret(value: object) -> str:
    number = compact(value)
    if not stdnum_siret.is_valid(number):
        raise ValidationError(_("Le numéro SIRET est invalide (14 chiffres avec clé de contrôle)."), code="siret")
    return number


# --- Geography -------------------------------------------------------------------
def validate_insee_commune(value: object) -> str:
    """INSEE COG commune code: 2 characters of département (2A/2B for Corsica) + 3 digits.

    Codes starting with 99 designate a foreign country (used for birth places).
    """
    code = compact(value)
    if not INSEE_COMMUNE_RE.fullmatch(code):
        raise ValidationError(
            _("Le code commune INSEE doit comporter 5 caractères (ex. 14118, 2A004)."), code="insee_format"
        )
    if code.startswith("00") or code.startswith("20"):
        raise ValidationError(_("Le code commune INSEE %(code)s n'existe pas.") % {"code": code}, code="insee_unknown")
    return code


def departement_of(insee_code: str) -> str:
    """Département of a commune code: 3 characters overseas (97x), else 2."""
    return insee_code[:3] if insee_code.startswith("97") else insee_code[:2]


def validate_postal_code(value: object) -> str:
    code = compact(value)
    if not POSTAL_CODE_RE.fullmatch(code):
        raise ValidationError(_("Le code postal doit comporter 5 chiffres."), code="postal_code")
    return code


def validate_wgs84(latitude: float | None, longitude: float | None) -> None:
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        raise ValidationError(_("La latitude et la longitude vont ensemble."), code="coordinates_pair")
    if not -90 <= float(latitude) <= 90:
        raise ValidationError(_("La latitude doit être comprise entre -90 et 90."), code="latitude")
    if not -180 <= float(longitude) <= 180:
        raise ValidationError(_("La longitude doit être comprise entre -180 et 180."), code="longitude")


def validate_mssante_address(value: object) -> str:
    """MSSanté addresses are e-mail addresses in an MSSanté domain (…mssante.fr)."""
    from django.core.validators import validate_email

    address = str(value or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(_("L'adresse MSSanté n'est pas une adresse de messagerie valide."), code="mssante")
    if not address.split("@", 1)[1].endswith("mssante.fr"):
        raise ValidationError(
            _("L'adresse MSSanté doit appartenir à un domaine MSSanté (…mssante.fr)."), code="mssante_domain"
        )
    return address


# --- NIR / NIA (INS matricule) ------------------------------------------------------
# 15 characters: sex (1), year (2), month (2), birth place (5: département incl.
# 2A/2B + commune, or 99 + country), order (3), key (2). The NIA (numéro
# identifiant d'attente) "est constitué comme un NIR". Reference: fr-interop §1.1.
NIR_RE = re.compile(r"^[1278]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}$")
# 1/2 = male/female; 7/8 = provisional numbers (pages outside ANS, fr-interop §1.1).
NIR_SEX_DIGITS = {"1": "M", "2": "F", "7": "M", "8": "F"}


def normalise_nir(value: object) -> str:
    return compact(value)


def _nir_number(first13: str) -> int:
    # Corsica: 2A counts as 19 and 2B as 18 for the key (python-stdnum, fr-interop §1.1).
    return int(first13.upper().replace("2A", "19").replace("2B", "18"))


def nir_key(first13: str) -> str:
    """Control key of a NIR/NIA: 97 − (the first 13 characters as an integer mod 97), two digits."""
    return f"{97 - _nir_number(first13) % 97:02d}"


def nir_complete(first13: str) -> str:
    """The 13 first characters followed by their key (used by generators and tests)."""
    return first13.upper() + nir_key(first13)


def validate_nir(value: object, *, label: str = "") -> str:
    """Validate a NIR or NIA (format and key); return its 15-character canonical form."""
    number = normalise_nir(value)
    label = label or _("Le matricule INS (NIR ou NIA)")
    if len(number) != 15:
        raise ValidationError(
            _("%(label)s doit comporter 15 caractères (13 plus la clé de 2 chiffres).") % {"label": label},
            code="nir_length",
        )
    if not NIR_RE.fullmatch(number):
        raise ValidationError(
            _("%(label)s est mal formé : sexe 1, 2, 7 ou 8, puis des chiffres (2A ou 2B permis pour la Corse).")
            % {"label": label},
            code="nir_format",
        )
    if nir_key(number[:13]) != number[13:]:
        raise ValidationError(_("%(label)s a une clé de contrôle incorrecte.") % {"label": label}, code="nir_key")
    return number


def nir_is_valid(value: object) -> bool:
    try:
        validate_nir(value)
    except ValidationError:
        return False
    return True
