"""Quotes, contribution calls and credit notes: totals, VAT, numbering, immutability, PDF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from enrs.membership import documents, services
from enrs.membership.models import Document, DocumentIsIssued, DocumentLine
from enrs.membership.services import Item

from .builders import make_assembly, make_member

pytestmark = pytest.mark.django_db
ON = dt.date(2025, 6, 2)
D = Decimal


def pdf_text(document) -> str:
    """Text laid out by WeasyPrint for the PDF (no PDF text extractor is installed)."""
    from weasyprint import HTML

    rendered = HTML(string=documents.render_html(document)).render()
    texts = []

    def walk(box):
        if getattr(box, "text", None):
            texts.append(box.text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in rendered.pages:
        walk(page._page_box)
    return " ".join(texts)


@pytest.fixture
def ehpad():
    return services.admit(make_member("C"), make_assembly())


def test_pack_complementaire_quote_for_an_ehpad(ehpad):
    quote = services.request_quote(ehpad, [Item("pack", quantity=1, months=12)], on=ON)
    line = quote.lines.get()
    assert (line.quantity, line.unit_price, line.vat_rate) == (D("12"), D("100.00"), D("20.00"))
    assert (quote.total_ht, quote.total_vat, quote.total_ttc) == (D("1200.00"), D("240.00"), D("1440.00"))
    assert quote.number == "DEV-2025-00001" and quote.valid_until == ON + dt.timedelta(days=90)


@pytest.mark.parametrize(("category", "item", "ht"), [
    ("A_CHU", Item("pack", quantity=2, months=3), "3600.00"),
    ("A_GHT", Item("pack", quantity=1, months=1), "400.00"),
    ("A_OTHER", Item("pack", quantity=1, months=12), "2400.00"),
    ("B", Item("pack", quantity=7, months=12, per="user"), "840.00"),
    ("B", Item("pack", quantity=1, months=12, per="structure"), "1200.00"),
    ("A_OTHER", Item("imaging", quantity=1, months=12), "2400.00"),
    ("C", Item("editing", quantity=100, pages=7), "150.00"),
    ("A_OTHER", Item("emage", years=1), "6000.00"),
    ("C", Item("dpm", months=12), "240.00"),
    ("B", Item("consulting", role="project_manager", quantity=2), "890.00"),
    ("D", Item("consulting", role="medical_referent", quantity=1, unit_price=D("800.00")), "800.00"),
])
def test_quote_totals_from_the_reference_tariffs(category, item, ht):
    quote = services.request_quote(make_member(category), [item], on=ON)
    assert quote.total_ht == D(ht)
    assert quote.total_vat == (D(ht) * D("0.20")).quantize(D("0.01"))
    assert quote.total_ttc == quote.total_ht + quote.total_vat


def test_a_quote_for_an_offer_the_college_may_not_take_is_refused():
    consultative = make_member("E")
    with pytest.raises(ValidationError, match="collège E ne peut pas souscrire"):
        services.request_quote(consultative, [Item("pack")], on=ON)
    with pytest.raises(ValidationError, match="collège C ne peut pas souscrire"):
        services.request_quote(make_member("C"), [Item("emage")], on=ON)
    assert not Document.objects.exists()


def test_range_tariffs_need_a_price_within_the_range():
    member = make_member("D")
    with pytest.raises(ValidationError, match="fourchette"):
        services.request_quote(member, [Item("consulting", role="coordination")], on=ON)
    with pytest.raises(ValidationError, match="entre 380.00 € et 480.00 €"):
        services.request_quote(member, [Item("consulting", role="coordination", unit_price=D("500"))], on=ON)
    with pytest.raises(ValidationError, match="Aucun tarif"):
        services.request_quote(make_member("F"), [Item("dpm")], on=ON)  # eligible, but the table has no F price


def test_bad_quantities_store_nothing():
    member = make_member("C")
    for item in (Item("pack", quantity=0), Item("pack", months=500), Item("editing", pages=0), Item("nope")):
        with pytest.raises(ValidationError):
            services.request_quote(member, [item], on=ON)
    assert not Document.objects.exists() and not DocumentLine.objects.exists()


def test_numbering_is_gap_free_per_kind_and_year(ehpad):
    numbers = [services.request_quote(ehpad, [Item("dpm")], on=ON).number for _ in range(3)]
    with pytest.raises(ValidationError):
        services.request_quote(ehpad, [Item("emage")], on=ON)  # refused: must not consume a number
    numbers.append(services.request_quote(ehpad, [Item("dpm")], on=ON).number)
    assert numbers == [f"DEV-2025-0000{i}" for i in range(1, 5)]
    assert services.request_quote(ehpad, [Item("dpm")], on=dt.date(2026, 1, 2)).number == "DEV-2026-00001"
    call = services.issue_contribution_call(ehpad, 2025, on=ON)
    assert call.number == "APC-2025-00001"


def test_issued_documents_are_immutable(ehpad):
    quote = services.request_quote(ehpad, [Item("pack")], on=ON)
    quote.total_ht = D("1.00")
    with pytest.raises(DocumentIsIssued):
        quote.save()
    with pytest.raises(DocumentIsIssued):
        Document.objects.filter(pk=quote.pk).update(total_ht=D("1.00"))
    with pytest.raises(DocumentIsIssued):
        quote.delete()
    line = quote.lines.get()
    line.unit_price = D("1.00")
    with pytest.raises(DocumentIsIssued):
        line.save()
    with pytest.raises(DocumentIsIssued):
        DocumentLine.objects.filter(document=quote).update(unit_price=D("1.00"))
    with pytest.raises(DocumentIsIssued):
        DocumentLine.objects.filter(document=quote).delete()
    with pytest.raises(DocumentIsIssued):
        DocumentLine.objects.create(document=quote, position=9, description="ajout", quantity=1, unit_price=1,
                                    vat_rate=0, amount_ht=1, amount_vat=0, amount_ttc=1)
    quote.refresh_from_db()
    assert quote.total_ht == D("1200.00") and quote.lines.count() == 1


def test_credit_note_cancels_exactly_and_only_once(ehpad):
    quote = services.request_quote(ehpad, [Item("pack", quantity=3, months=7), Item("editing", quantity=33, pages=3)], on=ON)
    credit = services.credit_note(quote, reason="erreur de quantité", on=ON)
    assert credit.number == "AV-2025-00001" and credit.corrects_id == quote.pk
    assert (quote.total_ht + credit.total_ht, quote.total_vat + credit.total_vat, quote.total_ttc + credit.total_ttc) == (0, 0, 0)
    with pytest.raises(ValidationError, match="déjà annulé"):
        services.credit_note(quote, reason="encore", on=ON)
    with pytest.raises(ValidationError, match="Seul un devis"):
        services.credit_note(credit, reason="avoir d'avoir", on=ON)
    with pytest.raises(ValidationError, match="motif"):
        services.credit_note(services.request_quote(ehpad, [Item("pack")], on=ON), reason=" ", on=ON)


def test_contribution_calls_capital_once_then_annual_without_vat(ehpad):
    first = services.issue_contribution_call(ehpad, 2025, on=ON)
    assert [(line.description, line.amount_ht, line.amount_vat) for line in first.lines.all()] == [
        ("Apport en capital — collège C", D("4.10"), D("0.00")),
        ("Contribution annuelle — collège C 2025", D("100.00"), D("0.00")),
    ]
    assert first.total_ttc == D("104.10")
    with pytest.raises(ValidationError, match="déjà émis"):
        services.issue_contribution_call(ehpad, 2025, on=ON)
    second = services.issue_contribution_call(ehpad, 2026, on=dt.date(2026, 1, 5))
    assert second.total_ttc == D("100.00") and second.number == "APC-2026-00001"


@pytest.mark.parametrize(("category", "total"), [("A_CHU", "5016.48"), ("A_GHT", "2016.48"), ("A_OTHER", "766.48"),
                                                 ("B", "123.08"), ("D", "27.78"), ("F", "100.00")])
def test_first_contribution_call_per_category(category, total):
    member = services.admit(make_member(category), make_assembly())
    assert services.issue_contribution_call(member, 2025, on=ON).total_ttc == D(total)


def test_nothing_due_gives_no_call():
    member = services.admit(make_member("E"), make_assembly())
    assert services.issue_contribution_call(member, 2025, on=ON) is None
    assert not Document.objects.exists()


def test_pdf_is_a_real_pdf_with_the_totals(ehpad):
    quote = services.request_quote(ehpad, [Item("pack", quantity=1, months=12)], on=ON)
    pdf = documents.render_pdf(quote)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
    text = pdf_text(quote).replace("\u00a0", " ")
    assert "DEV-2025-00001" in text and "1 440,00 €" in text and "1 200,00 €" in text and "240,00 €" in text


def test_order_needs_a_convention_and_a_valid_quote(ehpad):
    quote = services.request_quote(ehpad, [Item("pack")], on=ON)
    with pytest.raises(ValidationError, match="convention"):
        services.order_quote(quote, on=ON)
    with pytest.raises(ValidationError, match="fiche de nomination"):
        services.sign_convention(ehpad, model="employees", signatory="Directrice")
    services.sign_convention(ehpad, model="employees", signatory="Directrice", nomination_form=True, referent_charter=True)
    with pytest.raises(ValidationError, match="expiré"):
        services.order_quote(quote, on=ON + dt.timedelta(days=91))
    orders = services.order_quote(quote, on=ON)
    assert [o.product for o in orders] == ["pack"]
    with pytest.raises(ValidationError, match="déjà commandé"):
        services.order_quote(quote, on=ON)


def test_liberal_convention_needs_the_roster():
    member = make_member("B")
    with pytest.raises(ValidationError, match="libéraux"):
        services.sign_convention(member, model="liberal", signatory="Président de la CPTS")
    convention = services.sign_convention(member, model="liberal", signatory="Président", liberal_roster=True)
    assert convention.model == "liberal"
    with pytest.raises(ValidationError, match="déjà en cours"):
        services.sign_convention(member, model="liberal", signatory="Président", liberal_roster=True)
