"""Telehealth reads: worklists, counts, rosters, the life line. Patient rows only through
``permissions.filter_allowed`` (lists) or ``require`` (one object, trailed, in the views)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.access.models import Role
from enrs.access.selectors import has_role
from enrs.core import permissions
from enrs.core.lifeline import LifelineEntry
from enrs.directory import selectors as directory_selectors
from enrs.directory.models import Organisation, PracticeSituation
from enrs.identity.models import Patient
from enrs.telehealth import config
from enrs.telehealth.models import (
    Act,
    Alert,
    Enrolment,
    ExpertiseRequest,
    InrResult,
    Meeting,
    MeetingCase,
    OnCallShift,
    QuestionnaireAnswer,
    UrgentRequest,
)


# --- Directory look-ups ------------------------------------------------------------------------------
def idnat_of(identifier: str) -> str:
    """idNatPS from an RPPS (11 digits → "8" + RPPS) or an idNatPS given as is."""
    return f"8{identifier}" if len(identifier) == 11 and identifier.isdigit() else identifier


def active_organisation_by_finess(finess: str) -> Organisation | None:
    return Organisation.objects.filter(finess=finess.upper(), active=True).first() if finess else None


def accounts_of_organisation(organisation: Organisation) -> list:
    return [s.professional.user for s in directory_selectors.situations_in(organisation) if s.professional.user_id]


def specialties_of(user) -> set[str]:
    professional = directory_selectors.professional_of_user(user)
    if professional is None or not professional.active:
        return set()
    return set(PracticeSituation.objects.filter(professional=professional, active=True).exclude(specialty_code="").values_list("specialty_code", flat=True))


def phone_of(user) -> str:
    professional = directory_selectors.professional_of_user(user)
    if professional is None:
        return ""
    return PracticeSituation.objects.filter(professional=professional, active=True).exclude(phone="").values_list("phone", flat=True).first() or ""


def is_roster_manager(user) -> bool:
    return has_role(user, Role.AGENCY_ADMIN, Role.COORDINATOR)


def is_expert_of(user, request: ExpertiseRequest) -> bool:
    if request.expert_id is not None:
        return request.expert_id == user.pk
    professional = directory_selectors.professional_of_user(user)
    return any(o.pk == request.expert_team_id for o in directory_selectors.organisations_of(professional))


def takes_part(user, meeting: Meeting) -> bool:
    return meeting.organiser_id == user.pk or meeting.participants.filter(pk=user.pk).exists()


# --- Telemonitoring ----------------------------------------------------------------------------------
def enrolments_for(user) -> QuerySet[Enrolment]:
    return permissions.filter_allowed(user, "read", Enrolment.objects.select_related("patient", "monitoring_doctor"))


def worklist(user) -> QuerySet[Alert]:
    """Unacknowledged alerts of the enrolments ``user`` may act on, oldest first."""
    enrolments = permissions.filter_allowed(user, "update", Enrolment.objects.filter(ended_at=None))
    return (
        Alert.objects.filter(enrolment__in=enrolments.values("pk"), acknowledged_at=None)
        .select_related("enrolment", "enrolment__patient")
        .order_by("raised_at", "pk")
    )


def programme_counts(at: dt.datetime) -> list[dict]:
    """Per programme: patients followed now, open alerts, results of the last 30 days (no names)."""
    rows = []
    since = at - dt.timedelta(days=30)
    for programme in config.programmes():
        active = Enrolment.objects.filter(programme=programme.code, started_at__lte=at).filter(Q(ended_at=None) | Q(ended_at__gt=at))
        rows.append({
            "programme": programme,
            "active": active.count(),
            "open_alerts": Alert.objects.filter(enrolment__programme=programme.code, acknowledged_at=None).count(),
            "inr_results": InrResult.objects.filter(enrolment__programme=programme.code, measured_at__gte=since).count(),
            "answers": QuestionnaireAnswer.objects.filter(enrolment__programme=programme.code, authored_at__gte=since).count(),
        })
    return rows


def questionnaires_due(enrolment: Enrolment, at: dt.datetime) -> list[dict]:
    """Each questionnaire of the programme with its last answer and whether it is due now."""
    programme = config.programme(enrolment.programme)
    if programme is None or enrolment.ended_at is not None:
        return []
    rows = []
    for questionnaire in programme.questionnaires:
        last = enrolment.answers.filter(questionnaire=questionnaire.code).order_by("-authored_at").values_list("authored_at", flat=True).first()
        next_due = (last + dt.timedelta(days=questionnaire.every_days)) if last else enrolment.started_at
        rows.append({"questionnaire": questionnaire, "last": last, "next_due": next_due, "due": next_due <= at})
    return rows


def patient_enrolments(user) -> QuerySet[Enrolment]:
    """The patient's own open enrolments (portal)."""
    return Enrolment.objects.filter(patient__user=user, ended_at=None).order_by("started_at", "pk")


# --- Tele-expertise -----------------------------------------------------------------------------------
def expertise_requests_for(user) -> QuerySet[ExpertiseRequest]:
    return permissions.filter_allowed(user, "read", ExpertiseRequest.objects.select_related("patient", "requester", "expert", "expert_team"))


