"""Telehealth writes: the only place its business rules live.

Every function takes the acting ``user`` and goes through the permission API (``require``,
which trails the access); times come from an injectable ``clock`` (``enrs.telehealth.clock``).
Refusals are ``ValidationError`` with French messages keyed by the field at fault; nothing is
stored when one is raised (each write runs in one transaction, uploads are checked first).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.core import permissions
from enrs.core.notifications import notify, notify_many
from enrs.core.uploads import JPEG, PDF, PNG, check_upload
from enrs.directory import selectors as directory_selectors
from enrs.telehealth import config, selectors
from enrs.telehealth.clock import Clock, now
from enrs.telehealth.models import (
    Act,
    Alert,
    CaseDocument,
    DoseChange,
    Enrolment,
    ExpertiseAttachment,
    ExpertiseRequest,
    InrResult,
    Meeting,
    MeetingCase,
    OnCallShift,
    QuestionnaireAnswer,
    UrgentEvent,
    UrgentRequest,
    WoundAssessment,
)

DOCTOR_PROFESSION = "10"  # TRE_G15 Médecin
IMAGES = frozenset({PNG, JPEG})
ATTACHMENTS = frozenset({PNG, JPEG, PDF})
INR_STEP = Decimal("0.1")
ANSWER_MAX_CHARS = 2000


def _fail(field: str, message: str):
    raise ValidationError({field: [message]})


# --- Stored files ----------------------------------------------------------------------------------
def _check_files(files, *, allowed, field: str):
    """Check every (name, bytes) pair before anything is written; the first bad one refuses all."""
    checked = []
    for name, data in files:
        try:
            checked.append((name, data, check_upload(data, filename=name, allowed=allowed)))
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from error
    return checked


def _store(prefix: str, name: str, data: bytes, checked, user) -> dict:
    stored = storages["documents"].save(f"telehealth/{prefix}/{checked.sha256}.{checked.extension}", ContentFile(data))
    return {
        "file_name": name[:200] or f"fichier.{checked.extension}",
        "storage_name": stored,
        "media_type": checked.media_type,
        "size": checked.size,
        "sha256": checked.sha256,
        "uploaded_by": user,
    }


# --- Telemonitoring: enrolment -------------------------------------------------------------------
def _programme_or_error(code: str):
    programme = config.programme(code)
    if programme is None:
        _fail("programme", _("Programme de télésurveillance inconnu : « %(code)s ».") % {"code": code})
    return programme


def _require_doctor(user, field: str):
    professional = directory_selectors.professional_of_user(user) if user is not None else None
    if professional is None or professional.profession_code != DOCTOR_PROFESSION or not professional.active:
        _fail(field, _("Le médecin de surveillance doit être un médecin actif de l'annuaire."))


def parse_inr_target(programme, low, high) -> tuple[Decimal | None, Decimal | None]:
    if "inr" not in programme.kinds:
        return None, None
    settings = programme.inr
    if low in (None, "") and high in (None, ""):
        return settings.default_target
    low_value, high_value = parse_inr(low, field="inr_target_low", programme=programme), parse_inr(
        high, field="inr_target_high", programme=programme
    )
    if low_value >= high_value:
        _fail("inr_target_high", _("La borne haute de la cible INR doit être supérieure à la borne basse."))
    return low_value, high_value


def enrol(user, *, patient, programme_code: str, monitoring_doctor, inr_target_low=None, inr_target_high=None,
          expert_centre=None, treatment: str = "", clock: Clock | None = None, channel: str = "web") -> Enrolment:
    """Enrol ``patient`` in a programme with his monitoring doctor and (for INR) his target range."""
    programme = _programme_or_error(programme_code)
    _require_doctor(monitoring_doctor, "monitoring_doctor")
    low, high = parse_inr_target(programme, inr_target_low, inr_target_high)
    enrolment = Enrolment(
        patient=patient, programme=programme.code, monitoring_doctor=monitoring_doctor, expert_centre=expert_centre,
        inr_target_low=low, inr_target_high=high, treatment=treatment[:200], started_at=now(clock), enrolled_by=user,
    )
    permissions.require(user, "create", enrolment, channel=channel)
    with transaction.atomic():
        if Enrolment.objects.select_for_update().filter(patient=patient, programme=programme.code, ended_at=None).exists():
            _fail("programme", _("Ce patient est déjà suivi dans ce programme."))
        enrolment.save()
    return enrolment


def end_enrolment(user, enrolment: Enrolment, *, clock: Clock | None = None, channel: str = "web") -> Enrolment:
    permissions.require(user, "update", enrolment, channel=channel)
    if enrolment.ended_at is None:
        enrolment.ended_at = now(clock)
        enrolment.save(update_fields=["ended_at", "updated_at"])
    return enrolment


def _require_open(enrolment: Enrolment, kind: str):
    programme = config.programme(enrolment.programme)
    if enrolment.ended_at is not None:
        _fail("__all__", _("Ce suivi est terminé : plus aucune donnée ne peut y être ajoutée."))
    if programme is None or kind not in programme.kinds:
        _fail("__all__", _("Ce programme ne prévoit pas ce type de données."))
    return programme


# --- Telemonitoring: INR (SCAD-Antico) -------------------------------------------------------------
def parse_inr(raw, *, field: str = "value", programme=None) -> Decimal:
    """An INR value from user input ("2,5", "2.5", 2.5) or a clear French error.

    Refused: anything that is not a decimal number, and values outside the physiologically
    possible range of the programme (0.5 to 15 by default), which are typing errors.
    """
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        _fail(field, _("La valeur d'INR « %(raw)s » n'est pas un nombre (exemple : 2,5).") % {"raw": str(raw)[:20]})
    settings = (programme or config.programme("scad-antico")).inr
    if not settings.plausible_min <= value <= settings.plausible_max:
        _fail(field, _("Un INR de %(value)s est physiologiquement impossible : la valeur doit être comprise entre %(low)s et %(high)s.")
              % {"value": str(raw)[:20], "low": _decimal_fr(settings.plausible_min), "high": _decimal_fr(settings.plausible_max)})
    return value.quantize(INR_STEP, rounding=ROUND_HALF_UP)


def _decimal_fr(value: Decimal) -> str:
    return str(value).replace(".", ",")


def inr_verdict(value: Decimal, low: Decimal, high: Decimal) -> str:
    """"low", "in" or "high": the bounds belong to the target range."""
    if value < low:
        return "low"
    if value > high:
        return "high"
    return "in"


def record_inr(user, enrolment: Enrolment, raw_value, *, measured_at: dt.datetime | None = None,
               clock: Clock | None = None, channel: str = "web") -> InrResult:
    """Record an INR result against the patient's target; out of range → alert to the doctor."""
    permissions.require(user, "update", enrolment, channel=channel)
    programme = _require_open(enrolment, "inr")
    value = parse_inr(raw_value, programme=programme)
    moment = measured_at or now(clock)
    if moment > now(clock) + dt.timedelta(minutes=5):
        _fail("measured_at", _("La date du prélèvement est dans le futur."))
    verdict = inr_verdict(value, enrolment.inr_target_low, enrolment.inr_target_high)
    with transaction.atomic():
        result = InrResult.objects.create(
            enrolment=enrolment, measured_at=moment, value=value, target_low=enrolment.inr_target_low,
            target_high=enrolment.inr_target_high, verdict=verdict, recorded_by=user,
        )
        if verdict != "in":
            kind = Alert.Kind.INR_LOW if verdict == "low" else Alert.Kind.INR_HIGH
            message = _("INR %(value)s hors de la cible %(low)s–%(high)s.") % {
                "value": _decimal_fr(value), "low": _decimal_fr(enrolment.inr_target_low), "high": _decimal_fr(enrolment.inr_target_high)}
            _raise_alert(enrolment, kind, message, clock)
    return result


