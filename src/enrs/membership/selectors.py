"""Reads of the membership app: register, figures, tariffs in force, catalogue, who may act."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from enrs.access import selectors as access_selectors
from enrs.access.models import Role
from enrs.core.models import COLLEGE_CHOICES, Service
from enrs.core.text import contains_regex
from enrs.directory import selectors as directory_selectors
from enrs.membership.models import (
    AccountRequest,
    Document,
    DocumentKind,
    DocumentLine,
    GeneralAssembly,
    Member,
    Movement,
    Product,
    ServiceOrder,
    Tariff,
    TariffKind,
)

COLLEGE_CODES = [code for code, _label in COLLEGE_CHOICES]


# --- Who may act --------------------------------------------------------------------------------
def is_agency_admin(user) -> bool:
    return access_selectors.has_role(user, Role.AGENCY_ADMIN)


def referent_organisation_ids(user) -> set[int]:
    """Organisations whose accounts ``user`` manages (active account-referent assignments)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    rows = access_selectors.assignments_of(user).filter(role=Role.ACCOUNT_REFERENT).exclude(organisation=None)
    return set(rows.values_list("organisation_id", flat=True))


def is_account_referent(user, organisation_id: int) -> bool:
    return organisation_id in referent_organisation_ids(user)


def can_act_for(user, member: Member) -> bool:
    """The agency administrators and the member's account referent."""
    return is_agency_admin(user) or is_account_referent(user, member.organisation_id)


def organisation_ids_of_user(user) -> set[int]:
    """Organisations a user works for: practice situations and role assignments."""
    professional = directory_selectors.professional_of_user(user)
    ids = {o.pk for o in directory_selectors.organisations_of(professional)}
    assigned = access_selectors.assignments_of(user).exclude(organisation=None).values_list("organisation_id", flat=True)
    return ids | set(assigned)


def referent_organisations(user):
    from enrs.directory.models import Organisation

    return Organisation.objects.filter(pk__in=referent_organisation_ids(user), active=True).order_by("name")


# --- Register ------------------------------------------------------------------------------------
def live_members_of(organisation_ids) -> QuerySet[Member]:
    return Member.objects.filter(organisation_id__in=organisation_ids, status__in=Member.ACTIVE_STATUSES)


def live_member_of(organisation_id: int) -> Member | None:
    return live_members_of([organisation_id]).first()


def members_of_user(user) -> QuerySet[Member]:
    """Memberships the user may manage (as account referent), live or not."""
    return Member.objects.filter(organisation_id__in=referent_organisation_ids(user)).select_related("organisation")


def members_at(at: dt.date) -> QuerySet[Member]:
    """Members of the register on date ``at``: admitted on or before it and not yet gone."""
    return Member.objects.filter(admitted_on__lte=at).filter(Q(left_on__isnull=True) | Q(left_on__gt=at))


def counts_by_college(at: dt.date) -> dict[str, int]:
    counts = Counter(members_at(at).values_list("college", flat=True))
    return {college: counts.get(college, 0) for college in COLLEGE_CODES}


def register(college: str = "", at: dt.date | None = None) -> QuerySet[Member]:
    rows = members_at(at) if at else Member.objects.filter(status=Member.Status.MEMBER)
    if college:
        rows = rows.filter(college=college)
    return rows.select_related("organisation", "admission_assembly").order_by("college", "name")


def pending_applications() -> QuerySet[Member]:
    return Member.objects.filter(status=Member.Status.PENDING).select_related("organisation").order_by("applied_on", "name")


def history(member: Member) -> QuerySet[Movement]:
    return member.movements.select_related("assembly", "other_member").order_by("date", "pk")


def assemblies() -> QuerySet[GeneralAssembly]:
    return GeneralAssembly.objects.order_by("-date")


def assembly_movements(assembly: GeneralAssembly) -> QuerySet[Movement]:
    return assembly.movements.select_related("member").order_by("kind", "member__name")


# --- Activity report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class YearFigures:
    year: int
    at: dt.date
    members: dict[str, int]
    admissions: dict[str, int]
    withdrawals: dict[str, int]
    renamings: int = 0
    mergers: int = 0
    colleges: list[str] = field(default_factory=lambda: list(COLLEGE_CODES))

    @property
    def total_members(self) -> int:
        return sum(self.members.values())

    @property
    def total_admissions(self) -> int:
        return sum(self.admissions.values())

    @property
    def total_withdrawals(self) -> int:
        return sum(self.withdrawals.values())

    def rows(self):
        return [(c, self.members[c], self.admissions[c], self.withdrawals[c]) for c in self.colleges]


