"""Writes of the membership app: the only place its business rules live.

Every function validates first and raises ``ValidationError`` with a French
message naming the field (or ``PermissionDenied``), then writes inside one
transaction: a refused call stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.core.models import COLLEGES, Service
from enrs.directory import services as directory_services
from enrs.membership import pricing, selectors, tariff_data
from enrs.membership.models import (
    NUMBER_PREFIXES,
    Category,
    Convention,
    Document,
    DocumentCounter,
    DocumentKind,
    DocumentLine,
    GeneralAssembly,
    Member,
    Movement,
    Product,
    ServiceOrder,
    Tariff,
    TariffKind,
    Unit,
    college_of_category,
)

QUOTE_VALIDITY = dt.timedelta(days=90)
MAX_QUANTITY = Decimal("100000")


def _today() -> dt.date:
    return timezone.localdate()


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# --- Collèges and categories -----------------------------------------------------------------
def check_college(college: str) -> str:
    college = (college or "").strip().upper()
    if college not in COLLEGES:
        raise _error("college", _("Collège inconnu : « %(college)s » (attendu : A à F).") % {"college": college or "—"})
    return college


def check_category(category: str) -> str:
    if category not in Category.values:
        raise _error("category", _("Catégorie d'adhérent inconnue : « %(category)s ».") % {"category": category or "—"})
    return category


# --- Register: applications, admissions, withdrawals, mergers, renamings ----------------------
def _sync_directory_college(organisation, college: str) -> None:
    """Record the collège in the directory (through its services) when it has none yet."""
    if organisation.college == college:
        return
    key = {"finess": organisation.finess} if organisation.finess else {"siret": organisation.siret}
    directory_services.upsert_organisation({**key, "name": organisation.name, "college": college})
    organisation.refresh_from_db(fields=["college"])


@transaction.atomic
def apply(organisation, *, category: str, applied_by=None, on: dt.date | None = None, note: str = "") -> Member:
    """An organisation's membership request: pending at once (services may start on receipt)."""
    category = check_category(category)
    college = college_of_category(category)
    if not organisation.active:
        raise _error("organisation", _("Cette structure est fermée dans l'annuaire : elle ne peut pas adhérer."))
    if organisation.college and organisation.college != college:
        raise _error(
            "category",
            _("La structure est classée dans le collège %(known)s dans l'annuaire, pas dans le collège %(asked)s.")
            % {"known": organisation.college, "asked": college},
        )
    live = Member.objects.select_for_update().filter(organisation=organisation, status__in=Member.ACTIVE_STATUSES)
    if live.exists():
        raise _error("organisation", _("Cette structure est déjà adhérente ou a déjà une demande en cours."))
    on = on or _today()
    member = Member.objects.create(
        organisation=organisation, name=organisation.name, college=college, category=category,
        status=Member.Status.PENDING, applied_on=on, applied_by=applied_by,
    )
    Movement.objects.create(member=member, kind=Movement.Kind.APPLICATION, date=on, note=note, recorded_by=applied_by)
    _sync_directory_college(organisation, college)
    return member


@transaction.atomic
def create_assembly(*, date: dt.date, title: str, agenda: str = "", decisions: str = "") -> GeneralAssembly:
    if not (title or "").strip():
        raise _error("title", _("L'intitulé de l'assemblée générale est obligatoire."))
    if GeneralAssembly.objects.filter(date=date).exists():
        raise _error("date", _("Une assemblée générale est déjà enregistrée à cette date."))
    return GeneralAssembly.objects.create(date=date, title=title.strip(), agenda=agenda.strip(), decisions=decisions.strip())


@transaction.atomic
def record_decisions(assembly: GeneralAssembly, decisions: str) -> GeneralAssembly:
    assembly.decisions = (decisions or "").strip()
    assembly.save(update_fields=["decisions"])
    return assembly


def _require_assembly(assembly, action: str) -> GeneralAssembly:
    if assembly is None:
        raise _error(
            "assembly",
            _("Une %(action)s doit être votée par une assemblée générale : choisissez l'assemblée.") % {"action": action},
        )
    return assembly


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update().get(pk=member.pk)