def record_dose_change(user, enrolment: Enrolment, *, previous_dose: str, new_dose: str, reason: str = "",
                       next_check_on: dt.date | None = None, inr_result: InrResult | None = None,
                       clock: Clock | None = None, channel: str = "web") -> DoseChange:
    permissions.require(user, "update", enrolment, channel=channel)
    _require_open(enrolment, "inr")
    if not new_dose.strip():
        _fail("new_dose", _("Indiquez la nouvelle posologie."))
    if inr_result is not None and inr_result.enrolment_id != enrolment.pk:
        _fail("inr_result", _("Ce résultat d'INR n'appartient pas à ce suivi."))
    moment = now(clock)
    if next_check_on is not None and next_check_on < moment.date():
        _fail("next_check_on", _("La date du prochain contrôle est passée."))
    return DoseChange.objects.create(
        enrolment=enrolment, inr_result=inr_result, previous_dose=previous_dose.strip()[:120], new_dose=new_dose.strip()[:120],
        reason=reason.strip()[:300], next_check_on=next_check_on, decided_by=user, decided_at=moment,
    )


# --- Telemonitoring: wounds (Domoplaies) ---------------------------------------------------------------
def _dimension(raw, field: str, maximum: int, *, required: bool = True) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text and not required:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) < value <= maximum:
        _fail(field, _("Indiquez une mesure en millimètres, supérieure à 0 et au plus %(max)s.") % {"max": maximum})
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def record_wound(user, enrolment: Enrolment, *, photo: bytes, photo_name: str, length_mm, width_mm, depth_mm=None,
                 note: str = "", clock: Clock | None = None, channel: str = "web") -> WoundAssessment:
    """A wound photo (PNG/JPEG checked by content) and its measurements; growth beyond the threshold → alert."""
    permissions.require(user, "update", enrolment, channel=channel)
    programme = _require_open(enrolment, "wound")
    limit = programme.wound.max_dimension_mm
    length, width = _dimension(length_mm, "length_mm", limit), _dimension(width_mm, "width_mm", limit)
    depth = _dimension(depth_mm, "depth_mm", limit, required=False)
    ((name, data, checked),) = _check_files([(photo_name, photo)], allowed=IMAGES, field="photo")
    with transaction.atomic():
        previous = enrolment.wound_assessments.order_by("-assessed_at", "-pk").first()
        assessment = WoundAssessment.objects.create(
            enrolment=enrolment, assessed_at=now(clock), length_mm=length, width_mm=width, depth_mm=depth,
            note=note.strip()[:2000], **_store(f"plaies/{enrolment.pk}", name, data, checked, user),
        )
        growth = wound_growth(previous.area_mm2 if previous else None, assessment.area_mm2)
        if growth is not None and growth > programme.wound.area_growth_alert:
            message = _("La surface de la plaie a augmenté de %(pct)s %% depuis la mesure précédente.") % {"pct": round(growth * 100)}
            _raise_alert(enrolment, Alert.Kind.WOUND, message, clock)
    return assessment