def _by_college(values) -> dict[str, int]:
    counts = Counter(values)
    return {college: counts.get(college, 0) for college in COLLEGE_CODES}


def year_figures(year: int, at: dt.date | None = None) -> YearFigures:
    """The report's figures: members per collège at ``at`` (the year's last assembly, else 31 Dec),
    admissions and withdrawals (mergers included: the absorbed member leaves) during the year."""
    if at is None:
        last_assembly = GeneralAssembly.objects.filter(date__year=year).order_by("-date").first()
        at = last_assembly.date if last_assembly else dt.date(year, 12, 31)
    admitted = Member.objects.filter(admitted_on__year=year).values_list("college", flat=True)
    left = Member.objects.filter(
        left_on__year=year, status__in=[Member.Status.WITHDRAWN, Member.Status.ABSORBED]
    ).values_list("college", flat=True)
    movements = Movement.objects.filter(date__year=year)
    return YearFigures(
        year=year, at=at, members=counts_by_college(at), admissions=_by_college(admitted), withdrawals=_by_college(left),
        renamings=movements.filter(kind=Movement.Kind.RENAMING).count(),
        mergers=movements.filter(kind=Movement.Kind.MERGER, member__status=Member.Status.ABSORBED).count(),
    )


# --- Tariffs ---------------------------------------------------------------------------------------
def tariff_in_force(kind: str, category: str, unit: str | None, on: dt.date) -> Tariff:
    rows = Tariff.objects.filter(kind=kind, category=category, effective_from__lte=on).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=on)
    )
    if unit:
        rows = rows.filter(unit=unit)
    tariff = rows.order_by("-effective_from").first()
    if tariff is None:
        raise ValidationError({"product": [
            _("Aucun tarif « %(kind)s » en vigueur le %(date)s pour la catégorie « %(category)s ».")
            % {"kind": TariffKind(kind).label, "date": on.strftime("%d/%m/%Y"), "category": category or "—"}
        ]})
    return tariff


def tariffs_in_force(on: dt.date) -> QuerySet[Tariff]:
    return Tariff.objects.filter(effective_from__lte=on).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=on)
    ).order_by("kind", "category", "unit")


def all_tariffs() -> QuerySet[Tariff]:
    return Tariff.objects.order_by("kind", "category", "unit", "effective_from")


# --- Documents -----------------------------------------------------------------------------------
def documents_of(member: Member) -> QuerySet[Document]:
    return member.documents.filter(status=Document.Status.ISSUED).order_by("-issued_on", "-pk")


def document_lines(document: Document) -> QuerySet[DocumentLine]:
    return document.lines.order_by("position")


def capital_called(member: Member) -> bool:
    """Whether an issued, uncancelled call of this member already asked for the capital contribution."""
    calls = Document.objects.filter(
        member=member, kind=DocumentKind.CALL, status=Document.Status.ISSUED, credit_notes__isnull=True
    )
    return DocumentLine.objects.filter(document__in=calls, product=Product.CAPITAL).exists()


def contribution_call_of(member: Member, year: int) -> Document | None:
    return Document.objects.filter(
        member=member, kind=DocumentKind.CALL, period_year=year, status=Document.Status.ISSUED, credit_notes__isnull=True
    ).first()


def active_orders(member_ids, product: str | None = None) -> QuerySet[ServiceOrder]:
    rows = ServiceOrder.objects.filter(member_id__in=member_ids, ended_on__isnull=True)
    return rows.filter(product=product) if product else rows


def pending_account_requests(member: Member) -> QuerySet[AccountRequest]:
    return member.account_requests.filter(status=AccountRequest.Status.PENDING)


# --- Catalogue ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogueFilters:
    college: str = ""
    obtained_by: str = ""
    audience: str = ""
    q: str = ""


def catalogue(filters: CatalogueFilters) -> QuerySet[Service]:
    rows = Service.objects.filter(enabled=True)
    if filters.college:
        rows = rows.filter(Q(institutional=True) | Q(eligible_colleges__contains=filters.college))
    if filters.obtained_by:
        rows = rows.filter(obtained_by=filters.obtained_by)
    if filters.audience:
        rows = rows.filter(audience=filters.audience)
    for word in filters.q.split():
        pattern = contains_regex(word)
        rows = rows.filter(Q(name__iregex=pattern) | Q(description__iregex=pattern) | Q(family__iregex=pattern))
    return rows.order_by("family", "position", "name")


PRODUCT_FOR_SERVICE = {"emage": Product.EMAGE, "dpm": Product.DPM}
