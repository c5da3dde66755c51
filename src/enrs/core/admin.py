"""Agency back office for the service registry (the tiles of the portal)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrs.core.models import COLLEGES, Service


class ServiceAdminForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = "__all__"

    def clean_eligible_colleges(self) -> str:
        letters = "".join((self.cleaned_data.get("eligible_colleges") or "").upper().split())
        unknown = sorted(set(letters) - COLLEGES)
        if unknown:
            raise ValidationError(
                _("Collège(s) inconnu(s) : %(letters)s. Utilisez les lettres A à F, par exemple « ABCDF ».")
                % {"letters": ", ".join(unknown)}
            )
        # Canonical form: each letter once, in order.
        return "".join(sorted(set(letters)))


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ("name", "code", "audience", "eligible_colleges", "institutional", "url_name", "position", "enabled")
    list_editable = ("position", "enabled")
    list_filter = ("audience", "institutional", "enabled")
    search_fields = ("code", "name", "description")
    ordering = ("audience", "position", "name")