def wound_growth(previous_area: Decimal | None, area: Decimal) -> Decimal | None:
    """Relative growth of the area since the previous assessment (None for the first one)."""
    if previous_area is None or previous_area <= 0:
        return None
    return (area - previous_area) / previous_area


# --- Telemonitoring: questionnaires -------------------------------------------------------------
def _typed_answer(item, raw) -> tuple[object, str | None]:
    """(value, error) for one item; value None when left empty."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None, (_("Cette question demande une réponse.") if item.required else None)
    if item.type == "boolean":
        mapping = {"oui": True, "true": True, "1": True, "non": False, "false": False, "0": False}
        if text.lower() not in mapping:
            return None, _("Répondez par oui ou par non.")
        return mapping[text.lower()], None
    if item.type == "text":
        return (None, _("Réponse trop longue (%(max)s caractères au plus).") % {"max": ANSWER_MAX_CHARS}) if len(text) > ANSWER_MAX_CHARS else (text, None)
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None, _("Indiquez un nombre.")
    if not number.is_finite() or (item.type == "integer" and number != number.to_integral_value()):
        return None, _("Indiquez un nombre entier.") if item.type == "integer" else _("Indiquez un nombre.")
    if (item.min is not None and number < item.min) or (item.max is not None and number > item.max):
        return None, _("Indiquez un nombre entre %(min)s et %(max)s.") % {"min": item.min, "max": item.max}
    return (int(number) if item.type == "integer" else str(number)), None


def item_alerts(item, value) -> bool:
    """Whether one typed answer crosses the item's threshold."""
    if value is None:
        return False
    if item.alert_if is not None and value is item.alert_if:
        return True
    if item.type in {"integer", "decimal"}:
        number = Decimal(str(value))
        return (item.alert_above is not None and number > item.alert_above) or (item.alert_below is not None and number < item.alert_below)
    return False