@transaction.atomic
def admit(member: Member, assembly: GeneralAssembly | None, *, by=None) -> Member:
    """Admission voted by ``assembly``: the pending applicant becomes a member."""
    assembly = _require_assembly(assembly, _("admission"))
    member = _locked(member)
    if member.status != Member.Status.PENDING:
        raise _error("member", _("Seule une demande en attente peut être admise (statut actuel : %(status)s).")
                     % {"status": member.get_status_display()})
    if assembly.date < member.applied_on:
        raise _error("assembly", _("L'assemblée générale du %(date)s précède la demande d'adhésion.")
                     % {"date": assembly.date.strftime("%d/%m/%Y")})
    member.status, member.admitted_on, member.admission_assembly = Member.Status.MEMBER, assembly.date, assembly
    member.save(update_fields=["status", "admitted_on", "admission_assembly"])
    Movement.objects.create(member=member, kind=Movement.Kind.ADMISSION, date=assembly.date, assembly=assembly, recorded_by=by)
    return member


@transaction.atomic
def refuse(member: Member, assembly: GeneralAssembly | None, *, reason: str = "", by=None) -> Member:
    assembly = _require_assembly(assembly, _("décision de refus"))
    member = _locked(member)
    if member.status != Member.Status.PENDING:
        raise _error("member", _("Seule une demande en attente peut être refusée."))
    member.status, member.left_on, member.exit_assembly = Member.Status.REFUSED, assembly.date, assembly
    member.save(update_fields=["status", "left_on", "exit_assembly"])
    Movement.objects.create(
        member=member, kind=Movement.Kind.REFUSAL, date=assembly.date, assembly=assembly, note=reason, recorded_by=by
    )
    return member


def _check_leaving(member: Member, assembly: GeneralAssembly) -> None:
    if member.status != Member.Status.MEMBER:
        raise _error("member", _("%(name)s n'est pas adhérent (statut : %(status)s).")
                     % {"name": member.name, "status": member.get_status_display()})
    if assembly.date < member.admitted_on:
        raise _error("assembly", _("L'assemblée générale choisie précède l'admission de %(name)s.") % {"name": member.name})


@transaction.atomic
def withdraw(member: Member, assembly: GeneralAssembly | None, *, reason: str = "", by=None) -> Member:
    """Withdrawal voted by ``assembly`` (the capital contribution is refunded outside the platform)."""
    assembly = _require_assembly(assembly, _("décision de retrait"))
    member = _locked(member)
    _check_leaving(member, assembly)
    member.status, member.left_on, member.exit_assembly = Member.Status.WITHDRAWN, assembly.date, assembly
    member.save(update_fields=["status", "left_on", "exit_assembly"])
    Movement.objects.create(
        member=member, kind=Movement.Kind.WITHDRAWAL, date=assembly.date, assembly=assembly, note=reason, recorded_by=by
    )
    _end_live_rows(member, assembly.date)
    return member


def _end_live_rows(member: Member, on: dt.date) -> None:
    member.orders.filter(ended_on__isnull=True).update(ended_on=on)
    member.conventions.filter(ended_on__isnull=True).update(ended_on=on)


@transaction.atomic
def merge(absorbed: Member, into: Member, assembly: GeneralAssembly | None, *, new_name: str = "", by=None) -> Member:
    """Merger-absorption: ``absorbed`` leaves the register (counted as a withdrawal), ``into`` stays."""
    assembly = _require_assembly(assembly, _("fusion-absorption"))
    if absorbed.pk == into.pk:
        raise _error("into", _("Un adhérent ne peut pas s'absorber lui-même."))
    absorbed, into = _locked(absorbed), _locked(into)
    _check_leaving(absorbed, assembly)
    if into.status != Member.Status.MEMBER:
        raise _error("into", _("L'adhérent absorbant doit être adhérent."))
    absorbed.status, absorbed.left_on, absorbed.exit_assembly = Member.Status.ABSORBED, assembly.date, assembly
    absorbed.absorbed_by = into
    absorbed.save(update_fields=["status", "left_on", "exit_assembly", "absorbed_by"])
    for side, other in ((absorbed, into), (into, absorbed)):
        Movement.objects.create(
            member=side, kind=Movement.Kind.MERGER, date=assembly.date, assembly=assembly, other_member=other,
            old_value=absorbed.name, new_value=into.name, recorded_by=by,
        )
    _end_live_rows(absorbed, assembly.date)
    if new_name.strip():
        into = rename(into, new_name, on=assembly.date, by=by, assembly=assembly)
    return into


