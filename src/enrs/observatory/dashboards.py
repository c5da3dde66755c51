"""Emergency dashboards (thin views): filters → indicators → SVG charts, PDF (WeasyPrint), Excel (openpyxl).

Regional analysts see the region, a département or any establishment; an establishment's
analyst only ever sees his own establishments (the scope is forced, whatever the query says).
Only aggregates are shown; exports apply the small-count rule (``indicators.suppress_small``).
"""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.observatory import charts, indicators, rules
from enrs.observatory.forms import StrictQueryForm
from enrs.observatory.models import RpuFile
from enrs.observatory.store import StoreBusy
from enrs.observatory.views import observatory_required

DEFAULT_DAYS = 28
MAX_DAYS = 3 * 366 + 1


def establishment_names(user) -> dict[str, str]:
    """FINESS → name of the establishments that sent files and that ``user`` may see."""
    files = RpuFile.objects.filter(status=RpuFile.Status.ACCEPTED).exclude(organisation=None)
    if not rules.is_regional_analyst(user):
        files = files.filter(organisation_id__in=rules.scoped_organisation_ids(user))
    return dict(files.values_list("finess", "organisation__name").distinct())


class DashboardForm(StrictQueryForm):
    debut = forms.DateField(label=_lazy("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    fin = forms.DateField(label=_lazy("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    departement = forms.ChoiceField(label=_lazy("Département"), required=False)
    etablissement = forms.ChoiceField(label=_lazy("Établissement"), required=False)

    def __init__(self, *args, names: dict[str, str], regional: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["etablissement"].choices = [("", _("Tous"))] + sorted(names.items(), key=lambda item: item[1])
        departements = sorted({finess[:2] for finess in names})
        self.fields["departement"].choices = [("", _("Toute la région"))] + [(d, d) for d in departements]
        if not regional:
            del self.fields["departement"]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("debut"), cleaned.get("fin")
        if first and last and last < first:
            self.add_error("fin", _("La fin de période doit suivre le début."))
        elif first and last and (last - first).days >= MAX_DAYS:
            self.add_error("fin", _("La période est limitée à trois ans."))
        return cleaned


def _scope(form: DashboardForm, names: dict[str, str], regional: bool) -> indicators.Scope:
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    _first, last_known = indicators.data_bounds()
    last = data.get("fin") or last_known or dt.date.today()
    first = data.get("debut") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    finess = (data["etablissement"],) if data.get("etablissement") else ()
    if not regional and not finess:
        finess = tuple(sorted(names)) or ("-",)  # nothing sent yet: an empty scope, never the region
    return indicators.Scope(first, last, data.get("departement", "") if regional else "", finess)


def _charts(board: indicators.Dashboard) -> dict:
    weekdays = [str(day) for day in indicators.WEEKDAYS]
    return {
        "daily": charts.columns([(d.strftime("%d/%m"), n) for d, n in board.daily], title=_("Passages par jour"),
                                desc=_("Nombre de passages aux urgences par jour sur la période."), chart_id="c-daily"),
        "ages": charts.bars(board.age_bands, title=_("Passages par classe d'âge"), desc=_("Classes d'âge FEDORU."),
                            chart_id="c-ages"),
        "ccmu": charts.bars([(f"CCMU {c}", n) for c, n in board.ccmu], title=_("Gravité (CCMU)"),
                            desc=_("Répartition des passages par CCMU modifiée."), chart_id="c-ccmu"),
        "transport": charts.bars(board.transport, title=_("Mode d'arrivée"), desc=_("Moyen de transport à l'arrivée."),
                                 chart_id="c-transport"),
        "heatmap": charts.heatmap(board.heatmap, weekdays, title=_("Passages par jour de semaine et heure d'arrivée"),
                                  desc=_("Plus la case est foncée, plus il y a de passages."), chart_id="c-heat"),
    }


def _board(request):
    regional = rules.is_regional_analyst(request.user)
    names = establishment_names(request.user)
    form = DashboardForm(request.GET or None, names=names, regional=regional)
    valid = not form.is_bound or form.is_valid()
    scope = _scope(form, names, regional)
    board = indicators.dashboard(scope, names)
    return form, valid, board, regional, names


def daily_chart_data(board: indicators.Dashboard, names: dict[str, str]) -> dict:
    """The data of the interactive daily chart (``static/observatory/charts.js``), embedded with
    ``json_script``: days, and one series per establishment with its département. Aggregates only."""
    return {
        "days": [day.isoformat() for day, _n in board.daily],
        "series": [{"finess": finess, "label": names.get(finess, finess), "departement": departement, "values": values}
                   for finess, departement, values in board.daily_series],
        "labels": {
            "title": _("Passages par jour"), "description": _("Passages aux urgences par jour du {first} au {last}, par département."),
            "period": _("Période affichée"), "from": _("Premier jour"), "to": _("Dernier jour"),
            "reset": _("Toute la période"), "establishment": _("Établissement affiché"),
            "all_establishments": _("Tous les établissements"), "series": _("Séries par département"),
            "departement": _("Département {code}"), "day": _("Jour"), "total": _("Total"),
            "status": _("Du {first} au {last} : {days} jours, {total} passages affichés."),
        },
    }


def _page(request, form, valid, board, regional):
    names = establishment_names(request.user)
    context = {"form": form, "board": board, "charts": _charts(board), "regional": regional, "nav_section": "observatory",
               "daily_data": daily_chart_data(board, names),
               "summary": _summary_rows(board.summary),
               "weekdays": [str(d) for d in indicators.WEEKDAYS], "query": request.GET.urlencode(), "hours": range(24)}
    return render(request, "observatory/dashboard.html", context, status=200 if valid else 400)


def _busy_safe(view):
    def wrapper(request):
        try:
            return view(request, *_board(request)[:4])
        except StoreBusy:
            return render(request, "observatory/busy.html", status=503)

    wrapper.__name__ = view.__name__
    return wrapper


@observatory_required
@_busy_safe
def emergency(request, form, valid, board, regional):
    return _page(request, form, valid, board, regional)


@observatory_required
@_busy_safe
def emergency_pdf(request, form, valid, board, regional):
    from weasyprint import HTML  # late: loads pango only when a PDF is asked for

    if not valid:
        return _page(request, form, valid, board, regional)
    html = render_to_string("observatory/dashboard_pdf.html", {
        "board": board, "charts": _charts(board), "weekdays": [str(d) for d in indicators.WEEKDAYS],
        "summary": _summary_rows(board.summary),
        "small": indicators.SMALL_COUNT, "rows": _suppressed_rows(board), "generated": dt.datetime.now()}, request=request)
    response = HttpResponse(HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="urgences_{board.scope.first_day}_{board.scope.last_day}.pdf"'
    return response


def _suppressed_rows(board: indicators.Dashboard) -> dict[str, list]:
    small = indicators.suppress_small
    return {
        "establishments": [(name, small(n)) for _f, name, n, _h in board.by_establishment],
        "departements": [(d, small(n)) for d, n in board.by_departement],
        "ages": [(label, small(n)) for label, n in board.age_bands],
        "ccmu": [(code, small(n)) for code, n in board.ccmu],
        "transport": [(label, small(n)) for label, n in board.transport],
        "syndromes": [(s["label"], s["week"], small(s["count"]), s["threshold"], s["alert"]) for s in board.syndromes],
    }


@observatory_required
@_busy_safe
def emergency_xlsx(request, form, valid, board, regional):
    from openpyxl import Workbook

    if not valid:
        return _page(request, form, valid, board, regional)
    rows = _suppressed_rows(board)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Synthèse")
    sheet.append([_("Période"), f"{board.scope.first_day:%d/%m/%Y} – {board.scope.last_day:%d/%m/%Y}"])
    sheet.append([_("Règle des petits effectifs"), _("les effectifs de 1 à 4 sont affichés « < 5 »")])
    for label, value in _summary_rows(board.summary):
        sheet.append([label, value])
    for title, header, lines in (
        (_("Établissements"), [_("Établissement"), _("Passages")], rows["establishments"]),
        (_("Départements"), [_("Département"), _("Passages")], rows["departements"]),
        (_("Âges"), [_("Classe d'âge"), _("Passages")], rows["ages"]),
        (_("CCMU"), [_("CCMU"), _("Passages")], rows["ccmu"]),
        (_("Arrivée"), [_("Mode d'arrivée"), _("Passages")], rows["transport"]),
        (_("Syndromes"), [_("Groupe"), _("Semaine"), _("Passages"), _("Seuil"), _("Alerte")], rows["syndromes"]),
        (_("Jours"), [_("Jour"), _("Passages")], [(d, indicators.suppress_small(n)) for d, n in board.daily]),
    ):
        page = book.create_sheet(title)
        page.append(header)
        for line in lines:
            page.append(list(line))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="urgences_{board.scope.first_day}_{board.scope.last_day}.xlsx"'
    return response


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _summary_rows(summary: indicators.Summary) -> list[tuple[str, str]]:
    return [
        (_("Passages"), str(summary.passages)),
        (_("Passages par jour (moyenne)"), str(summary.per_day).replace(".", ",")),
        (_("Femmes"), _percent(summary.women)),
        (_("Moins d'un an"), _percent(summary.under_1)),
        (_("Moins de 18 ans"), _percent(summary.under_18)),
        (_("75 ans et plus"), _percent(summary.over_75)),
        (_("Âge moyen"), "—" if summary.mean_age is None else str(summary.mean_age).replace(".", ",")),
        (_("Passages de nuit (20 h – 8 h)"), _percent(summary.night)),
        (_("Passages de nuit profonde (0 h – 8 h)"), _percent(summary.deep_night)),
        (_("CCMU 1 et 2"), _percent(summary.ccmu_1_2)),
        (_("CCMU 4 et 5"), _percent(summary.ccmu_4_5)),
        (_("Taux d'hospitalisation"), _percent(summary.hospitalisation)),
        (_("Durée médiane de passage (hors UHCD)"),
         "—" if summary.median_stay_min is None else f"{int(summary.median_stay_min) // 60} h {int(summary.median_stay_min) % 60:02d}"),
        (_("Passages de 4 h ou plus (hors UHCD)"), _percent(summary.stay_over_4h)),
        (_("Sorties non convenues (fugue, contre avis, partis sans attendre)"), _percent(summary.unplanned_exit)),
        (_("Décès"), _percent(summary.deaths)),
    ]

