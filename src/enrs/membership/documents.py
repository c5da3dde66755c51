"""Numbered documents as PDF: the Django template rendered by WeasyPrint.

The PDF is rendered from the stored, immutable document (lines and totals are
never recomputed here), so downloading it twice gives the same figures.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from enrs.membership import selectors
from enrs.membership.models import Document


def render_html(document: Document) -> str:
    context = {
        "document": document,
        "lines": list(selectors.document_lines(document)),
        "agency_name": getattr(settings, "ENRS_AGENCY_NAME", "Agence régionale d'e-santé"),
        "region_name": getattr(settings, "ENRS_REGION_NAME", ""),
    }
    return render_to_string("membership/document_pdf.html", context)


def render_pdf(document: Document) -> bytes:
    from weasyprint import HTML  # late: loads pango only when a PDF is asked for

    return HTML(string=render_html(document)).write_pdf()