def submit_questionnaire(user, enrolment: Enrolment, questionnaire_code: str, raw_answers: dict, *,
                         clock: Clock | None = None, channel: str = "web") -> QuestionnaireAnswer:
    """Store a QuestionnaireResponse; answers crossing a threshold raise an alert to the doctor.

    The patient answers for himself (his own enrolment); care professionals may enter answers for him.
    """
    if not (enrolment.patient.user_id == getattr(user, "pk", None)):
        permissions.require(user, "update", enrolment, channel=channel)
    else:
        permissions.require(user, "read", enrolment, channel=channel)
    programme = _require_open(enrolment, "questionnaire")
    questionnaire = programme.questionnaire(questionnaire_code)
    if questionnaire is None:
        _fail("questionnaire", _("Questionnaire inconnu pour ce programme."))
    answers, errors, crossed = {}, {}, []
    for item in questionnaire.items:
        value, error = _typed_answer(item, raw_answers.get(item.link_id))
        if error:
            errors[item.link_id] = [error]
        elif value is not None:
            answers[item.link_id] = value
            if item_alerts(item, value):
                crossed.append(item.text)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        response = QuestionnaireAnswer.objects.create(
            enrolment=enrolment, questionnaire=questionnaire.code, answers=answers, authored_at=now(clock), author=user
        )
        if crossed:
            message = _("%(title)s : réponse à surveiller (%(items)s).") % {"title": questionnaire.title, "items": "; ".join(crossed)}
            _raise_alert(enrolment, Alert.Kind.QUESTIONNAIRE, message[:300], clock)
    return response


# --- Alerts ---------------------------------------------------------------------------------------------
def _raise_alert(enrolment: Enrolment, kind: str, message: str, clock: Clock | None) -> Alert:
    """Store the alert and notify the monitoring doctor (no health detail in the e-mail: a link)."""
    alert = Alert.objects.create(enrolment=enrolment, kind=kind, message=message[:300], raised_at=now(clock))
    programme = config.programme(enrolment.programme)
    notify(
        enrolment.monitoring_doctor, kind="telehealth.alert",
        title=_("Télésurveillance %(programme)s : une alerte attend votre lecture") % {"programme": programme.name.split(" — ")[0]},
        body=_("Ouvrez la liste de travail de télésurveillance pour la consulter."),
        link=reverse("telehealth:enrolment", args=[enrolment.pk]),
    )
    return alert


def acknowledge_alert(user, alert: Alert, *, clock: Clock | None = None, channel: str = "web") -> Alert:
    permissions.require(user, "update", alert.enrolment, channel=channel)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now(clock), user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert


# --- Acts -------------------------------------------------------------------------------------------------
def record_act(*, kind: str, patient, professional, party: str, performed_at: dt.datetime, source: str = "",
               code: str | None = None) -> Act:
    """An act with its billing code for the party (from the reference data, or ``code``) and the tariff
    of that day; an amount the reference does not confirm stays flagged ``amount_unconfirmed``."""
    code = config.reference().acts.get(kind, {}).get(party, "") if code is None else code
    tariff = config.tariff_on(code, performed_at.date()) if code else None
    return Act.objects.create(
        kind=kind, patient=patient, professional=professional, party=party, billing_code=code,
        amount=tariff.amount if tariff else None, amount_unconfirmed=bool(tariff and tariff.unconfirmed),
        performed_at=performed_at, source=source[:60],
    )


