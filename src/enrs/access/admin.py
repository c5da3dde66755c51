"""Back office for habilitations.

Roles are managed here by agency administrators. Care relationships, grants,
break-glass accesses and consents are shown read-only: they are written by
their services (which check and trail them), never edited by hand.
"""

from __future__ import annotations

from django.contrib import admin

from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, PatientConsent, RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organisation", "valid_from", "valid_until")
    list_filter = ("role",)
    search_fields = ("user__email", "user__last_name", "organisation__name")
    autocomplete_fields = ("user",)
    raw_id_fields = ("organisation",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CareRelationship)
class CareRelationshipAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "professional", "organisation", "role", "start", "end", "referent")
    list_select_related = ("professional", "organisation")


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "grantee", "granted_by", "created_at", "expires_at", "revoked_at")
    list_select_related = ("grantee", "granted_by")


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "user", "started_at", "expires_at", "reason")
    list_select_related = ("user",)


@admin.register(PatientConsent)
class PatientConsentAdmin(ReadOnlyAdmin):
    list_display = ("patient_id", "opposes_sharing", "opposes_break_glass", "updated_at")
