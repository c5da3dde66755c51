"""The PDF of an e-RCP/e-Staff meeting's decisions: a Django template rendered by WeasyPrint."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone


def decisions_html(meeting, cases) -> str:
    return render_to_string("telehealth/decisions_pdf.html", {
        "meeting": meeting,
        "cases": cases,
        "printed_at": timezone.localtime(),
        "agency_name": getattr(settings, "ENRS_AGENCY_NAME", "Agence régionale d'e-santé"),
    })


def decisions_pdf(meeting, cases) -> bytes:
    from weasyprint import HTML  # late: loads pango only when a PDF is asked for

    return HTML(string=decisions_html(meeting, cases)).write_pdf()
