"""Telehealth screens: thin views over ``services`` and ``selectors``.

Actions are POSTed with the object's id in the form body; the view resolves it and the
service checks the permission (``require``, trailed). A refused submission re-renders the
form with its French errors (400); a foreign object answers 403/404 and discloses nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enrs.core import permissions
from enrs.core.forms import add_service_errors
from enrs.telehealth import config, documents, fhir_resources, forms, selectors, services
from enrs.telehealth.models import Alert, Enrolment, ExpertiseAttachment, ExpertiseRequest, Meeting, MeetingCase, UrgentRequest


def professional_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.kind == request.user.Kind.PATIENT:
            raise PermissionDenied(_("Cet écran est réservé aux professionnels."))
        return view(request, *args, **kwargs)

    return wrapper


def _post(request, form, action, title: str):
    """Validate ``form`` and run ``action(data)``; on refusal re-render it with French errors (400)."""
    if form.is_valid():
        try:
            return action(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    return render(request, "telehealth/form_page.html", {"form": form, "title": title}, status=400)


def _get(model, pk, field: str):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: [_("Élément introuvable.")]})
    return obj


def _doctor_by_rpps(rpps: str, field: str):
    try:
        return services.resolve_expert(rpps)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


# --- Home and telemonitoring -------------------------------------------------------------------------
@require_GET
@professional_required
def home(request):
    context = {
        "worklist_count": selectors.worklist(request.user).count(),
        "telesoin_allowed": services.telesoin_allowed(request.user),
        "telesoin_form": forms.TelesoinForm(),
    }
    return render(request, "telehealth/home.html", context)


@require_GET
@professional_required
def worklist(request):
    context = {
        "alerts": selectors.worklist(request.user)[:200],
        "counts": selectors.programme_counts(timezone.now()),
        "enrolments": selectors.enrolments_for(request.user).filter(ended_at=None)[:200],
        "enrol_form": forms.EnrolForm(),
    }
    return render(request, "telehealth/worklist.html", context)


@professional_required
@require_POST
def enrol(request):
    def action(data):
        centre = services.resolve_team(data["expert_centre"]) if data["expert_centre"] else None
        enrolment = services.enrol(
            request.user, patient=data["patient"], programme_code=data["programme"],
            monitoring_doctor=_doctor_by_rpps(data["monitoring_doctor"], "monitoring_doctor"),
            inr_target_low=data["inr_target_low"], inr_target_high=data["inr_target_high"],
            expert_centre=centre, treatment=data["treatment"],
        )
        messages.success(request, _("Le patient est inclus dans le programme."))
        return redirect("telehealth:enrolment", pk=enrolment.pk)

    return _post(request, forms.EnrolForm(request.POST), action, _("Inclure un patient"))


@require_GET
@login_required
def enrolment_detail(request, pk: int):
    enrolment = get_object_or_404(Enrolment.objects.select_related("patient", "monitoring_doctor"), pk=pk)
    permissions.require(request.user, "read", enrolment, channel="web", request=request)
    programme = config.programme(enrolment.programme)
    initial = {"enrolment": enrolment.pk}
    context = {
        "enrolment": enrolment,
        "programme": programme,
        "may_update": permissions.can(request.user, "update", enrolment),
        "inr_results": enrolment.inr_results.all()[:50],
        "dose_changes": enrolment.dose_changes.all()[:50],
        "wounds": enrolment.wound_assessments.all(),
        "answers": enrolment.answers.all()[:50],
        "alerts": enrolment.alerts.all()[:50],
        "due": selectors.questionnaires_due(enrolment, timezone.now()),
        "inr_form": forms.InrForm(initial=initial),
        "dose_form": forms.DoseForm(initial=initial),
        "wound_form": forms.WoundForm(initial=initial),
    }
    return render(request, "telehealth/enrolment.html", context)


def _enrolment_action(request, form, title, run, success: str):
    def action(data):
        enrolment = _get(Enrolment, data["enrolment"], "enrolment")
        run(enrolment, data)
        messages.success(request, success)
        return redirect("telehealth:enrolment", pk=enrolment.pk)

    return _post(request, form, action, title)


@professional_required
@require_POST
def record_inr(request):
    def run(enrolment, data):
        services.record_inr(request.user, enrolment, data["value"], measured_at=data["measured_at"])

    return _enrolment_action(request, forms.InrForm(request.POST), _("Résultat d'INR"), run, _("Résultat d'INR enregistré."))


@professional_required
@require_POST
def record_dose(request):
    def run(enrolment, data):
        services.record_dose_change(request.user, enrolment, previous_dose=data["previous_dose"], new_dose=data["new_dose"],
                                    reason=data["reason"], next_check_on=data["next_check_on"])

    return _enrolment_action(request, forms.DoseForm(request.POST), _("Changement de posologie"), run, _("Posologie enregistrée."))


@professional_required
@require_POST
def record_wound(request):
    def run(enrolment, data):
        photo = data["photo"]
        services.record_wound(request.user, enrolment, photo=photo.read(), photo_name=photo.name, length_mm=data["length_mm"],
                              width_mm=data["width_mm"], depth_mm=data["depth_mm"], note=data["note"])

    form = forms.WoundForm(request.POST, request.FILES)
    return _enrolment_action(request, form, _("Suivi de plaie"), run, _("Mesure de la plaie enregistrée."))


@professional_required
@require_POST
def acknowledge(request):
    def action(data):
        alert = _get(Alert, data["alert"], "alert")
        services.acknowledge_alert(request.user, alert)
        return redirect("telehealth:worklist")

    return _post(request, forms.AlertForm(request.POST), action, _("Alerte"))


# --- Questionnaires (patient portal and professionals) ---------------------------------------------------
def _questionnaire_or_404(enrolment: Enrolment, code: str):
    programme = config.programme(enrolment.programme)
    questionnaire = programme.questionnaire(code) if programme else None
    if questionnaire is None:
        raise Http404
    return questionnaire


def _readable_enrolment(request, pk: int) -> Enrolment:
    enrolment = get_object_or_404(Enrolment.objects.select_related("patient"), pk=pk)
    permissions.require(request.user, "read", enrolment, channel="web", request=request)
    return enrolment


@require_GET
@login_required
def questionnaire(request, pk: int, code: str):
    enrolment = _readable_enrolment(request, pk)
    definition = _questionnaire_or_404(enrolment, code)
    form = forms.QuestionnaireForm(initial={"enrolment": enrolment.pk, "questionnaire": code}, questionnaire=definition)
    return render(request, "telehealth/questionnaire.html", {"form": form, "questionnaire": definition, "enrolment": enrolment})


@login_required
@require_POST
def submit_questionnaire(request):
    """The form is rebuilt from the questionnaire named in the body; the service types and checks each answer."""
    form = forms.QuestionnaireForm(request.POST)
    if form.is_valid():
        enrolment = Enrolment.objects.filter(pk=form.cleaned_data["enrolment"]).first()
        programme = config.programme(enrolment.programme) if enrolment else None
        definition = programme.questionnaire(form.cleaned_data["questionnaire"]) if programme else None
        if definition is None:
            form.add_error(None, _("Questionnaire introuvable."))
        else:
            form = forms.QuestionnaireForm(request.POST, questionnaire=definition)

    def action(data):
        enrolment = _get(Enrolment, data["enrolment"], "enrolment")
        answers = {k: v for k, v in data.items() if k not in {"enrolment", "questionnaire"}}
        services.submit_questionnaire(request.user, enrolment, data["questionnaire"], answers)
        messages.success(request, _("Merci, vos réponses ont été transmises à votre équipe de suivi."))
        if enrolment.patient.user_id == request.user.pk:
            return redirect("telehealth:my_monitoring")
        return redirect("telehealth:enrolment", pk=enrolment.pk)

    return _post(request, form, action, _("Questionnaire"))


@require_GET
@login_required
def my_monitoring(request):
    now = timezone.now()
    rows = []
    for enrolment in selectors.patient_enrolments(request.user):
        permissions.require(request.user, "read", enrolment, channel="web", request=request)
        rows.append({"enrolment": enrolment, "programme": config.programme(enrolment.programme),
                     "due": selectors.questionnaires_due(enrolment, now)})
    return render(request, "telehealth/my_monitoring.html", {"rows": rows})


@require_GET
def questionnaire_fhir(request, programme: str, code: str):
    """The FHIR Questionnaire of a programme (a public definition, no patient data)."""
    definition = config.programme(programme)
    questionnaire = definition.questionnaire(code) if definition else None
    if questionnaire is None:
        raise Http404
    resource = fhir_resources.questionnaire(definition, questionnaire)
    return HttpResponse(resource.model_dump_json(exclude_none=True), content_type="application/fhir+json")


# --- Tele-expertise ---------------------------------------------------------------------------------------
@require_GET
@professional_required
def expertise_list(request):
    now = timezone.now()
    rows = [{"request": r, "late": selectors.is_late(r, now)} for r in selectors.expertise_requests_for(request.user)[:200]]
    return render(request, "telehealth/expertise_list.html", {"rows": rows, "form": forms.ExpertiseForm()})


@professional_required
@require_POST
def expertise_new(request):
    files = request.FILES.getlist("attachments")

    def action(data):
        if len(files) > forms.MAX_ATTACHMENTS:
            raise ValidationError({"__all__": [_("Dix pièces jointes au plus.")]})
        expert = services.resolve_expert(data["expert"]) if data["expert"] else None
        team = services.resolve_team(data["expert_team"]) if not expert and data["expert_team"] else None
        created = services.send_expertise_request(
            request.user, patient=data["patient"], question=data["question"], clinical_context=data["clinical_context"],
            expert=expert, expert_team=team, attachments=[(f.name, f.read()) for f in files],
        )
        messages.success(request, _("Demande de téléexpertise envoyée."))
        return redirect("telehealth:expertise", pk=created.pk)

    return _post(request, forms.ExpertiseForm(request.POST), action, _("Demande de téléexpertise"))


@require_GET
@professional_required
def expertise_detail(request, pk: int):
    item = get_object_or_404(ExpertiseRequest.objects.select_related("patient", "requester", "expert", "expert_team"), pk=pk)
    permissions.require(request.user, "read", item, channel="web", request=request)
    context = {
        "item": item,
        "late": selectors.is_late(item, timezone.now()),
        "is_expert": selectors.is_expert_of(request.user, item),
        "form": forms.ExpertiseActionForm(initial={"request": item.pk}),
    }
    return render(request, "telehealth/expertise.html", context)


@require_GET
@professional_required
def expertise_attachment(request, pk: int):
    attachment = get_object_or_404(ExpertiseAttachment.objects.select_related("request"), pk=pk)
    permissions.require(request.user, "read", attachment.request, channel="web", request=request)
    handle = storages["documents"].open(attachment.storage_name, "rb")
    return FileResponse(handle, content_type=attachment.media_type, as_attachment=True, filename=attachment.file_name)


@professional_required
@require_POST
def expertise_act(request):
    def action(data):
        item = _get(ExpertiseRequest, data["request"], "request")
        if data["action"] == "accept":
            services.accept_expertise(request.user, item)
        elif data["action"] == "decline":
            services.decline_expertise(request.user, item, reason=data["reason"])
        else:
            services.answer_expertise(request.user, item, answer=data["answer"])
        return redirect("telehealth:expertise", pk=item.pk)

    return _post(request, forms.ExpertiseActionForm(request.POST), action, _("Téléexpertise"))


# --- Urgent tele-advice -----------------------------------------------------------------------------------
@require_GET
@professional_required
def urgent_list(request):
    context = {"requests": selectors.urgent_requests_for(request.user)[:100], "form": forms.UrgentForm(),
               "shift_form": forms.ShiftForm() if selectors.is_roster_manager(request.user) else None}
    return render(request, "telehealth/urgent_list.html", context)


@professional_required
@require_POST
def urgent_new(request):
    def action(data):
        created = services.open_urgent_request(request.user, patient=data["patient"], specialty_code=data["specialty_code"].strip().upper(), reason=data["reason"])
        return redirect("telehealth:urgent", pk=created.pk)

    return _post(request, forms.UrgentForm(request.POST), action, _("Téléavis urgent"))


@require_GET
@professional_required
def urgent_detail(request, pk: int):
    item = get_object_or_404(UrgentRequest.objects.select_related("patient", "requester", "ringing__expert"), pk=pk)
    permissions.require(request.user, "read", item, channel="web", request=request)
    context = {"item": item, "events": item.events.select_related("expert"),
               "may_accept": item.status == item.Status.RINGING and item.ringing and item.ringing.expert_id == request.user.pk,
               "form": forms.UrgentAcceptForm(initial={"request": item.pk})}
    return render(request, "telehealth/urgent.html", context)


@professional_required
@require_POST
def urgent_accept(request):
    def action(data):
        item = services.accept_urgent(request.user, _get(UrgentRequest, data["request"], "request"))
        return redirect("telehealth:urgent", pk=item.pk)

    return _post(request, forms.UrgentAcceptForm(request.POST), action, _("Téléavis urgent"))


@professional_required
@require_POST
def shift_new(request):
    def action(data):
        services.add_shift(request.user, specialty_code=data["specialty_code"].strip().upper(), expert=_doctor_by_rpps(data["expert"], "expert"),
                           starts_at=data["starts_at"], ends_at=data["ends_at"], rank=data["rank"])
        messages.success(request, _("Astreinte ajoutée."))
        return redirect("telehealth:urgent_list")

    return _post(request, forms.ShiftForm(request.POST), action, _("Tableau d'astreinte"))


# --- Télésoin ---------------------------------------------------------------------------------------------
@professional_required
@require_POST
def telesoin(request):
    def action(data):
        services.record_telesoin(request.user, data["patient"])
        messages.success(request, _("Acte de télésoin enregistré."))
        return redirect("telehealth:home")

    return _post(request, forms.TelesoinForm(request.POST), action, _("Télésoin"))


# --- e-RCP / e-Staff ----------------------------------------------------------------------------------------
@require_GET
@professional_required
def meetings(request):
    return render(request, "telehealth/meetings.html", {"meetings": selectors.meetings_for(request.user)[:100], "form": forms.MeetingForm()})


@professional_required
@require_POST
def meeting_new(request):
    def action(data):
        lines = [line.strip() for line in data["participants"].splitlines() if line.strip()]
        participants = [_doctor_by_rpps(line, "participants") for line in lines]
        meeting = services.schedule_meeting(request.user, kind=data["kind"], title=data["title"], scheduled_at=data["scheduled_at"], participants=participants)
        return redirect("telehealth:meeting", pk=meeting.pk)

    return _post(request, forms.MeetingForm(request.POST), action, _("Nouvelle réunion"))


def _meeting_for(request, pk: int) -> Meeting:
    meeting = get_object_or_404(Meeting, pk=pk)
    if not selectors.takes_part(request.user, meeting):
        raise Http404
    return meeting


@require_GET
@professional_required
def meeting_detail(request, pk: int):
    meeting = _meeting_for(request, pk)
    cases = list(selectors.cases_of(request.user, meeting))
    for case in cases:
        permissions.require(request.user, "read", case, channel="web", request=request)
    context = {"meeting": meeting, "cases": cases, "participants": meeting.participants.all(),
               "case_form": forms.CaseForm(initial={"meeting": meeting.pk})}
    return render(request, "telehealth/meeting.html", context)


@require_GET
@professional_required
def meeting_pdf(request, pk: int):
    meeting = _meeting_for(request, pk)
    cases = list(selectors.cases_of(request.user, meeting))
    for case in cases:
        permissions.require(request.user, "print", case, channel="web", request=request)
    response = HttpResponse(documents.decisions_pdf(meeting, cases), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="decisions-reunion-{meeting.pk}.pdf"'
    return response


@professional_required
@require_POST
def case_new(request):
    def action(data):
        meeting = _get(Meeting, data["meeting"], "meeting")
        services.add_case(request.user, meeting, patient=data["patient"], question=data["question"])
        return redirect("telehealth:meeting", pk=meeting.pk)

    return _post(request, forms.CaseForm(request.POST), action, _("Cas de réunion"))


@professional_required
@require_POST
def case_document(request):
    def action(data):
        case = _get(MeetingCase, data["case"], "case")
        upload = data["document"]
        services.attach_case_document(request.user, case, name=upload.name, data=upload.read())
        return redirect("telehealth:meeting", pk=case.meeting_id)

    return _post(request, forms.CaseDocumentForm(request.POST, request.FILES), action, _("Document du cas"))


@professional_required
@require_POST
def decision(request):
    def action(data):
        case = _get(MeetingCase, data["case"], "case")
        services.record_decision(request.user, case, decision=data["decision"])
        return redirect("telehealth:meeting", pk=case.meeting_id)

    return _post(request, forms.DecisionForm(request.POST), action, _("Décision"))


# --- Acts ---------------------------------------------------------------------------------------------------
@require_GET
@professional_required
def acts(request):
    form = forms.ActsFilterForm(request.GET or {"year": timezone.localdate().year})
    if not form.is_valid():
        return render(request, "telehealth/acts.html", {"form": form, "rows": []}, status=400)
    rows = selectors.act_counts(request.user, year=form.cleaned_data["year"])
    return render(request, "telehealth/acts.html", {"form": form, "rows": rows})