# --- Télésoin ------------------------------------------------------------------------------------------
def telesoin_allowed(user) -> bool:
    professional = directory_selectors.professional_of_user(user)
    return bool(professional and professional.active and professional.profession_code in config.reference().telesoin_professions)


def record_telesoin(user, patient, *, performed_at: dt.datetime | None = None, clock: Clock | None = None,
                    channel: str = "web") -> Act:
    """A télésoin act: only pharmacists and auxiliaires médicaux (profession codes as data)."""
    if not telesoin_allowed(user):
        professional = directory_selectors.professional_of_user(user)
        label = professional.profession_label if professional else _("sans profession dans l'annuaire")
        _fail("professional", _("Le télésoin est réservé aux pharmaciens et aux auxiliaires médicaux ; votre profession (%(label)s) n'y est pas autorisée.") % {"label": label})
    permissions.require(user, "read", patient, channel=channel, justification="télésoin")
    moment = performed_at or now(clock)
    return record_act(kind=Act.Kind.TELESOIN, patient=patient, professional=user, party="professional", performed_at=moment)


# --- Tele-expertise ---------------------------------------------------------------------------------------
def resolve_expert(idnat_ps: str):
    """The account of an active professional of the directory, or a clear error naming the identifier."""
    professional = directory_selectors.active_professional_by_idnat(selectors.idnat_of((idnat_ps or "").strip()))
    if professional is None or professional.user_id is None or not professional.user.is_active:
        _fail("expert", _("Expert inconnu : aucun professionnel actif ayant un compte ne porte l'identifiant « %(id)s » dans l'annuaire.")
              % {"id": (idnat_ps or "").strip()[:20]})
    return professional.user


def resolve_team(finess: str):
    organisation = selectors.active_organisation_by_finess((finess or "").strip())
    if organisation is None:
        _fail("expert_team", _("Équipe experte inconnue : aucune structure active ne porte le FINESS « %(id)s ».") % {"id": (finess or "").strip()[:20]})
    return organisation


def send_expertise_request(user, *, patient, question: str, clinical_context: str, expert=None, expert_team=None,
                           attachments=(), clock: Clock | None = None, channel: str = "web") -> ExpertiseRequest:
    """A structured asynchronous request to an expert or an expert team, with checked attachments."""
    if expert is None and expert_team is None:
        _fail("expert", _("Choisissez un expert ou une équipe experte."))
    if expert is not None and expert.pk == user.pk:
        _fail("expert", _("Vous ne pouvez pas vous adresser une demande de téléexpertise."))
    if not question.strip() or not clinical_context.strip():
        _fail("question" if not question.strip() else "clinical_context", _("Ce champ est obligatoire."))
    moment = now(clock)
    request = ExpertiseRequest(
        patient=patient, requester=user, expert=expert, expert_team=expert_team, question=question.strip()[:5000],
        clinical_context=clinical_context.strip()[:10000], sent_at=moment,
        due_at=moment + dt.timedelta(days=config.reference().expertise_answer_days),
    )
    permissions.require(user, "create", request, channel=channel)
    checked = _check_files(attachments, allowed=ATTACHMENTS, field="attachments")
    with transaction.atomic():
        request.save()
        for name, data, info in checked:
            ExpertiseAttachment.objects.create(request=request, **_store(f"expertise/{request.pk}", name, data, info, user))
        _notify_experts(request)
    return request


def _expert_accounts(request: ExpertiseRequest) -> list:
    if request.expert is not None:
        return [request.expert]
    return selectors.accounts_of_organisation(request.expert_team)


