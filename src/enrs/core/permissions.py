"""The permission API every module uses: ``can``, ``filter_allowed``, ``require``.

Object rules are registered by the apps that own them (``register_rule`` at
``AppConfig.ready()``) so that ``core`` imports no service app. The registry is
keyed by model label and action; a model or an action without a rule is
denied (fail closed), and so is an anonymous or inactive user.

``require`` is the gate of every view, API, export and admin screen: it raises
``PermissionDenied`` with a French message, and, when the object is personal
health data, leaves a line in the access trail (reads included) with the
channel and the basis of the access (role, organisation, break-glass).

Service rules (``service_open``) read the service registry: a service is open
to an organisation by its collège; the membership issue adds its pack check
through ``register_service_check`` without changing the callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

ACTIONS = frozenset({"read", "create", "update", "delete", "export", "print", "search"})
CHANNELS = frozenset({"web", "api", "fhir", "hl7", "admin", "cli"})


@dataclass(frozen=True)
class Basis:
    """Why an access is allowed: recorded with the access in the trail."""

    role: str = ""
    organisation_id: int | None = None
    break_glass: bool = False
    justification: str = ""


class Rule:
    """Base of an object rule; subclasses override ``basis`` and ``filter``.

    ``basis`` returns ``None`` to deny. ``filter`` must return exactly the rows
    for which ``basis`` is not ``None`` (the property tests check it), as a
    queryset filter so that lists stay one SQL query.
    """

    actions: frozenset[str] = frozenset()
    personal_health_data: bool = False
    denied_message: str = ""

    def basis(self, user, action: str, obj) -> Basis | None:
        return None

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        return queryset.none()

    def patient_id(self, obj) -> int | None:
        """The patient the object belongs to, for the access trail."""
        return getattr(obj, "patient_id", None)


_rules: dict[tuple[str, str], Rule] = {}


def register_rule(model_label: str, rule: Rule) -> None:
    """Register ``rule`` for every action it declares on ``model_label`` ("app.Model")."""
    unknown = set(rule.actions) - ACTIONS
    if unknown:
        raise ValueError(f"unknown actions {sorted(unknown)} for {model_label}")
    for action in rule.actions:
        _rules[(model_label, action)] = rule


def unregister_rule(model_label: str) -> None:
    """Tests only: forget every rule of ``model_label``."""
    for key in [key for key in _rules if key[0] == model_label]:
        del _rules[key]


def rule_for(model_label: str, action: str) -> Rule | None:
    return _rules.get((model_label, action))


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {sorted(ACTIONS)}")


def _is_active_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _label(obj) -> str:
    if isinstance(obj, Model) or (isinstance(obj, type) and issubclass(obj, Model)):
        return obj._meta.label
    raise TypeError(f"the permission API checks model instances, not {type(obj).__name__}")


def basis(user, action: str, obj) -> Basis | None:
    """The basis on which ``user`` may do ``action`` on ``obj``, or ``None``."""
    _check_action(action)
    rule = rule_for(_label(obj), action)
    if rule is None or not _is_active_user(user):
        return None
    return rule.basis(user, action, obj)


def can(user, action: str, obj) -> bool:
    return basis(user, action, obj) is not None


def filter_allowed(user, action: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` may do ``action`` (a queryset, not a list)."""
    _check_action(action)
    rule = rule_for(queryset.model._meta.label, action)
    if rule is None or not _is_active_user(user):
        return queryset.none()
    return rule.filter(user, action, queryset)


def is_personal_health_data(obj) -> bool:
    rule = next((r for (label, _a), r in _rules.items() if label == _label(obj)), None)
    return bool(rule and rule.personal_health_data)


def require(user, action: str, obj, *, channel: str, request=None, justification: str = "") -> None:
    """Raise PermissionDenied unless ``user`` may do ``action`` on ``obj``; trail the access."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {sorted(CHANNELS)}")
    granted = basis(user, action, obj)
    rule = rule_for(_label(obj), action)
    if granted is None:
        message = (rule.denied_message if rule and rule.denied_message else "") or _(
            "Vous n'avez pas le droit d'accéder à cet élément."
        )
        raise PermissionDenied(message)
    if rule.personal_health_data:
        _trail(user, action, obj, rule, granted, channel=channel, request=request, justification=justification)


def _trail(user, action, obj, rule: Rule, granted: Basis, *, channel, request, justification) -> None:
    from enrs.core import audit  # late: audit's models load after the app registry

    audit.record(
        actor=user,
        action=action,
        channel=channel,
        patient_id=rule.patient_id(obj),
        object_type=obj._meta.label,
        object_id=str(obj.pk) if obj.pk is not None else "",
        organisation_id=granted.organisation_id,
        role=granted.role,
        justification=justification or granted.justification,
        break_glass=granted.break_glass,
        request=request,
    )


# --- Service rules --------------------------------------------------------------------------
CollegeResolver = Callable[[Any], Iterable[str]]
ServiceCheck = Callable[[Any, Any], bool]

_college_resolver: CollegeResolver | None = None
_service_checks: list[ServiceCheck] = []


def register_college_resolver(resolver: CollegeResolver) -> None:
    """Tell core how to find the collèges of a user (the access app knows his organisations)."""
    global _college_resolver
    _college_resolver = resolver


def register_service_check(check: ServiceCheck) -> None:
    """Add a condition every service must meet, e.g. the membership issue's pack subscription.

    ``check(subject, service) -> bool``; all checks must pass.
    """
    if check not in _service_checks:
        _service_checks.append(check)


def colleges_of(subject) -> set[str]:
    """Collèges of an organisation (its own) or of a user (through the registered resolver)."""
    if hasattr(subject, "college") and not hasattr(subject, "is_authenticated"):
        return {subject.college} if subject.college else set()
    if _college_resolver is None or not _is_active_user(subject):
        return set()
    return {c for c in _college_resolver(subject) if c}


def service_open(organisation_or_user, service_code: str) -> bool:
    """Whether the service ``service_code`` is open to an organisation or a user."""
    from enrs.core.services_registry import services_for

    colleges = colleges_of(organisation_or_user)
    open_services = (s for audience in ("pro", "patient", "public") for s in services_for(colleges, audience))
    service = next((s for s in open_services if s.code == service_code), None)
    if service is None:
        return False
    return passes_service_checks(organisation_or_user, service)


def passes_service_checks(organisation_or_user, service) -> bool:
    """The registered conditions (membership, packs) for a service already open by collège."""
    return all(check(organisation_or_user, service) for check in _service_checks)