@transaction.atomic
def rename(member: Member, new_name: str, *, on: dt.date | None = None, by=None, assembly=None) -> Member:
    new_name = (new_name or "").strip()
    if not new_name:
        raise _error("new_name", _("La nouvelle dénomination est obligatoire."))
    if len(new_name) > 255:
        raise _error("new_name", _("La dénomination ne peut pas dépasser 255 caractères."))
    member = _locked(member)
    if new_name == member.name:
        raise _error("new_name", _("La nouvelle dénomination est identique à l'actuelle."))
    Movement.objects.create(
        member=member, kind=Movement.Kind.RENAMING, date=on or _today(), assembly=assembly,
        old_value=member.name, new_value=new_name, recorded_by=by,
    )
    member.name = new_name
    member.save(update_fields=["name"])
    return member


# --- Tariffs ---------------------------------------------------------------------------------
def _check_tariff_key(kind: str, category: str, unit: str) -> None:
    if kind not in TariffKind.values:
        raise _error("kind", _("Nature de tarif inconnue : « %(kind)s ».") % {"kind": kind})
    if unit not in Unit.values:
        raise _error("unit", _("Unité inconnue : « %(unit)s ».") % {"unit": unit})
    if kind == TariffKind.CAPITAL:
        check_college(category)
    elif kind in (TariffKind.ANNUAL,):
        check_category(category)


def _decimal(value, field: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise _error(field, _("Montant invalide : « %(value)s ».") % {"value": value}) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("9999999999.99"):
        raise _error(field, _("Le montant doit être un nombre positif."))
    if amount != amount.quantize(pricing.CENT):
        raise _error(field, _("Le montant se donne au centime près."))
    return amount


def _fmt(date: dt.date | None) -> str:
    return date.strftime("%d/%m/%Y") if date else _("sans fin")


def _overlapping(kind, category, unit, start: dt.date, end: dt.date | None, exclude_pk=None):
    rows = Tariff.objects.select_for_update().filter(kind=kind, category=category, unit=unit)
    rows = rows.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=start))
    if end is not None:
        rows = rows.filter(effective_from__lte=end)
    return rows.exclude(pk=exclude_pk).order_by("effective_from").first()


@transaction.atomic
def add_tariff(*, kind: str, category: str = "", unit: str, amount, effective_from: dt.date,
               effective_until: dt.date | None = None, label: str = "", vat_rate=Decimal("0.00"),
               amount_max=None, max_quantity: int | None = None, source: str = "") -> Tariff:
    """A dated amount; refused when its period overlaps another period of the same key."""
    _check_tariff_key(kind, category, unit)
    amount = _decimal(amount, "amount")
    amount_max = _decimal(amount_max, "amount_max") if amount_max not in (None, "") else None
    if amount_max is not None and amount_max < amount:
        raise _error("amount_max", _("Le montant maximum doit être supérieur ou égal au montant."))
    vat_rate = _decimal(vat_rate, "vat_rate")
    if vat_rate > 100:
        raise _error("vat_rate", _("Le taux de TVA doit être compris entre 0 et 100 %."))
    if effective_until is not None and effective_until < effective_from:
        raise _error("effective_until", _("La fin de validité précède son début."))
    clash = _overlapping(kind, category, unit, effective_from, effective_until)
    if clash is not None:
        raise _error(
            "effective_from",
            _("Cette période chevauche le tarif « %(label)s » en vigueur du %(start)s au %(end)s.")
            % {"label": clash.label, "start": _fmt(clash.effective_from), "end": _fmt(clash.effective_until)},
        )
    return Tariff.objects.create(
        kind=kind, category=category, unit=unit, amount=amount, amount_max=amount_max, max_quantity=max_quantity,
        vat_rate=vat_rate, effective_from=effective_from, effective_until=effective_until,
        label=label or TariffKind(kind).label, source=source,
    )


@transaction.atomic
def revise_tariff(*, kind: str, category: str = "", unit: str, amount, effective_from: dt.date, **extra) -> Tariff:
    """A new amount from ``effective_from``: the open period before it ends the day before."""
    _check_tariff_key(kind, category, unit)
    current = (
        Tariff.objects.select_for_update()
        .filter(kind=kind, category=category, unit=unit, effective_until__isnull=True, effective_from__lt=effective_from)
        .first()
    )
    if current is not None:
        current.effective_until = effective_from - dt.timedelta(days=1)
        current.save(update_fields=["effective_until"])
        extra.setdefault("label", current.label)
        extra.setdefault("vat_rate", current.vat_rate)
        extra.setdefault("max_quantity", current.max_quantity)
    return add_tariff(kind=kind, category=category, unit=unit, amount=amount, effective_from=effective_from, **extra)