def _notify_experts(request: ExpertiseRequest) -> None:
    notify_many(
        _expert_accounts(request), kind="telehealth.expertise", title=_("Nouvelle demande de téléexpertise"),
        body=_("Une demande d'avis vous est adressée sur la plateforme de télésanté."),
        link=reverse("telehealth:expertise", args=[request.pk]),
    )


def _require_expert(user, request: ExpertiseRequest, channel: str) -> None:
    permissions.require(user, "update", request, channel=channel)
    if not selectors.is_expert_of(user, request):
        raise PermissionDenied(_("Seul l'expert sollicité peut répondre à cette demande."))


def _transition(request: ExpertiseRequest, allowed_from: set[str]):
    if request.status not in allowed_from:
        _fail("__all__", _("Cette demande est « %(status)s » : l'action n'est plus possible.") % {"status": request.get_status_display()})


def accept_expertise(user, request: ExpertiseRequest, *, clock: Clock | None = None, channel: str = "web") -> ExpertiseRequest:
    _require_expert(user, request, channel)
    _transition(request, {ExpertiseRequest.Status.SENT})
    request.status, request.accepted_at, request.expert = ExpertiseRequest.Status.ACCEPTED, now(clock), request.expert or user
    request.save(update_fields=["status", "accepted_at", "expert", "updated_at"])
    return request


def decline_expertise(user, request: ExpertiseRequest, *, reason: str, clock: Clock | None = None, channel: str = "web") -> ExpertiseRequest:
    _require_expert(user, request, channel)
    _transition(request, {ExpertiseRequest.Status.SENT, ExpertiseRequest.Status.ACCEPTED})
    if not reason.strip():
        _fail("reason", _("Indiquez le motif du refus."))
    with transaction.atomic():
        request.status, request.decline_reason, request.answered_at = ExpertiseRequest.Status.DECLINED, reason.strip()[:300], now(clock)
        request.save(update_fields=["status", "decline_reason", "answered_at", "updated_at"])
        notify(request.requester, kind="telehealth.expertise", title=_("Demande de téléexpertise déclinée"),
               link=reverse("telehealth:expertise", args=[request.pk]))
    return request


def answer_expertise(user, request: ExpertiseRequest, *, answer: str, clock: Clock | None = None, channel: str = "web") -> ExpertiseRequest:
    """The expert's answer; the two acts (requester RQD, expert TE2) are recorded with the day's tariff."""
    _require_expert(user, request, channel)
    _transition(request, {ExpertiseRequest.Status.SENT, ExpertiseRequest.Status.ACCEPTED})
    if not answer.strip():
        _fail("answer", _("La réponse ne peut pas être vide."))
    moment = now(clock)
    with transaction.atomic():
        request.status, request.answer, request.answered_at, request.answered_by = ExpertiseRequest.Status.ANSWERED, answer.strip()[:10000], moment, user
        request.accepted_at = request.accepted_at or moment
        request.expert = request.expert or user
        request.save()
        source = f"expertise:{request.pk}"
        record_act(kind=Act.Kind.TELEEXPERTISE, patient=request.patient, professional=request.requester, party="requester", performed_at=moment, source=source)
        record_act(kind=Act.Kind.TELEEXPERTISE, patient=request.patient, professional=user, party="expert", performed_at=moment, source=source)
        notify(request.requester, kind="telehealth.expertise", title=_("Réponse à votre demande de téléexpertise"),
               link=reverse("telehealth:expertise", args=[request.pk]))
    return request