def is_late(request: ExpertiseRequest, at: dt.datetime) -> bool:
    return request.status in {ExpertiseRequest.Status.SENT, ExpertiseRequest.Status.ACCEPTED} and at > request.due_at


# --- Urgent tele-advice ----------------------------------------------------------------------------------
def on_call(specialty_code: str, at: dt.datetime) -> QuerySet[OnCallShift]:
    return OnCallShift.objects.filter(specialty_code=specialty_code, starts_at__lte=at, ends_at__gt=at, expert__is_active=True).order_by("rank", "pk")


def next_on_call(specialty_code: str, at: dt.datetime, *, exclude_experts=()) -> OnCallShift | None:
    return on_call(specialty_code, at).exclude(expert_id__in=list(exclude_experts)).select_related("expert").first()


def urgent_requests_for(user) -> QuerySet[UrgentRequest]:
    return permissions.filter_allowed(user, "read", UrgentRequest.objects.select_related("patient", "requester", "ringing__expert"))


# --- e-RCP ------------------------------------------------------------------------------------------------
def meetings_for(user) -> QuerySet[Meeting]:
    return Meeting.objects.filter(Q(organiser=user) | Q(participants=user)).distinct()


def cases_of(user, meeting: Meeting) -> QuerySet[MeetingCase]:
    return permissions.filter_allowed(user, "read", meeting.cases.select_related("patient", "presenter", "decided_by"))


# --- Acts --------------------------------------------------------------------------------------------------
def act_counts(user, *, year: int) -> list[dict]:
    """Acts per month and type (no names): every act for the agency, one's own acts otherwise."""
    acts = Act.objects.filter(performed_at__year=year)
    if not has_role(user, Role.AGENCY_ADMIN):
        acts = acts.filter(professional=user)
    rows = acts.annotate(month=TruncMonth("performed_at")).values("month", "kind", "billing_code").annotate(count=Count("pk")).order_by("month", "kind", "billing_code")
    labels = dict(Act.Kind.choices)
    return [{**row, "kind_label": labels.get(row["kind"], row["kind"])} for row in rows]


def monthly_act_counts(first: dt.date, last: dt.date, *, kind: str, party: str = "") -> list[tuple[dt.date, int | None, int]]:
    """Acts of ``kind`` (and ``party``) performed in [first, last], as (month, organisation id, count).

    For activity reporting (Pilot-e), aggregates only. An act is counted for the organisation of
    its professional's oldest active practice situation in an active organisation (one
    organisation per act, so organisation figures add up to the region); ``None`` when the
    professional has none (counted for the region only).
    """
    acts = Act.objects.filter(kind=kind, performed_at__date__gte=first, performed_at__date__lte=last)
    if party:
        acts = acts.filter(party=party)
    rows = list(acts.annotate(month=TruncMonth("performed_at")).values("month", "professional_id").annotate(n=Count("pk")))
    home: dict[int, int] = {}
    situations = (PracticeSituation.objects.filter(professional__user_id__in={r["professional_id"] for r in rows}, active=True,
                                                   organisation__active=True)
                  .order_by("pk").values_list("professional__user_id", "organisation_id"))
    for user_id, organisation_id in situations:
        home.setdefault(user_id, organisation_id)
    totals: dict[tuple[dt.date, int | None], int] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        key = (month.replace(day=1), home.get(row["professional_id"]))
        totals[key] = totals.get(key, 0) + row["n"]
    return [(month, organisation_id, n) for (month, organisation_id), n in sorted(totals.items(), key=lambda i: (i[0][0], i[0][1] or 0))]


# --- Life line ----------------------------------------------------------------------------------------------
def lifeline_entries(patient, user):
    """Telemonitoring enrolments and answered tele-expertises of ``patient`` that ``user`` may read."""
    if not isinstance(patient, Patient) or patient.pk is None or not getattr(user, "is_authenticated", False):
        return []  # the registry is shared: other callers (and the kernel's tests) may pass anything
    entries = []
    for enrolment in permissions.filter_allowed(user, "read", Enrolment.objects.filter(patient=patient)):
        permissions.require(user, "read", enrolment, channel="web")  # trailed, as every provider must
        programme = config.programme(enrolment.programme)
        entries.append(LifelineEntry(
            when=enrolment.started_at, kind="telesurveillance", source="telehealth",
            title=_("Inclusion en télésurveillance : %(name)s") % {"name": programme.name if programme else enrolment.programme},
            link=reverse("telehealth:enrolment", args=[enrolment.pk]),
        ))
    answered = permissions.filter_allowed(user, "read", ExpertiseRequest.objects.filter(patient=patient, status=ExpertiseRequest.Status.ANSWERED))
    for request in answered:
        permissions.require(user, "read", request, channel="web")
        entries.append(LifelineEntry(when=request.answered_at, kind="teleexpertise", source="telehealth",
                                     title=_("Téléexpertise répondue"), link=reverse("telehealth:expertise", args=[request.pk])))
    return entries