def default_vat_rate() -> Decimal:
    return Decimal(str(getattr(settings, "ENRS_MEMBERSHIP_VAT_RATE", "20.00")))


@transaction.atomic
def load_reference_tariffs() -> int:
    """Load the reference amounts; idempotent (a row already there for its start date is kept)."""
    created = 0
    for values in tariff_data.rows(default_vat_rate()):
        key = {k: values[k] for k in ("kind", "category", "unit", "effective_from")}
        if not Tariff.objects.filter(**key).exists():
            add_tariff(**values)
            created += 1
    return created


def capital_contribution(college: str, on: dt.date | None = None) -> Decimal:
    return selectors.tariff_in_force(TariffKind.CAPITAL, check_college(college), Unit.ONCE, on or _today()).amount


def annual_contribution(category: str, on: dt.date | None = None) -> Decimal:
    return selectors.tariff_in_force(TariffKind.ANNUAL, check_category(category), Unit.YEAR, on or _today()).amount


# --- Quote items: what an organisation asks a price for -----------------------------------------
@dataclass(frozen=True)
class Item:
    """One requested offer. ``quantity``: establishments, users, structures, days, hours or sendings."""

    product: str
    quantity: int = 1
    months: int = 12
    per: str = "structure"  # pack complémentaire of "other members": per "user" or per "structure"
    role: str = ""  # consulting
    pages: int = 1  # editing: pages per sending
    years: int = 1  # e-m@ge yearly access
    unit_price: Decimal | None = None  # consulting tariffs given as a range


@dataclass(frozen=True)
class DraftLine:
    product: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal


# Services whose eligibility decides who may take each product.
PRODUCT_SERVICES = {
    Product.IMAGING: ("teleradiologie", "emage"),
    Product.EDITING: ("teleconsultation-avancee",),
    Product.EMAGE: ("emage",),
    Product.DPM: ("dpm",),
}


def _eligible_codes_for_pack() -> list[str]:
    return list(Service.objects.filter(enabled=True, obtained_by=Service.Obtained.PACK_COMPLEMENTAIRE)
                .values_list("code", flat=True))


def check_product_allowed(member: Member, product: str) -> None:
    """Refuse an offer none of whose services the member's collège may take."""
    if product not in Product.values or product in (Product.CAPITAL, Product.ANNUAL):
        raise _error("product", _("Offre inconnue : « %(product)s ».") % {"product": product})
    if product == Product.CONSULTING:
        return
    codes = _eligible_codes_for_pack() if product == Product.PACK else PRODUCT_SERVICES[product]
    services = Service.objects.filter(code__in=codes, enabled=True)
    if not any(member.college in s.eligible_colleges for s in services):
        raise _error(
            "product",
            _("Le collège %(college)s ne peut pas souscrire à l'offre « %(product)s » (services réservés aux collèges %(allowed)s).")
            % {"college": member.college, "product": Product(product).label,
               "allowed": ", ".join(sorted({c for s in services for c in s.eligible_colleges})) or "—"},
        )


def _positive(value: int, field: str, maximum: int = 100000) -> Decimal:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1 or value > maximum:
        raise _error(field, _("La quantité doit être un nombre entier entre 1 et %(max)s.") % {"max": maximum})
    return Decimal(value)


def pack_tariff_key(category: str, per: str) -> tuple[str, str]:
    if category in (Category.CHU, Category.GHT_SUPPORT, Category.HEALTH_OTHER, Category.MEDICO_SOCIAL):
        return category, Unit.ESTABLISHMENT_MONTH
    if per not in ("user", "structure"):
        raise _error("per", _("Choisissez une tarification par utilisateur ou par structure."))
    return "OTHER", Unit.USER_MONTH if per == "user" else Unit.STRUCTURE_MONTH


UNIT_WORDS = {
    Unit.ESTABLISHMENT_MONTH: _("établissement × mois"),
    Unit.USER_MONTH: _("utilisateur × mois"),
    Unit.STRUCTURE_MONTH: _("structure × mois"),
}


