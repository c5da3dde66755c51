"""The professional's agenda settings screen: motifs, opening hours, absences, publication.

One page per agenda (``/rdv/pro/agenda/<pk>/parametres/``); each form posts to the same URL with
an ``action`` naming it. Thin: the forms validate, the agenda services write (with the same checks
as everywhere: durations on the grid, overlapping rules refused, rules that open nothing refused).
Settings are not personal health data, so they are not trailed; only the agenda's own
professional (or, for a team or resource agenda, a professional of its organisation) reaches them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from enrs.agenda import selectors, services
from enrs.agenda.forms import AbsenceForm, MotifForm, PublishForm, RemoveForm, RuleForm
from enrs.agenda.models import Agenda
from enrs.core.forms import add_service_errors


def _forms(agenda: Agenda, data=None, bound: str = "") -> dict:
    """The page's forms; only the one named ``bound`` receives the posted data."""
    def pick(name):
        return data if name == bound else None
    return {
        "motif_form": MotifForm(pick("motif"), agenda=agenda, prefix="motif"),
        "rule_form": RuleForm(pick("regle"), agenda=agenda, prefix="regle"),
        "absence_form": AbsenceForm(pick("absence"), prefix="absence"),
        "publish_form": PublishForm(pick("publication"), initial={"published": agenda.published}, prefix="publication"),
    }


def _add_motif(agenda: Agenda, form: MotifForm) -> str:
    services.add_motif(agenda, **form.cleaned_data)
    return _("Motif « %(label)s » ajouté.") % {"label": form.cleaned_data["label"]}


def _add_rule(agenda: Agenda, form: RuleForm) -> str:
    data = form.cleaned_data
    services.add_rule(agenda, rrule=form.rrule(), start_date=data["start_date"], end_date=data["end_date"],
                      start_time=data["start_time"], end_time=data["end_time"], motifs=list(data["motifs"]),
                      label=data["label"])
    return _("Plage d'ouverture ajoutée.")


def _add_absence(agenda: Agenda, form: AbsenceForm) -> str:
    data = form.cleaned_data
    services.add_absence(agenda, start=data["start"], end=data["end"], reason=data["reason"])
    return _("Absence enregistrée : les créneaux de cette période ne sont plus proposés.")


def _publish(agenda: Agenda, form: PublishForm) -> str:
    services.set_published(agenda, form.cleaned_data["published"])
    return _("Agenda publié pour la prise de rendez-vous en ligne.") if agenda.published else _("Agenda retiré de la prise de rendez-vous en ligne.")


# action -> (form key in the page, handler); the removals look the item up within this agenda only.
ADDITIONS = {"motif": ("motif_form", _add_motif), "regle": ("rule_form", _add_rule),
             "absence": ("absence_form", _add_absence), "publication": ("publish_form", _publish)}
REMOVALS = {
    "retirer-motif": (lambda agenda: agenda.motifs.filter(active=True), services.deactivate_motif, _lazy("Motif retiré : il n'est plus proposé.")),
    "retirer-regle": (lambda agenda: agenda.rules.all(), services.remove_rule, _lazy("Plage d'ouverture supprimée (les rendez-vous pris restent).")),
    "retirer-absence": (lambda agenda: agenda.absences.all(), services.remove_absence, _lazy("Absence supprimée.")),
}


def _render(request, agenda: Agenda, forms: dict, status: int = 200):
    context = {"agenda": agenda, **forms, "motifs": agenda.motifs.order_by("-active", "label"),
               "rules": agenda.rules.prefetch_related("motifs").order_by("start_date", "start_time"),
               "absences": agenda.absences.order_by("start"), "nav_section": "agenda"}
    return render(request, "agenda/pro_settings.html", context, status=status)


def _remove(request, agenda: Agenda, action: str):
    items, remove, done = REMOVALS[action]
    form = RemoveForm(request.POST)
    item = items(agenda).filter(pk=form.cleaned_data["item"]).first() if form.is_valid() else None
    if item is None:
        messages.error(request, _("Élément introuvable dans cet agenda."))
        return _render(request, agenda, _forms(agenda), status=400)
    remove(item)
    messages.success(request, str(done))
    return redirect("agenda:pro_settings", pk=agenda.pk)


@login_required
@require_http_methods(["GET", "POST"])
def pro_settings(request, pk: int):
    if not selectors.is_professional(request.user):
        raise PermissionDenied(_("Espace réservé aux professionnels."))
    agenda = get_object_or_404(selectors.agendas_editable_by(request.user).select_related("organisation"), pk=pk)
    if request.method == "GET":
        return _render(request, agenda, _forms(agenda))
    action = request.POST.get("action", "")
    if action in REMOVALS:
        return _remove(request, agenda, action)
    if action not in ADDITIONS:
        messages.error(request, _("Action inconnue."))
        return _render(request, agenda, _forms(agenda), status=400)
    forms = _forms(agenda, request.POST, bound=action)
    key, handler = ADDITIONS[action]
    form = forms[key]
    if form.is_valid():
        try:
            messages.success(request, handler(agenda, form))
            return redirect("agenda:pro_settings", pk=agenda.pk)
        except ValidationError as error:
            add_service_errors(form, error)
    return _render(request, agenda, forms, status=400)
