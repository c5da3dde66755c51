"""Agency back office for patient identities (foundation subset).

Kept minimal on purpose: identity vigilance (INS, RNIV statuses, merges) will
have its own screens; the admin only finds a patient and fixes a trait or the
account link. Like every screen on patient data it goes through the permission
API (``enrs.core.permissions``, rules of ``enrs.access``) on top of Django's
model permissions, and leaves a line in the access trail for each list, open,
change and deletion (channel "admin").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.core import audit, permissions, validators
from enrs.identity import services
from enrs.identity.models import Patient


class PatientAdminForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = "__all__"

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date and birth_date > timezone.localdate():
            raise ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        return birth_date

    def _clean_commune(self, field: str) -> str:
        value = self.cleaned_data.get(field) or ""
        return validators.validate_insee_commune(value) if value else ""

    def clean_birth_place_insee(self) -> str:
        return self._clean_commune("birth_place_insee")

    def clean_commune_insee(self) -> str:
        return self._clean_commune("commune_insee")


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    form = PatientAdminForm
    list_display = ("birth_name", "birth_first_names", "used_name", "birth_date", "sex", "city", "user")
    list_filter = ("sex", "source")
    search_fields = ("birth_name", "used_name", "birth_first_names", "used_first_name", "email", "city")
    # RNIV status, INS and evidence change only through the identity services (status grid, history):
    # the vigilance screens and the feeds; the admin shows them.
    readonly_fields = (
        "created_at", "updated_at", "birth_date_text", "ins_matricule", "ins_oid", "identity_status",
        "collection_method", "document_type", "document_high_trust", "document_checked_on", "insi_called_at",
        "insi_result", "insi_verified", "comment_codes", "merged_into",
    )
    autocomplete_fields = ("user",)
    list_per_page = 50
    fieldsets = (
        (_("Traits stricts"), {"fields": ("birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee")}),
        (_("Traits complémentaires"), {"fields": ("used_name", "used_first_name", "commune_insee", "city", "email", "phone")}),
        (_("INS et fiabilité (RNIV)"), {"fields": (
            "birth_date_text", "ins_matricule", "ins_oid", "identity_status", "collection_method", "document_type",
            "document_high_trust", "document_checked_on", "insi_called_at", "insi_result", "insi_verified",
            "comment_codes", "merged_into",
        )}),
        (_("Compte et suivi"), {"fields": ("user", "source", "created_at", "updated_at")}),
    )

    # --- Permission API and access trail --------------------------------------------------
    def get_queryset(self, request):
        return permissions.filter_allowed(request.user, "read", super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or permissions.can(request.user, "read", obj))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.can(request.user, "create", Patient())

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and permissions.can(request.user, "update", obj or Patient())

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and permissions.can(request.user, "delete", obj or Patient())

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and self.has_view_or_change_permission(request):
            audit.record(actor=request.user, action="search", channel="admin", object_type="identity.Patient", request=request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            patient = self.get_object(request, unquote(object_id))
            if patient is not None:
                permissions.require(request.user, "read", patient, channel="admin", request=request)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # The admin wraps this in a transaction: a refusal after the save rolls it back.
        before = {name: form.initial.get(name) for name in form.changed_data} if change else {}
        super().save_model(request, obj, form, change)
        permissions.require(request.user, "update" if change else "create", obj, channel="admin", request=request)
        services.after_admin_change(obj, before, {name: form.cleaned_data.get(name) for name in form.changed_data},
                                    actor=request.user, created=not change)

    def delete_model(self, request, obj):
        permissions.require(request.user, "delete", obj, channel="admin", request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for patient in queryset:
            permissions.require(request.user, "delete", patient, channel="admin", request=request)
        super().delete_queryset(request, queryset)
