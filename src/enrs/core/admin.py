"""Agency back office for the service registry (the tiles of the portal)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.core import audit
from enrs.core.models import COLLEGES, AccessEvent, AuditAnchor, Service


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


# --- Access trail (read-only) ---------------------------------------------------


class ReadOnlyTrailAdmin(admin.ModelAdmin):
    """Staff may read and export the trail, never add, change or delete it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyTrailAdmin):
    list_display = (
        "sequence", "occurred_at", "actor_display", "role", "organisation_id", "patient_id",
        "object_type", "object_id", "action", "channel", "break_glass",
    )  # fmt: skip
    list_filter = ("action", "channel", "break_glass", "role", ("occurred_at", admin.DateFieldListFilter))
    search_fields = ("=patient_id", "=actor_id", "actor_display", "object_type", "=object_id", "=request_id")
    date_hierarchy = "occurred_at"
    ordering = ("-sequence",)
    actions = ["export_csv"]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is wasted work

    @admin.action(description=_("Exporter la sélection en CSV (DPO)"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="piste-acces-{stamp}.csv"'
        count = audit.write_export(queryset.order_by("sequence"), response)
        audit.record(
            actor=request.user,
            action="export",
            channel="admin",
            object_type="core.AccessEvent",
            object_id=f"admin:{count}",
            justification=_("Export DPO depuis l'administration (%(count)s lignes).") % {"count": count},
            request=request,
        )
        return response


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyTrailAdmin):
    list_display = ("id", "last_sequence", "event_count", "last_hash", "created_at")
    ordering = ("-last_sequence",)