def _line(product, tariff: Tariff, quantity: Decimal, description: str, unit: str, unit_price=None) -> DraftLine:
    return DraftLine(product, description, quantity, unit, tariff.amount if unit_price is None else unit_price, tariff.vat_rate)


def draft_lines(member: Member, item: Item, on: dt.date) -> list[DraftLine]:
    """The priced lines of one item at date ``on`` (tariffs in force that day)."""
    check_product_allowed(member, item.product)
    find = selectors.tariff_in_force
    if item.product == Product.PACK:
        category, unit = pack_tariff_key(member.category, item.per)
        tariff = find(TariffKind.PACK, category, unit, on)
        count, months = _positive(item.quantity, "quantity"), _positive(item.months, "months", 120)
        return [_line(item.product, tariff, count * months,
                      _("%(label)s — %(count)s × %(months)s mois") % {"label": tariff.label, "count": count, "months": months},
                      str(UNIT_WORDS[unit]))]
    if item.product == Product.IMAGING:
        tariff = find(TariffKind.IMAGING, "", Unit.ESTABLISHMENT_MONTH, on)
        count, months = _positive(item.quantity, "quantity"), _positive(item.months, "months", 120)
        return [_line(item.product, tariff, count * months,
                      _("%(label)s — %(count)s établissement(s) × %(months)s mois") % {"label": tariff.label, "count": count, "months": months},
                      str(UNIT_WORDS[Unit.ESTABLISHMENT_MONTH]))]
    if item.product == Product.EDITING:
        first = find(TariffKind.EDITING_FIRST, "", Unit.PAGE, on)
        extra = find(TariffKind.EDITING_EXTRA, "", Unit.PAGE, on)
        pages = int(_positive(item.pages, "pages", 1000))
        price = pricing.editing_price(pages, first.amount, extra.amount, extra.max_quantity)
        return [DraftLine(item.product, _("Editing — envoi postal de %(pages)s page(s)") % {"pages": pages},
                          _positive(item.quantity, "quantity"), _("envoi"), price, first.vat_rate)]
    if item.product == Product.EMAGE:
        setup = find(TariffKind.EMAGE_SETUP, "", Unit.ONCE, on)
        yearly = find(TariffKind.EMAGE_YEARLY, "", Unit.YEAR, on)
        years = _positive(item.years, "years", 10)
        return [_line(item.product, setup, Decimal(1), setup.label, _("forfait")),
                _line(item.product, yearly, years, yearly.label, _("an"))]
    if item.product == Product.DPM:
        tariff = find(TariffKind.DPM, member.category, Unit.MONTH, on)
        months = _positive(item.months, "months", 120)
        return [_line(item.product, tariff, months, _("%(label)s — %(months)s mois") % {"label": tariff.label, "months": months},
                      _("mois"))]
    return [_consulting_line(item, on)]


def _consulting_line(item: Item, on: dt.date) -> DraftLine:
    if item.role not in tariff_data.CONSULTING_ROLES:
        raise _error("role", _("Prestation de conseil inconnue : « %(role)s ».") % {"role": item.role or "—"})
    tariff = selectors.tariff_in_force(TariffKind.CONSULTING, item.role, None, on)
    price = None
    if tariff.amount_max is not None:
        if item.unit_price is None:
            raise _error("unit_price", _("Ce tarif est une fourchette (%(low)s € à %(high)s €) : indiquez le prix retenu.")
                         % {"low": tariff.amount, "high": tariff.amount_max})
        price = _decimal(item.unit_price, "unit_price")
        if not tariff.amount <= price <= tariff.amount_max:
            raise _error("unit_price", _("Le prix retenu doit être compris entre %(low)s € et %(high)s €.")
                         % {"low": tariff.amount, "high": tariff.amount_max})
    quantity = _positive(item.quantity, "quantity", 1000)
    return _line(Product.CONSULTING, tariff, quantity, tariff.label, tariff.get_unit_display(), price)


# --- Documents: numbering, issue, quotes, contribution calls, credit notes ---------------------
def next_number(kind: str, year: int) -> tuple[int, str]:
    """The next number of ``kind`` in ``year``; call inside the transaction that stores the document.

    The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises
    writers), so two concurrent issues never share a number, and a rolled-back issue
    gives its number back: numbers stay gap-free.
    """
    DocumentCounter.objects.bulk_create([DocumentCounter(kind=kind, year=year, last=0)], ignore_conflicts=True)
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, f"{NUMBER_PREFIXES[kind]}-{year}-{counter.last:05d}"


