"""Screens of the observatory (thin): RPU upload and quality reports; dashboards in ``dashboards``."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.observatory import pilote, rules, selectors, services
from enrs.observatory.forms import RpuUploadForm, StrictQueryForm
from enrs.observatory.models import RpuFile
from enrs.observatory.store import StoreBusy


def observatory_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.may_use_observatory(request.user):
            raise PermissionDenied(_("Cet espace est réservé aux analystes de l'observatoire et aux établissements habilités."))
        return view(request, *args, **kwargs)

    return wrapper


@observatory_required
def home(request):
    form = RpuUploadForm()
    status = 200
    rejected = None
    if request.method == "POST":
        form = RpuUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rpu_file = services.ingest_bytes(
                    upload.read(), filename=upload.name, channel=RpuFile.Channel.WEB, user=request.user,
                    may_send=lambda organisation: rules.may_send_for(request.user, organisation),
                )
            except StoreBusy:
                form.add_error(None, _("La base analytique est occupée par un autre traitement ; réessayez dans quelques minutes."))
            else:
                if rpu_file.status == RpuFile.Status.ACCEPTED:
                    return redirect("observatory:file_report", pk=rpu_file.pk)
                rejected = rpu_file
        status = 400
    files = selectors.visible_files(request.user)[:20]
    return render(
        request, "observatory/home.html",
        {"form": form, "files": files, "rejected": rejected, "nav_section": "observatory",
         "regional": rules.is_regional_analyst(request.user)},
        status=status,
    )


@observatory_required
def file_report(request, pk: int):
    rpu_file = selectors.file_for(request.user, pk, request=request)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    quarantine = selectors.quarantine_page(request.user, rpu_file, max(page, 1), request=request)
    fields = [
        (name, rpu_file.completeness.get(name), rpu_file.conformity.get(name))
        for name in rpu_file.completeness
    ]
    return render(request, "observatory/file_report.html", {
        "file": rpu_file, "fields": fields, "quarantine": quarantine, "nav_section": "observatory",
        "error_counts": sorted(rpu_file.error_counts.items(), key=lambda item: -item[1]),
    })


class QualityYearForm(StrictQueryForm):
    annee = forms.IntegerField(label=_lazy("Année"), min_value=2006, max_value=2100, required=False)


QUALITY_FIELDS = ("CP", "NAISSANCE", "SEXE", "MODE_ENTREE", "PROVENANCE", "TRANSPORT", "MOTIF", "GRAVITE", "DP",
                  "SORTIE", "MODE_SORTIE", "DESTINATION", "ORIENT")


@observatory_required
def yearly_quality(request):
    form = QualityYearForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    year = (form.cleaned_data.get("annee") if form.is_bound and valid else None) or timezone.localdate().year
    try:
        rows = selectors.yearly_quality(request.user, year)
    except StoreBusy:
        return render(request, "observatory/busy.html", status=503)
    table = [(row, [(f, row.completeness.get(f), row.conformity.get(f)) for f in QUALITY_FIELDS]) for row in rows]
    return render(request, "observatory/quality.html", {
        "form": form, "year": year, "table": table, "fields": QUALITY_FIELDS, "nav_section": "observatory",
    }, status=200 if valid else 400)


class PeriodForm(QualityYearForm):
    annee = None
    debut = forms.DateField(label=_lazy("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    fin = forms.DateField(label=_lazy("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("debut"), cleaned.get("fin")
        if first and last and last < first:
            self.add_error("fin", _("La fin de période doit suivre le début."))
        elif first and last and (last - first).days > 3 * 366:
            self.add_error("fin", _("La période est limitée à trois ans."))
        return cleaned


@login_required
def pilote_activity(request):
    """Regional analysts see the region; members' account referents see their members' organisations only."""
    from enrs.observatory.pilote_views import visible_members

    regional = rules.is_regional_analyst(request.user)
    members = list(visible_members(request.user)) if not regional else []
    if not regional and not members:
        raise PermissionDenied(_("Pilot-e est réservé aux analystes de l'agence et aux référents des adhérents."))
    form = PeriodForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    last = data.get("fin") or timezone.localdate()
    first = data.get("debut") or (last.replace(day=1) - timedelta(days=335)).replace(day=1)
    scope = None if regional else set().union(*(pilote.member_organisation_ids(m) for m in members))
    table = pilote.monthly_activity(first, last, scope)
    rows = [(month, [table.region[code].get(month, 0) for code in table.labels]) for month in table.months]
    return render(request, "observatory/pilote.html", {
        "form": form, "table": table, "rows": rows, "first": first, "last": last, "nav_section": "observatory",
        "regional": regional, "members": members,
    }, status=200 if valid else 400)
