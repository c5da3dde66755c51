from django import forms
from django.contrib import admin

from enrs.messaging.models import RequestType, Team


class RequestTypeForm(forms.ModelForm):
    class Meta:
        model = RequestType
        fields = "__all__"

    def clean_fields(self):
        from enrs.messaging import demandes

        return demandes.validate_definition(self.cleaned_data.get("fields"))


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    """Request types are data: the agency edits their form definition here (validated, in French)."""

    form = RequestTypeForm
    list_display = ("code", "label", "due_days", "about_patient", "active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation")
    filter_horizontal = ("members",)
