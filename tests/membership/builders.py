"""Builders for the membership tests (synthetic organisations and people only)."""

from __future__ import annotations

import datetime as dt
import itertools

from enrs.access import services as access_services
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.membership import services
from enrs.membership.models import GeneralAssembly

_numbers = itertools.count(1000)
KIND_BY_CATEGORY = {
    "A_CHU": "CHU", "A_GHT": "CH", "A_OTHER": "CH", "B": "MSP", "C": "EHPAD", "D": "DAC", "E": "FEDERATION",
    "F": "PARTENAIRE",
}


def make_organisation(name: str | None = None, *, college: str = "", kind: str = "EHPAD", **extra):
    number = next(_numbers)
    data = {
        "finess": finess_complete(f"14{number:06d}"), "finess_kind": "ET", "name": name or f"Structure {number}",
        "kind": kind, "college": college, "commune_insee": "14118", "postal_code": "14000", "city": "Caen", **extra,
    }
    return directory.upsert_organisation(data).obj


def make_user(email: str, kind: str = "pro", **extra) -> User:
    return User.objects.create_user(username=email, email=email, password="mot-de-passe-solide-1", kind=kind, **extra)


def make_referent(organisation, email: str | None = None) -> User:
    user = make_user(email or f"referent{next(_numbers)}@test.invalid")
    access_services.assign_role(user, Role.ACCOUNT_REFERENT, organisation=organisation)
    return user


def make_assembly(date: dt.date = dt.date(2025, 3, 17), title: str = "Assemblée générale") -> GeneralAssembly:
    return GeneralAssembly.objects.get_or_create(date=date, defaults={"title": title})[0]


def make_member(category: str = "C", *, on: dt.date = dt.date(2025, 1, 10), admitted: GeneralAssembly | None = None, name=None):
    organisation = make_organisation(name, kind=KIND_BY_CATEGORY[category])
    member = services.apply(organisation, category=category, on=on)
    if admitted is not None:
        member = services.admit(member, admitted)
    return member


def make_practising_professional(organisation, *, last_name: str = "Synthèse", first_name: str = "Lina"):
    """A directory professional (synthetic RPPS) with an active practice situation in ``organisation``."""
    professional = directory.upsert_professional({
        "rpps": luhn_complete(f"1{next(_numbers):09d}"), "last_name": last_name, "first_name": first_name, "profession_code": "60",
    }).obj
    directory.upsert_situation(professional, organisation, {"mode": "S"})
    return professional
