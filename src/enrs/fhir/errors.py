"""FHIR errors: one exception type carrying OperationOutcome issues and a status.

Every failure on /fhir/ ends as an OperationOutcome (see views.fhir_endpoint);
raising :class:`FhirError` anywhere below a view is the way to report one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from fhir.resources.R4B.operationoutcome import OperationOutcome


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue; ``code`` is a FHIR IssueType code."""

    code: str
    diagnostics: str
    severity: str = "error"
    expression: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        issue = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


class FhirError(Exception):
    """An error answered as an OperationOutcome with HTTP ``status``."""

    def __init__(self, status: int, issues: list[Issue] | Issue, *, headers: dict[str, str] | None = None):
        self.status = status
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        self.headers = headers or {}
        super().__init__("; ".join(issue.diagnostics for issue in self.issues))

    @classmethod
    def invalid(cls, message: str, *expression: str) -> FhirError:
        return cls(400, Issue("invalid", message, expression=expression))

    @classmethod
    def not_found(cls, message: str) -> FhirError:
        return cls(404, Issue("not-found", message))

    @classmethod
    def unknown_type(cls, type_name: str) -> FhirError:
        return cls(404, Issue("not-supported", _("Type de ressource inconnu ou non pris en charge : %(type)s.") % {"type": type_name}))

    @classmethod
    def method_not_allowed(cls, message: str, allowed: list[str]) -> FhirError:
        return cls(405, Issue("not-supported", message), headers={"Allow": ", ".join(allowed)})

    @classmethod
    def not_acceptable(cls, message: str) -> FhirError:
        return cls(406, Issue("not-supported", message))

    @classmethod
    def unsupported_media_type(cls, message: str) -> FhirError:
        return cls(415, Issue("not-supported", message))

    @classmethod
    def unprocessable(cls, issues: list[Issue]) -> FhirError:
        return cls(422, issues)


class InvalidSearchValue(ValueError):
    """A search value that cannot be understood; the caller names the parameter."""

    def __init__(self, message: str, code: str = "invalid"):
        self.code = code
        super().__init__(message)


def operation_outcome(issues: list[Issue]) -> OperationOutcome:
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": [i.as_dict() for i in issues]})
