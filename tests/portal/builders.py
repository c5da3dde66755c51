"""Builders for the portal and directory screen tests (synthetic data only)."""

from __future__ import annotations

import datetime as dt
import itertools

from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import Patient

_numbers = itertools.count(500)

COMMUNES = {
    "Caen": ("14118", "14000"),
    "Rouen": ("76540", "76000"),
    "Évreux": ("27229", "27000"),
}


def new_rpps() -> str:
    return luhn_complete(f"10{next(_numbers):08d}")


def new_finess(departement: str = "14") -> str:
    return finess_complete(f"{departement}{next(_numbers):06d}")


def make_organisation(name: str, *, college: str = "B", kind: str = "MSP", city: str = "Caen", **extra):
    insee, postal = COMMUNES[city]
    data = {
        "finess": new_finess(insee[:2]),
        "finess_kind": "ET",
        "name": name,
        "kind": kind,
        "college": college,
        "commune_insee": insee,
        "postal_code": postal,
        "city": city,
        **extra,
    }
    return directory.upsert_organisation(data).obj


def make_professional(first_name: str, last_name: str, *, profession_code: str = "10", **extra):
    data = {"rpps": new_rpps(), "first_name": first_name, "last_name": last_name, "profession_code": profession_code, **extra}
    return directory.upsert_professional(data).obj


def place(professional, organisation, **extra):
    return directory.upsert_situation(professional, organisation, {"mode": "L", **extra}).obj


def make_user(email: str, kind: str, **extra) -> User:
    return User.objects.create_user(username=email, email=email, password="mot-de-passe-solide-1", kind=kind, **extra)


def make_pro_user(email: str, *organisations, first_name="Hélène", last_name="Lefèvre") -> User:
    user = make_user(email, "pro")
    professional = make_professional(first_name, last_name)
    for organisation in organisations:
        place(professional, organisation, specialty_code="SM54")
    directory.link_user(professional, user)
    return user


def make_patient(user=None, *, birth_name="MARTIN", first_names="Camille Anne", birth_date=dt.date(1984, 3, 12)):
    return Patient.objects.create(
        birth_name=birth_name, birth_first_names=first_names, birth_date=birth_date, sex="F", user=user
    )
