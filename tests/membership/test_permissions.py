"""The pack/membership check plugged into core.permissions.service_open (callers unchanged)."""

from __future__ import annotations

import datetime as dt

import pytest

from enrs.access import services as access_services
from enrs.access.models import Role
from enrs.core import permissions
from enrs.membership import services
from .builders import make_assembly, make_member, make_organisation, make_user

pytestmark = pytest.mark.django_db


def test_non_member_gets_institutional_services_only():
    ehpad = make_organisation(college="C")
    assert permissions.service_open(ehpad, "annuaire")
    assert not permissions.service_open(ehpad, "tchat")


def test_pending_member_uses_the_pack_adherent_on_receipt_of_the_request():
    member = make_member("C")
    assert permissions.service_open(member.organisation, "tchat")
    assert permissions.service_open(member.organisation, "telesurveillance")
    assert not permissions.service_open(member.organisation, "ercp")  # collège C not eligible
    assert not permissions.service_open(member.organisation, "teleconsultation-avancee")  # needs the pack complémentaire


def test_pack_complementaire_opens_after_the_order_and_closes_when_it_ends():
    member = services.admit(make_member("C"), make_assembly())
    order = services.record_order(member, "pack")
    assert permissions.service_open(member.organisation, "teleconsultation-avancee")
    assert permissions.service_open(member.organisation, "estaff")
    services.end_order(order)
    assert not permissions.service_open(member.organisation, "teleconsultation-avancee")


def test_specific_contribution_needs_its_own_order():
    member = services.admit(make_member("A_OTHER"), make_assembly())
    assert not permissions.service_open(member.organisation, "emage")
    services.record_order(member, "emage")
    assert permissions.service_open(member.organisation, "emage")
    assert not permissions.service_open(member.organisation, "rramu")  # opened case by case by the agency


def test_withdrawn_member_loses_its_services():
    member = services.admit(make_member("C"), make_assembly())
    services.withdraw(member, make_assembly(dt.date(2025, 11, 27)))
    assert not permissions.service_open(member.organisation, "tchat")


def test_users_act_through_their_organisations_and_agency_sees_all():
    member = make_member("C")
    referent = make_user("ref@test.invalid")
    access_services.assign_role(referent, Role.ACCOUNT_REFERENT, organisation=member.organisation)
    assert permissions.service_open(referent, "tchat")
    outsider = make_user("out@test.invalid")
    access_services.assign_role(outsider, Role.ACCOUNT_REFERENT, organisation=make_organisation(college="C"))
    assert not permissions.service_open(outsider, "tchat")
    agency = make_user("agence@test.invalid", kind="agency")
    assert permissions.service_open(agency, "teleconsultation-avancee")
