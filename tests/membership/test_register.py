"""Register transitions: application, admission by a general assembly, withdrawal, merger, renaming."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from enrs.membership import selectors, services
from enrs.membership.models import Member, Movement
from .builders import make_assembly, make_member, make_organisation

pytestmark = pytest.mark.django_db
AG_MARCH = dt.date(2025, 3, 17)
AG_NOV = dt.date(2025, 11, 27)


def test_application_is_pending_and_sets_the_directory_college():
    organisation = make_organisation("EHPAD Les Tilleuls de Synthèse", kind="EHPAD")
    member = services.apply(organisation, category="C", on=dt.date(2025, 1, 5))
    organisation.refresh_from_db()
    assert member.status == Member.Status.PENDING and member.college == "C" and organisation.college == "C"
    assert [m.kind for m in selectors.history(member)] == [Movement.Kind.APPLICATION]
    assert selectors.counts_by_college(dt.date(2025, 12, 31))["C"] == 0  # pending is not counted


def test_admission_needs_a_general_assembly():
    member = make_member("C")
    with pytest.raises(ValidationError, match="assemblée générale"):
        services.admit(member, None)
    member.refresh_from_db()
    assert member.status == Member.Status.PENDING and not member.movements.filter(kind="admission").exists()


def test_admission_by_an_assembly():
    assembly = make_assembly(AG_MARCH)
    member = services.admit(make_member("C"), assembly)
    assert member.status == Member.Status.MEMBER and member.admitted_on == AG_MARCH
    assert selectors.counts_by_college(AG_MARCH)["C"] == 1
    assert selectors.counts_by_college(AG_MARCH - dt.timedelta(days=1))["C"] == 0
    assert list(selectors.assembly_movements(assembly).values_list("kind", flat=True)) == ["admission"]


def test_assembly_before_the_application_is_refused():
    member = make_member("B", on=dt.date(2025, 4, 1))
    with pytest.raises(ValidationError, match="précède la demande"):
        services.admit(member, make_assembly(AG_MARCH))


def test_only_pending_applications_are_admitted_and_no_double_application():
    assembly = make_assembly(AG_MARCH)
    member = services.admit(make_member("B"), assembly)
    with pytest.raises(ValidationError, match="en attente"):
        services.admit(member, assembly)
    with pytest.raises(ValidationError, match="déjà adhérente"):
        services.apply(member.organisation, category="B")


def test_unknown_category_and_college_mismatch_are_refused():
    organisation = make_organisation(college="A", kind="CH")
    with pytest.raises(ValidationError, match="Catégorie d'adhérent inconnue"):
        services.apply(organisation, category="Z")
    with pytest.raises(ValidationError, match="collège A dans l'annuaire"):
        services.apply(organisation, category="C")
    assert not Member.objects.exists()


def test_closed_organisation_cannot_apply():
    with pytest.raises(ValidationError, match="fermée"):
        services.apply(make_organisation(active=False), category="C")


def test_withdrawal_needs_an_assembly_and_leaves_the_register():
    member = services.admit(make_member("C"), make_assembly(AG_MARCH))
    with pytest.raises(ValidationError, match="assemblée générale"):
        services.withdraw(member, None)
    member = services.withdraw(member, make_assembly(AG_NOV), reason="fermeture")
    assert member.status == Member.Status.WITHDRAWN and member.left_on == AG_NOV
    assert selectors.counts_by_college(AG_NOV)["C"] == 0 and selectors.counts_by_college(AG_NOV - dt.timedelta(1))["C"] == 1
    # The organisation may apply again later: the old membership stays in the history.
    again = services.apply(member.organisation, category="C", on=dt.date(2026, 1, 2))
    assert again.pk != member.pk and again.status == Member.Status.PENDING


def test_merger_absorption_with_renaming():
    march, november = make_assembly(AG_MARCH), make_assembly(AG_NOV)
    absorbing = services.admit(make_member("A_OTHER", name="CH du Littoral"), march)
    absorbed = services.admit(make_member("A_OTHER", name="CH du Bocage"), march)
    result = services.merge(absorbed, absorbing, november, new_name="Hôpitaux du Littoral et du Bocage")
    absorbed.refresh_from_db()
    assert absorbed.status == Member.Status.ABSORBED and absorbed.absorbed_by_id == absorbing.pk
    assert result.name == "Hôpitaux du Littoral et du Bocage"
    kinds = list(selectors.history(result).values_list("kind", "old_value", "new_value"))
    assert kinds[-2][0] == "merger" and kinds[-1] == ("renaming", "CH du Littoral", "Hôpitaux du Littoral et du Bocage")
    figures = selectors.year_figures(2025)
    assert figures.withdrawals["A"] == 1 and figures.members["A"] == 1 and figures.mergers == 1 and figures.renamings == 1


def test_merge_errors():
    march = make_assembly(AG_MARCH)
    member = services.admit(make_member("B"), march)
    with pytest.raises(ValidationError, match="lui-même"):
        services.merge(member, member, march)
    with pytest.raises(ValidationError, match="absorbant"):
        services.merge(member, make_member("B"), march)


def test_renaming_keeps_history_and_refuses_blank_or_same_name():
    member = make_member("D", name="Réseau Alpha")
    with pytest.raises(ValidationError, match="obligatoire"):
        services.rename(member, "  ")
    with pytest.raises(ValidationError, match="identique"):
        services.rename(member, "Réseau Alpha")
    member = services.rename(member, "Réseau Alpha Santé", on=dt.date(2025, 2, 1))
    assert member.name == "Réseau Alpha Santé"
    assert member.movements.get(kind="renaming").old_value == "Réseau Alpha"


def test_history_rows_are_append_only():
    movement = make_member("C").movements.get()
    movement.note = "modifié"
    with pytest.raises(ValueError):
        movement.save()


def test_refusal_by_assembly():
    member = services.refuse(make_member("F"), make_assembly(AG_MARCH), reason="hors région")
    assert member.status == Member.Status.REFUSED and not member.is_live
