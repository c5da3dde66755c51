"""The patient's side: documents shared with him and his life line (« ligne de vie »)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from enrs.access import selectors as access_selectors
from enrs.coordination import codes, selectors, services
from enrs.coordination.forms import StrictForm
from enrs.coordination.models import Document
from enrs.coordination.views import file_response
from enrs.core import audit
from enrs.core.lifeline import entries_for

CHANNEL = "web"


class PortalPageForm(StrictForm):
    page = forms.IntegerField(label=_("page"), min_value=1, max_value=10_000, required=False)


def patient_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        patient = access_selectors.patient_of_user(request.user)
        if patient is None or request.user.kind != "patient":
            raise PermissionDenied
        return view(request, patient, *args, **kwargs)

    return wrapper


def _trail_own(request, patient, object_type: str, object_id: str = "") -> None:
    audit.record(actor=request.user, action="read", channel=CHANNEL, patient_id=patient.pk, object_type=object_type,
                 object_id=object_id or str(patient.pk), role="patient", request=request)


@require_GET
@patient_required
def documents(request, patient):
    form = PortalPageForm(request.GET)
    context = {"nav_section": "documents", "patient": patient, "form": form, "page": None, "type_label": codes.type_label}
    if not form.is_valid():
        return render(request, "coordination/portal_documents.html", context, status=400)
    context["page"] = Paginator(selectors.patient_documents(patient), 25).get_page(form.cleaned_data.get("page") or 1)
    _trail_own(request, patient, "coordination.Document")
    return render(request, "coordination/portal_documents.html", context)


@require_GET
@patient_required
def download(request, patient, document_id: int):
    document = get_object_or_404(Document, pk=document_id, patient=patient)
    data = services.read_document(document, by=request.user, channel=CHANNEL, request=request)
    return file_response(document, data)


@require_GET
@patient_required
def lifeline(request, patient):
    entries = entries_for(patient, request.user)
    now = timezone.now()
    past = [e for e in entries if e.when <= now][::-1]
    future = [e for e in entries if e.when > now]
    return render(request, "coordination/portal_lifeline.html",
                  {"nav_section": "lifeline", "patient": patient, "past": past, "future": future})