def _store_lines(document: Document, lines: Iterable[DraftLine]) -> list[pricing.LineAmounts]:
    amounts = []
    for position, line in enumerate(lines, start=1):
        computed = pricing.line_amounts(line.quantity, line.unit_price, line.vat_rate)
        DocumentLine.objects.create(
            document=document, position=position, product=line.product, description=line.description[:255],
            quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, vat_rate=line.vat_rate,
            amount_ht=computed.ht, amount_vat=computed.vat, amount_ttc=computed.ttc,
        )
        amounts.append(computed)
    return amounts


def _issue(document: Document, amounts: list[pricing.LineAmounts], on: dt.date) -> Document:
    total = pricing.totals(amounts)
    document.total_ht, document.total_vat, document.total_ttc = total.ht, total.vat, total.ttc
    document.year = on.year
    document.sequence, document.number = next_number(document.kind, on.year)
    document.issued_on = on
    document.addressee = f"{document.member.name} — {document.member.organisation}"
    document.status = Document.Status.ISSUED
    document.save()
    return document


def _require_live(member: Member) -> None:
    if not member.is_live:
        raise _error("member", _("%(name)s n'est ni adhérent ni en cours d'adhésion.") % {"name": member.name})


@transaction.atomic
def request_quote(member: Member, items: list[Item], *, by=None, on: dt.date | None = None) -> Document:
    """A numbered quote, issued at once, for the requested offers at today's tariffs."""
    _require_live(member)
    if not items:
        raise _error("product", _("Choisissez au moins une offre."))
    on = on or _today()
    lines = [line for item in items for line in draft_lines(member, item, on)]
    title = _("Devis — %(offers)s") % {"offers": ", ".join(dict.fromkeys(str(Product(i.product).label) for i in items))}
    document = Document.objects.create(
        kind=DocumentKind.QUOTE, member=member, title=title[:200], requested_by=by, valid_until=on + QUOTE_VALIDITY
    )
    return _issue(document, _store_lines(document, lines), on)


def contribution_lines(member: Member, year: int, on: dt.date) -> list[DraftLine]:
    lines = []
    if not selectors.capital_called(member):
        tariff = selectors.tariff_in_force(TariffKind.CAPITAL, member.college, Unit.ONCE, on)
        lines.append(_line(Product.CAPITAL, tariff, Decimal(1), tariff.label, _("une fois")))
    tariff = selectors.tariff_in_force(TariffKind.ANNUAL, member.category, Unit.YEAR, on)
    lines.append(_line(Product.ANNUAL, tariff, Decimal(1), _("%(label)s %(year)s") % {"label": tariff.label, "year": year}, _("an")))
    return lines


@transaction.atomic
def issue_contribution_call(member: Member, year: int, *, by=None, on: dt.date | None = None) -> Document | None:
    """The year's contribution call (capital once, then the annual contribution). ``None`` when nothing is due."""
    _require_live(_locked(member))
    if selectors.contribution_call_of(member, year) is not None:
        raise _error("year", _("L'appel de contribution %(year)s de %(name)s est déjà émis.") % {"year": year, "name": member.name})
    on = on or _today()
    lines = [line for line in contribution_lines(member, year, on) if line.unit_price]
    if not lines:
        return None
    document = Document.objects.create(
        kind=DocumentKind.CALL, member=member, title=_("Appel de contribution %(year)s") % {"year": year},
        period_year=year, requested_by=by,
    )
    return _issue(document, _store_lines(document, lines), on)


