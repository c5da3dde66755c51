"""Who may send RPU files, read quality reports and see quarantined passages.

- Agency administrators and observatory analysts *without* an organisation in their
  assignment are regional analysts: every establishment, every dashboard.
- An ``observatory_analyst`` assignment *for an organisation* is the establishment's
  own staff (DIM, emergency department): files, reports and quarantine of that
  organisation and of the establishments of the same legal entity only.
Quarantined passages are personal health data (age, sex, diagnoses, commune): each
display goes through ``require`` and leaves a line in the access trail.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enrs.access import selectors as access
from enrs.access.models import Role
from enrs.core import permissions
from enrs.core.permissions import Basis
from enrs.directory.selectors import establishments_of, organisation_detail


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_regional_analyst(user) -> bool:
    if not _active(user):
        return False
    if access.has_role(user, Role.AGENCY_ADMIN):
        return True
    return access.assignments_of(user).filter(role=Role.OBSERVATORY_ANALYST, organisation=None).exists()


def scoped_organisation_ids(user) -> set[int]:
    """Organisations (and their legal entity's establishments) an establishment analyst works for."""
    if not _active(user):
        return set()
    ids = set(
        access.assignments_of(user).filter(role=Role.OBSERVATORY_ANALYST).exclude(organisation=None)
        .values_list("organisation_id", flat=True)
    )
    for pk in list(ids):
        organisation = organisation_detail(pk)
        ids |= set(establishments_of(organisation).values_list("pk", flat=True))
        if organisation.legal_entity_id:
            ids.add(organisation.legal_entity_id)
            ids |= set(establishments_of(organisation.legal_entity).values_list("pk", flat=True))
    return ids


def may_send_for(user, organisation) -> bool:
    return is_regional_analyst(user) or (organisation is not None and organisation.pk in scoped_organisation_ids(user))


def _basis(user, organisation_id: int | None) -> Basis | None:
    if is_regional_analyst(user):
        role = Role.AGENCY_ADMIN if access.has_role(user, Role.AGENCY_ADMIN) else Role.OBSERVATORY_ANALYST
        return Basis(role=role)
    if organisation_id is not None and organisation_id in scoped_organisation_ids(user):
        return Basis(role=Role.OBSERVATORY_ANALYST, organisation_id=organisation_id)
    return None


class RpuFileRule(permissions.Rule):
    actions = frozenset({"read", "create", "export", "print"})
    denied_message = _("Vous n'êtes pas habilité à consulter les fichiers RPU de cet établissement.")

    def basis(self, user, action, obj):
        return _basis(user, obj.organisation_id)

    def filter(self, user, action, queryset: QuerySet) -> QuerySet:
        if is_regional_analyst(user):
            return queryset
        return queryset.filter(organisation_id__in=scoped_organisation_ids(user))


class QuarantinedRecordRule(permissions.Rule):
    actions = frozenset({"read", "export"})
    personal_health_data = True
    denied_message = _("Vous n'êtes pas habilité à consulter les passages de cet établissement.")

    def patient_id(self, obj):
        return None  # RPU are not linked to an identified patient

    def basis(self, user, action, obj):
        return _basis(user, obj.file.organisation_id)

    def filter(self, user, action, queryset: QuerySet) -> QuerySet:
        if is_regional_analyst(user):
            return queryset
        return queryset.filter(Q(file__organisation_id__in=scoped_organisation_ids(user)))


class AntibioImportRule(RpuFileRule):
    """NormAntiBio files: same habilitations as RPU files (the sender organisation, or regional analysts).

    A file naming several organisations has no single organisation: regional analysts only.
    """

    denied_message = _("Vous n'êtes pas habilité à consulter cet envoi NormAntiBio.")


def register() -> None:
    permissions.register_rule("observatory.RpuFile", RpuFileRule())
    permissions.register_rule("observatory.AntibioImport", AntibioImportRule())
    permissions.register_rule("observatory.QuarantinedRecord", QuarantinedRecordRule())
