"""Agency back office for patient identities (foundation subset).

Kept minimal on purpose: identity vigilance (INS, RNIV statuses, merges) will
have its own screens with the access trail; the admin only finds a patient
and fixes a trait or the account link.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.core import validators
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
    readonly_fields = ("created_at", "updated_at")
    autocomplete_fields = ("user",)
    list_per_page = 50
    fieldsets = (
        (_("Traits stricts"), {"fields": ("birth_name", "birth_first_names", "birth_date", "sex", "birth_place_insee")}),
        (_("Traits complémentaires"), {"fields": ("used_name", "used_first_name", "commune_insee", "city", "email", "phone")}),
        (_("Compte et suivi"), {"fields": ("user", "source", "created_at", "updated_at")}),
    )
