"""NormAntiBio screens (thin): CSV upload and report, templates, dashboard with the département map."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.core import permissions
from enrs.observatory import antibio, antibio_indicators, charts, rules, services
from enrs.observatory.forms import StrictQueryForm, checked_upload
from enrs.observatory.models import AntibioImport, RpuFile
from enrs.observatory.views import observatory_required

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
REJECTED_PAGE_SIZE = 50


class AntibioUploadForm(forms.Form):
    file = forms.FileField(
        label=_lazy("Fichier CSV (consommation ou résistance)"),
        help_text=_lazy("Le type est reconnu à l'en-tête. Chaque envoi remplace, pour chaque FINESS et chaque année "
                        "qu'il contient, les données déjà reçues du même type."),
    )

    def clean_file(self):
        return checked_upload(self.cleaned_data["file"], MAX_UPLOAD_BYTES, _("Fichier trop volumineux (20 Mo au plus)."))


@observatory_required
def home(request):
    form = AntibioUploadForm()
    refused = None
    status = 200
    if request.method == "POST":
        form = AntibioUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            source = services.import_antibio(
                upload.read(), filename=upload.name, user=request.user,
                may_send=lambda organisation: rules.may_send_for(request.user, organisation),
            )
            if source.status == RpuFile.Status.ACCEPTED:
                return redirect("observatory:antibio_import", pk=source.pk)
            refused = source
        status = 400
    imports = permissions.filter_allowed(request.user, "read", AntibioImport.objects.select_related("organisation"))[:20]
    return render(request, "observatory/antibio_home.html", {
        "form": form, "imports": imports, "refused": refused, "nav_section": "observatory",
        "consumption_columns": ";".join(antibio.COLUMNS[antibio.CONSUMPTION]),
        "resistance_columns": ";".join(antibio.COLUMNS[antibio.RESISTANCE]),
        "germs": antibio.germs(), "molecules": antibio.molecules(),
    }, status=status)


@observatory_required
def import_report(request, pk: int):
    source = get_object_or_404(AntibioImport.objects.select_related("organisation"), pk=pk)
    permissions.require(request.user, "read", source, channel="web", request=request)
    page = Paginator(source.rejected_lines.order_by("number"), REJECTED_PAGE_SIZE).get_page(request.GET.get("page") or 1)
    return render(request, "observatory/antibio_import.html", {"source": source, "page": page, "nav_section": "observatory"})


@observatory_required
def template(request, kind: str):
    if kind not in antibio.COLUMNS:
        raise Http404(_("Modèle inconnu."))
    response = HttpResponse(antibio.template(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="normantibio_{kind}.csv"'
    return response


class AntibioDashboardForm(StrictQueryForm):
    annee = forms.TypedChoiceField(label=_lazy("Année"), coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annee"].choices = [(y, y) for y in years]


def _visible(rows, user, regional: bool):
    """Per-organisation rows: all for regional analysts, the user's own organisations otherwise."""
    if regional:
        return rows
    own = rules.scoped_organisation_ids(user)
    return [row for row in rows if row[0].organisation_id in own]


def _maps(consumption, resistance) -> list:
    maps = [charts.departement_map(
        {d: c.per_thousand for d, c in consumption.by_departement.items()},
        title=_("Consommation d'antibiotiques (DDJ pour 1 000 journées d'hospitalisation) par département"),
        desc=_("Carte par département : plus le département est foncé, plus la consommation est élevée."),
        chart_id="map-conso", unit=_("DDJ/1000 JH"))]
    for line in resistance:
        maps.append(charts.departement_map(
            {d: c.percent for d, c in line.by_departement.items()},
            title=_("%(label)s, par département (%%)") % {"label": line.indicator.label},
            desc=_("Carte par département : plus le département est foncé, plus la part de souches résistantes est élevée."),
            chart_id=f"map-{line.indicator.code}", unit="%"))
    return maps


@observatory_required
def dashboard(request):
    regional = rules.is_regional_analyst(request.user)
    years = antibio_indicators.years()
    form = AntibioDashboardForm(request.GET or None, years=years)
    valid = not form.is_bound or form.is_valid()
    year = (form.cleaned_data.get("annee") if form.is_bound and valid else None) or (years[0] if years else None)
    context = {"form": form, "year": year, "regional": regional, "nav_section": "observatory",
               "shapes": {code: {"nom": name} for code, name in charts.map_departements({}).items()},
               "map_attribution": charts.MAP_ATTRIBUTION if charts.france_departements() else ""}
    if year is not None:
        consumption = antibio_indicators.consumption(year)
        resistance = antibio_indicators.resistance(year)
        with_data = {d: 1 for d in consumption.by_departement} | {d: 1 for line in resistance for d in line.by_departement}
        context["shapes"] = {code: {"nom": name} for code, name in charts.map_departements(with_data).items()}
        context.update({
            "consumption": consumption, "resistance": resistance, "maps": _maps(consumption, resistance),
            "establishments": _visible(consumption.by_establishment, request.user, regional),
            "resistance_sources": [(line, _visible(line.by_source, request.user, regional)) for line in resistance],
            "germ_table": antibio_indicators.germ_antibiotic_table(year),
        })
    return render(request, "observatory/antibio_dashboard.html", context, status=200 if valid else 400)
