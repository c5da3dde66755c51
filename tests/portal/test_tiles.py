"""Tile selection: which services each collège sees, and the "Bientôt disponible" group."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.core.models import Service
from enrs.portal import selectors

from .builders import make_organisation, make_pro_user, make_professional, make_user, place

pytestmark = pytest.mark.django_db

# Institutional professional services plus the public ones (audience "public").
INSTITUTIONAL = {"annuaire", "ror", "trouver-un-soin"}


def codes_for(user) -> set[str]:
    context = selectors.professional_context(user)
    return {s.code for s in selectors.professional_services(user, context.organisations)}


def test_college_c_sees_telesurveillance_but_not_erdv():
    user = make_pro_user("c@test.invalid", make_organisation("EHPAD du Parc", college="C", kind="EHPAD"))
    codes = codes_for(user)
    assert "telesurveillance" in codes and "estaff" in codes
    assert "erdv" not in codes and "oru" not in codes and "ercp" not in codes


def test_college_a_sees_the_emergency_observatory():
    user = make_pro_user("a@test.invalid", make_organisation("CH de Bayeux", college="A", kind="CH"))
    codes = codes_for(user)
    assert {"oru", "normantibio", "erdv", "ercp"} <= codes


def test_organisation_without_college_gets_only_institutional_services():
    user = make_pro_user("x@test.invalid", make_organisation("Cabinet non adhérent", college=""))
    assert codes_for(user) == INSTITUTIONAL


def test_colleges_of_several_organisations_add_up():
    user = make_pro_user(
        "bc@test.invalid",
        make_organisation("MSP de la Côte", college="B"),
        make_organisation("EHPAD Le Verger", college="C", kind="EHPAD"),
    )
    codes = codes_for(user)
    assert "erdv" in codes and "telesurveillance" in codes and "oru" not in codes


def test_ended_practice_situation_no_longer_opens_services():
    user = make_user("ancien@test.invalid", "pro")
    professional = make_professional("Paul", "Ancien")
    place(professional, make_organisation("CH d'Avranches", college="A", kind="CH"), active=False)
    professional.user = user
    professional.save()
    assert codes_for(user) == INSTITUTIONAL


def test_closed_organisation_no_longer_opens_services():
    closed = make_organisation("Clinique fermée", college="A", kind="CLINIQUE", active=False)
    user = make_pro_user("ferme@test.invalid", closed)
    assert codes_for(user) == INSTITUTIONAL


def test_disabled_service_is_hidden():
    Service.objects.filter(code="telesurveillance").update(enabled=False)
    user = make_pro_user("c2@test.invalid", make_organisation("EHPAD des Pins", college="C", kind="EHPAD"))
    assert "telesurveillance" not in codes_for(user)


def test_agency_sees_all_professional_services_and_no_patient_service():
    codes = codes_for(make_user("agence@test.invalid", "agency"))
    expected = set(Service.objects.filter(audience__in=["pro", "public"], enabled=True).values_list("code", flat=True))
    assert codes == expected
    assert "mes-rendez-vous" not in codes


def test_patient_tiles_are_patient_and_public_services():
    tiles = selectors.patient_tiles()
    codes = {t.code for t in tiles.available + tiles.upcoming}
    assert codes == {"mes-rendez-vous", "mes-documents", "mes-messages", "mes-teleconsultations", "trouver-un-soin"}


def test_group_tiles_puts_services_without_url_in_upcoming():
    # A service without a screen (Téléconsultation before the video part of issue 8).
    Service.objects.filter(code="teleconsultation").update(url_name="")
    services = list(Service.objects.filter(code__in=["annuaire", "teleconsultation"]))
    groups = selectors.group_tiles(services)
    assert [t.code for t in groups.available] == ["annuaire"]
    assert groups.available[0].url == reverse("directory:search")
    assert [t.code for t in groups.upcoming] == ["teleconsultation"]


def test_service_with_an_unknown_route_is_upcoming_not_an_error():
    Service.objects.filter(code="coordination").update(url_name="coordination:nexiste-pas")
    groups = selectors.group_tiles(Service.objects.filter(code="coordination"))
    assert groups.available == [] and [t.code for t in groups.upcoming] == ["coordination"]


def test_home_renders_online_tiles_as_links_and_upcoming_ones_in_their_own_group(client):
    from enrs.membership import services as membership
    from enrs.membership.models import Category

    msp = make_organisation("MSP du Lac", college="B")
    membership.apply(msp, category=Category.CITY)  # a (pending) member: pack adhérent services are open
    client.force_login(make_pro_user("b@test.invalid", msp))
    html = client.get(reverse("portal:pro_home")).content.decode()
    available, _sep, upcoming = html.partition('id="tiles-upcoming"')
    assert 'data-service="annuaire"' in available
    assert f'<a class="tile__link" href="{reverse("directory:search")}">Annuaire santé</a>' in available
    assert "Bientôt disponible" in upcoming
    erdv = upcoming[upcoming.index('data-service="erdv"'):]
    erdv = erdv[: erdv.index("</li>")]
    assert "<a " not in erdv and "e-RDV" in erdv
    assert 'data-service="oru"' not in html  # collège A only


def test_services_not_subscribed_go_to_the_subscribe_group_until_membership():
    """Collège C may take the pack adhérent services; the membership check decides the group."""
    from enrs.membership import services as membership
    from enrs.membership.models import Category

    ehpad = make_organisation("EHPAD Les Tilleuls", college="C", kind="EHPAD")
    user = make_pro_user("tilleuls@test.invalid", ehpad)
    adherent = set(Service.objects.filter(obtained_by=Service.Obtained.PACK_ADHERENT, audience="pro").values_list("code", flat=True))
    eligible = codes_for(user) & adherent
    assert eligible, "collège C must be eligible to some pack adhérent service"

    def grouped():
        tiles = selectors.professional_tiles(user, selectors.professional_context(user).organisations)
        return {t.code for t in tiles.available + tiles.upcoming}, {t.code for t in tiles.to_subscribe}

    shown, to_subscribe = grouped()
    assert eligible <= to_subscribe and not (eligible & shown)
    membership.apply(ehpad, category=Category.MEDICO_SOCIAL)  # pending: services start on receipt
    shown, to_subscribe = grouped()
    assert eligible <= shown and not (eligible & to_subscribe)