# --- Urgent tele-advice ---------------------------------------------------------------------------------
def add_shift(user, *, specialty_code: str, expert, starts_at: dt.datetime, ends_at: dt.datetime, rank: int = 1) -> OnCallShift:
    """A slot of the on-call roster; the expert must practise the specialty according to the directory."""
    if not selectors.is_roster_manager(user):
        raise PermissionDenied(_("Le tableau d'astreinte est tenu par l'agence ou les coordonnateurs."))
    if ends_at <= starts_at:
        _fail("ends_at", _("La fin de l'astreinte doit suivre son début."))
    if specialty_code not in selectors.specialties_of(expert):
        _fail("expert", _("Cet expert n'exerce pas la spécialité %(code)s selon l'annuaire.") % {"code": specialty_code})
    if rank < 1:
        _fail("rank", _("Le rang d'appel commence à 1."))
    return OnCallShift.objects.create(specialty_code=specialty_code, expert=expert, starts_at=starts_at, ends_at=ends_at, rank=rank)


def open_urgent_request(user, *, patient, specialty_code: str, reason: str, clock: Clock | None = None,
                        channel: str = "web") -> UrgentRequest:
    """Ring the first on-call expert of the specialty; nobody on call → refused, nothing stored."""
    moment = now(clock)
    if not reason.strip():
        _fail("reason", _("Décrivez la situation en quelques mots."))
    request = UrgentRequest(patient=patient, specialty_code=specialty_code, requester=user, reason=reason.strip()[:2000], created_at=moment)
    permissions.require(user, "create", request, channel=channel)
    shift = selectors.next_on_call(specialty_code, moment, exclude_experts=[user.pk])
    if shift is None:
        _fail("specialty_code", _("Aucun expert n'est d'astreinte en %(code)s en ce moment.") % {"code": specialty_code})
    with transaction.atomic():
        request.save()
        UrgentEvent.objects.create(request=request, at=moment, kind=UrgentEvent.Kind.CREATED, expert=None)
        _ring(request, shift, moment, UrgentEvent.Kind.RANG)
    return request


def _ring(request: UrgentRequest, shift: OnCallShift, moment: dt.datetime, kind: str) -> None:
    request.ringing = shift
    request.escalation_due_at = moment + config.escalation_delay(request.specialty_code)
    request.save(update_fields=["ringing", "escalation_due_at", "updated_at"])
    UrgentEvent.objects.create(request=request, at=moment, kind=kind, expert=shift.expert)
    notify(shift.expert, kind="telehealth.urgent", title=_("Téléavis urgent : un confrère vous appelle"),
           body=_("Répondez depuis la plateforme de télésanté."), link=reverse("telehealth:urgent", args=[request.pk]),
           sms=bool(selectors.phone_of(shift.expert)), phone=selectors.phone_of(shift.expert),
           sms_text=_("ENRS : téléavis urgent en attente de votre réponse."))


def accept_urgent(user, request: UrgentRequest, *, clock: Clock | None = None, channel: str = "web") -> UrgentRequest:
    """The rung expert takes the request; the act is recorded."""
    moment = now(clock)
    with transaction.atomic():
        request = UrgentRequest.objects.select_for_update().get(pk=request.pk)
        permissions.require(user, "update", request, channel=channel)
        if request.ringing is None or request.ringing.expert_id != user.pk:
            raise PermissionDenied(_("Cet appel ne vous est pas (ou plus) adressé."))
        if request.status != UrgentRequest.Status.RINGING:
            _fail("__all__", _("Cette demande est « %(status)s » : l'action n'est plus possible.") % {"status": request.get_status_display()})
        request.status, request.closed_at, request.escalation_due_at = UrgentRequest.Status.ACCEPTED, moment, None
        request.save(update_fields=["status", "closed_at", "escalation_due_at", "updated_at"])
        UrgentEvent.objects.create(request=request, at=moment, kind=UrgentEvent.Kind.ACCEPTED, expert=user)
        record_act(kind=Act.Kind.URGENT, patient=request.patient, professional=user, party="expert", performed_at=moment, source=f"urgent:{request.pk}")
        notify(request.requester, kind="telehealth.urgent", title=_("Téléavis urgent : un expert a pris votre appel"),
               link=reverse("telehealth:urgent", args=[request.pk]))
    return request