@transaction.atomic
def credit_note(document: Document, *, reason: str, by=None, on: dt.date | None = None) -> Document:
    """Cancel an issued quote or call exactly with a numbered credit note carrying the opposite lines."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document.is_issued or document.kind == DocumentKind.CREDIT:
        raise _error("document", _("Seul un devis ou un appel de contribution émis peut être annulé par un avoir."))
    if document.credit_notes.exists():
        raise _error("document", _("Ce document est déjà annulé par l'avoir %(number)s.")
                     % {"number": document.credit_notes.first().number})
    if not (reason or "").strip():
        raise _error("reason", _("Indiquez le motif de l'avoir."))
    credit = Document.objects.create(
        kind=DocumentKind.CREDIT, member=document.member, corrects=document, requested_by=by,
        title=(_("Avoir sur %(number)s — %(reason)s") % {"number": document.number, "reason": reason.strip()})[:200],
    )
    amounts = []
    for line in document.lines.all():
        # Opposite quantity, same price, amounts negated as stored: cancels to the cent.
        DocumentLine.objects.create(
            document=credit, position=line.position, product=line.product, description=line.description,
            quantity=-line.quantity, unit=line.unit, unit_price=line.unit_price, vat_rate=line.vat_rate,
            amount_ht=-line.amount_ht, amount_vat=-line.amount_vat, amount_ttc=-line.amount_ttc,
        )
        amounts.append(pricing.opposite(pricing.LineAmounts(line.amount_ht, line.amount_vat, line.amount_ttc)))
    return _issue(credit, amounts, on or _today())


# --- Conventions, orders, account requests -----------------------------------------------------
@transaction.atomic
def sign_convention(member: Member, *, model: str, signatory: str, signed_on: dt.date | None = None,
                    nomination_form: bool = False, referent_charter: bool = False, liberal_roster: bool = False,
                    by=None) -> Convention:
    """The convention for the regional services, with the documents its model requires."""
    member = _locked(member)
    _require_live(member)
    if model not in Convention.Model.values:
        raise _error("model", _("Modèle de convention inconnu."))
    if not (signatory or "").strip():
        raise _error("signatory", _("Indiquez le nom et la qualité du signataire."))
    if model == Convention.Model.EMPLOYEES and member.college in ("A", "C") and not (nomination_form and referent_charter):
        raise _error("nomination_form", _(
            "Pour un établissement sanitaire ou médico-social, joignez la fiche de nomination et la charte des référents de comptes."
        ))
    if model == Convention.Model.LIBERAL and not liberal_roster:
        raise _error("liberal_roster", _("Joignez le fichier des professionnels libéraux éligibles à l'ouverture des services."))
    if member.conventions.filter(ended_on__isnull=True).exists():
        raise _error("model", _("Une convention est déjà en cours pour cet adhérent."))
    return Convention.objects.create(
        member=member, model=model, signatory=signatory.strip()[:200], signed_on=signed_on or _today(), signed_by=by,
        nomination_form=nomination_form, referent_charter=referent_charter, liberal_roster=liberal_roster,
    )


@transaction.atomic
def order_quote(quote: Document, *, by=None, on: dt.date | None = None) -> list[ServiceOrder]:
    """Order the offers of an issued, valid quote; the member needs a convention in force."""
    quote = Document.objects.select_for_update().get(pk=quote.pk)
    on = on or _today()
    if quote.kind != DocumentKind.QUOTE or not quote.is_issued:
        raise _error("quote", _("Seul un devis émis peut être commandé."))
    if quote.credit_notes.exists():
        raise _error("quote", _("Ce devis est annulé par un avoir."))
    if quote.valid_until and on > quote.valid_until:
        raise _error("quote", _("Ce devis a expiré le %(date)s : demandez un nouveau devis.") % {"date": _fmt(quote.valid_until)})
    if quote.orders.exists():
        raise _error("quote", _("Ce devis est déjà commandé."))
    member = quote.member
    _require_live(member)
    if not member.conventions.filter(ended_on__isnull=True).exists():
        raise _error("quote", _("Signez d'abord la convention de mise à disposition des services."))
    products = dict.fromkeys(quote.lines.values_list("product", flat=True))
    return [ServiceOrder.objects.create(member=member, product=p, quote=quote, ordered_on=on, ordered_by=by) for p in products]


@transaction.atomic
def record_order(member: Member, product: str, *, by=None, on: dt.date | None = None) -> ServiceOrder:
    """An order recorded by the agency without a quote (e.g. after a paper order)."""
    _require_live(member)
    check_product_allowed(member, product)
    return ServiceOrder.objects.create(member=member, product=product, ordered_on=on or _today(), ordered_by=by)


@transaction.atomic
def end_order(order: ServiceOrder, *, on: dt.date | None = None) -> ServiceOrder:
    if order.ended_on is not None:
        raise _error("order", _("Cette commande est déjà terminée."))
    order.ended_on = on or _today()
    order.save(update_fields=["ended_on"])
    return order
