"""FHIR resources of telehealth under /fhir/: ``QuestionnaireResponse`` (read and search) for the
answers the requester may read; each resource served is trailed (channel fhir). The questionnaire
definitions themselves are served at /telesante/fhir/Questionnaire/<programme>/<code>/."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _lazy

from enrs.core import permissions
from enrs.fhir.registry import ResourceType, register
from enrs.telehealth import config, fhir_resources
from enrs.telehealth.models import Enrolment, QuestionnaireAnswer


def answers(request: HttpRequest | None) -> QuerySet[QuestionnaireAnswer]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return QuestionnaireAnswer.objects.none()
    enrolments = permissions.filter_allowed(user, "read", Enrolment.objects.all()).values("pk")
    return QuestionnaireAnswer.objects.filter(enrolment__in=enrolments).select_related("enrolment")


def response_resource(answer: QuestionnaireAnswer, request: HttpRequest | None = None):
    if request is not None:
        permissions.require(request.user, "read", answer.enrolment, channel="fhir", request=request)
    definition = config.programme(answer.enrolment.programme).questionnaire(answer.questionnaire)
    return fhir_resources.questionnaire_response(answer, definition)


register(ResourceType(
    name="QuestionnaireResponse",
    queryset=answers,
    to_fhir=response_resource,
    documentation=_lazy("Réponses aux questionnaires de télésurveillance, selon les habilitations du demandeur."),
))