def run_due_escalations(*, clock: Clock | None = None) -> int:
    """Escalate every ringing request whose delay ran out; returns how many moved."""
    moment = now(clock)
    moved = 0
    due = UrgentRequest.objects.filter(status=UrgentRequest.Status.RINGING, escalation_due_at__lte=moment).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            request = UrgentRequest.objects.select_for_update().get(pk=pk)
            if request.status != UrgentRequest.Status.RINGING or request.escalation_due_at > moment:
                continue  # answered or escalated by another worker meanwhile
            _escalate(request, moment)
            moved += 1
    return moved


def _escalate(request: UrgentRequest, moment: dt.datetime) -> None:
    rung = list(request.events.exclude(expert=None).values_list("expert_id", flat=True))
    shift = selectors.next_on_call(request.specialty_code, moment, exclude_experts=[*rung, request.requester_id])
    if shift is not None:
        _ring(request, shift, moment, UrgentEvent.Kind.ESCALATED)
        return
    request.status, request.closed_at, request.escalation_due_at, request.ringing = UrgentRequest.Status.EXHAUSTED, moment, None, None
    request.save(update_fields=["status", "closed_at", "escalation_due_at", "ringing", "updated_at"])
    UrgentEvent.objects.create(request=request, at=moment, kind=UrgentEvent.Kind.EXHAUSTED)
    notify(request.requester, kind="telehealth.urgent", title=_("Téléavis urgent : aucun expert d'astreinte n'a répondu"),
           body=_("Appelez le centre de régulation (15) ou l'établissement de recours."), link=reverse("telehealth:urgent", args=[request.pk]))


# --- e-RCP / e-Staff ------------------------------------------------------------------------------------------
def schedule_meeting(user, *, kind: str, title: str, scheduled_at: dt.datetime, participants=(), organisation=None) -> Meeting:
    if directory_selectors.professional_of_user(user) is None:
        raise PermissionDenied(_("Seul un professionnel de l'annuaire peut organiser une réunion."))
    if kind not in Meeting.Kind.values:
        _fail("kind", _("Type de réunion inconnu."))
    if not title.strip():
        _fail("title", _("Ce champ est obligatoire."))
    with transaction.atomic():
        meeting = Meeting.objects.create(kind=kind, title=title.strip()[:200], scheduled_at=scheduled_at, organiser=user, organisation=organisation)
        meeting.participants.set([p for p in participants if p.pk != user.pk])
    return meeting


def add_case(user, meeting: Meeting, *, patient, question: str, channel: str = "web") -> MeetingCase:
    """Put a patient on the case list; the presenter must reach the patient (care team) and take part."""
    if not selectors.takes_part(user, meeting):
        raise PermissionDenied(_("Vous ne participez pas à cette réunion."))
    if not question.strip():
        _fail("question", _("Ce champ est obligatoire."))
    case = MeetingCase(meeting=meeting, patient=patient, presenter=user, question=question.strip()[:5000],
                       position=meeting.cases.count() + 1)
    permissions.require(user, "create", case, channel=channel)
    case.save()
    return case


def attach_case_document(user, case: MeetingCase, *, name: str, data: bytes, channel: str = "web") -> CaseDocument:
    permissions.require(user, "update", case, channel=channel)
    ((name, data, checked),) = _check_files([(name, data)], allowed=ATTACHMENTS | {"text/xml"}, field="document")
    return CaseDocument.objects.create(case=case, **_store(f"rcp/{case.pk}", name, data, checked, user))


def record_decision(user, case: MeetingCase, *, decision: str, clock: Clock | None = None, channel: str = "web") -> MeetingCase:
    permissions.require(user, "update", case, channel=channel)
    if not selectors.takes_part(user, case.meeting):
        raise PermissionDenied(_("Vous ne participez pas à cette réunion."))
    if not decision.strip():
        _fail("decision", _("La décision ne peut pas être vide."))
    case.decision, case.decided_at, case.decided_by = decision.strip()[:10000], now(clock), user
    case.save(update_fields=["decision", "decided_at", "decided_by", "updated_at"])
    return case
