"""Demo data of the membership app, called by ``enrs demo`` (idempotent, synthetic only).

A few organisations of the demo region become members (admitted by a demo general
assembly), one EHPAD stays pending, and the CH of the "référent de comptes" persona
gets a quote for the pack complémentaire. Running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from enrs.membership import services
from enrs.membership.models import GeneralAssembly, Member

DEMO_ASSEMBLY_DATE = dt.date(2025, 3, 17)
APPLIED_ON = dt.date(2025, 1, 15)
PER_COLLEGE = 3


def _category(organisation) -> str:
    if organisation.college != "A":
        return organisation.college
    return "A_CHU" if organisation.kind == "CHU" else "A_OTHER"


def _assembly() -> GeneralAssembly:
    assembly = GeneralAssembly.objects.filter(date=DEMO_ASSEMBLY_DATE).first()
    return assembly or services.create_assembly(
        date=DEMO_ASSEMBLY_DATE, title="Assemblée générale de démonstration",
        agenda="Approbation des comptes ; admissions et retraits ; montant de l'apport en capital.",
        decisions="Admissions des structures de démonstration.",
    )


def build_demo_membership(organisations: Iterable, *, always: Iterable = ()) -> list[str]:
    """Statuses ("created"/"unchanged") of the demo memberships, for the demo summary.

    ``always``: organisations that must be members whatever the per-collège quota
    (where the demo personas practise, so that their home shows their services).
    """
    services.load_reference_tariffs()
    assembly = _assembly()
    forced = {o.pk for o in always}
    eligible = [o for o in organisations if o.college and o.kind != "GHT" and o.active]
    candidates = sorted(eligible, key=lambda o: (o.pk not in forced, o.name))
    statuses, per_college = [], {}
    for organisation in candidates:
        if organisation.pk not in forced and per_college.get(organisation.college, 0) >= PER_COLLEGE:
            continue
        per_college[organisation.college] = per_college.get(organisation.college, 0) + 1
        if Member.objects.filter(organisation=organisation).exists():
            statuses.append("unchanged")
            continue
        member = services.apply(organisation, category=_category(organisation), on=APPLIED_ON)
        pending = organisation.kind == "EHPAD" and not Member.objects.filter(status="pending").exclude(pk=member.pk).exists()
        if not pending:
            member = services.admit(member, assembly)
        statuses.append("created")
    _demo_quote()
    return statuses


def _demo_quote() -> None:
    member = Member.objects.filter(status="member", college="A").order_by("name").first()
    if member is None or member.documents.exists():
        return
    services.request_quote(member, [services.Item("pack", quantity=1, months=12)], on=DEMO_ASSEMBLY_DATE)
