"""FHIR R4 Questionnaire (from the programme data) and QuestionnaireResponse (from a stored
answer), validated by fhir.resources (R4B models, as the rest of ENRS)."""

from __future__ import annotations

from django.urls import reverse
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

FHIR_TYPES = {"boolean": "boolean", "integer": "integer", "decimal": "decimal", "text": "text"}
CANONICAL = "https://enrs.example/fhir/Questionnaire"


def canonical(programme_code: str, code: str) -> str:
    return f"{CANONICAL}/{programme_code}-{code}"


def questionnaire(programme, definition) -> Questionnaire:
    items = []
    for item in definition.items:
        entry = {"linkId": item.link_id, "text": item.text, "type": FHIR_TYPES[item.type], "required": item.required}
        items.append(entry)
    return Questionnaire(
        id=f"{programme.code}-{definition.code}", url=canonical(programme.code, definition.code), status="active",
        title=definition.title, subjectType=["Patient"], item=items,
    )


def _value(item_type: str, value) -> dict:
    if item_type == "boolean":
        return {"valueBoolean": bool(value)}
    if item_type == "integer":
        return {"valueInteger": int(value)}
    if item_type == "decimal":
        return {"valueDecimal": str(value)}
    return {"valueString": str(value)}


def questionnaire_response(answer, definition) -> QuestionnaireResponse:
    """``answer`` is a stored QuestionnaireAnswer; ``definition`` its questionnaire."""
    types = {item.link_id: item.type for item in definition.items}
    items = [
        {"linkId": link_id, "answer": [_value(types[link_id], value)]}
        for link_id, value in answer.answers.items() if link_id in types
    ]
    return QuestionnaireResponse(
        id=str(answer.pk), questionnaire=canonical(answer.enrolment.programme, answer.questionnaire), status="completed",
        subject={"reference": f"Patient/{answer.enrolment.patient_id}"}, authored=answer.authored_at.isoformat(),
        item=items or None,
    )


def questionnaire_link(programme_code: str, code: str) -> str:
    return reverse("telehealth:questionnaire_fhir", args=[programme_code, code])
