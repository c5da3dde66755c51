"""Agency back office for the directory.

Admin forms validate through ``enrs.directory.services.clean_*`` so that an
identifier typed in the back office gets the same check-digit and nomenclature
checks (and the same French messages) as an import line or an API call.
Derived fields (département, idNatPS, profession label) are computed the same
way as the upserts do and shown read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrs.core import validators
from enrs.directory import services
from enrs.directory.models import ImportRejection, ImportRun, Organisation, PracticeSituation, Professional

MAX_REJECTIONS_SHOWN = 200


class ServiceValidatedForm(forms.ModelForm):
    """Run the directory's clean function on the fields the form edits."""

    clean_function = None
    validated_fields: frozenset[str] = frozenset()

    def clean(self):
        cleaned = super().clean()
        data = {k: v for k, v in cleaned.items() if k in self.validated_fields and v not in (None, "")}
        data.update(self.required_service_fields(cleaned))
        try:
            normalised = type(self).clean_function(data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return cleaned
        for field in self.validated_fields & set(normalised) & set(cleaned):
            if normalised[field] not in (None, ""):
                cleaned[field] = normalised[field]
        self.service_cleaned = normalised
        return cleaned

    def required_service_fields(self, cleaned) -> dict:
        return {}


class OrganisationAdminForm(ServiceValidatedForm):
    clean_function = staticmethod(services.clean_organisation)
    validated_fields = frozenset(services.ORGANISATION_FIELDS | {"finess"}) - {"legal_entity", "ght", "active"}

    class Meta:
        model = Organisation
        fields = "__all__"

    def required_service_fields(self, cleaned) -> dict:
        return {"name": cleaned.get("name", "")}


class ProfessionalAdminForm(ServiceValidatedForm):
    clean_function = staticmethod(services.clean_professional)
    validated_fields = frozenset(services.PROFESSIONAL_FIELDS) - {"active", "profession_label"}

    class Meta:
        model = Professional
        fields = "__all__"

    def required_service_fields(self, cleaned) -> dict:
        return {
            "last_name": cleaned.get("last_name", ""),
            "first_name": cleaned.get("first_name", ""),
            "profession_code": cleaned.get("profession_code", ""),
        }


class PracticeSituationAdminForm(ServiceValidatedForm):
    clean_function = staticmethod(services.clean_situation)
    validated_fields = frozenset(services.SITUATION_FIELDS) - {"active"}

    class Meta:
        model = PracticeSituation
        fields = "__all__"


class EstablishmentInline(admin.TabularInline):
    model = Organisation
    fk_name = "legal_entity"
    verbose_name = _("établissement")
    verbose_name_plural = _("établissements de l'entité juridique")
    fields = ("name", "finess", "kind", "city", "active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ("name", "finess", "finess_kind", "kind", "city", "departement", "college", "active")
    list_filter = ("kind", "departement", "college", "finess_kind", "active")
    search_fields = ("name", "short_name", "finess", "siret", "city")
    readonly_fields = ("departement", "created_at", "updated_at")
    autocomplete_fields = ("legal_entity", "ght")
    inlines = [EstablishmentInline]
    list_per_page = 50
    fieldsets = (
        (_("Identification"), {"fields": ("name", "short_name", "kind", "finess", "finess_kind", "siret", "category_code", "category_label")}),
        (_("Rattachements"), {"fields": ("legal_entity", "ght", "college")}),
        (_("Adresse"), {"fields": ("address_line", "postal_code", "city", "commune_insee", "departement", "latitude", "longitude")}),
        (_("Contact"), {"fields": ("phone", "email", "mssante_address")}),
        (_("Suivi"), {"fields": ("active", "source", "created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        # Same derivation as services.upsert_organisation.
        obj.departement = validators.departement_of(obj.commune_insee) if obj.commune_insee else ""
        if not obj.finess:
            obj.finess = None  # unique and nullable: "" would collide between organisations without FINESS
        super().save_model(request, obj, form, change)


class PracticeSituationInline(admin.TabularInline):
    model = PracticeSituation
    form = PracticeSituationAdminForm
    fields = ("organisation", "role_label", "specialty_code", "specialty_label", "mode", "active")
    autocomplete_fields = ("organisation",)
    extra = 0


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    form = ProfessionalAdminForm
    list_display = ("last_name", "first_name", "profession_label", "rpps", "adeli", "user", "active")
    list_filter = ("profession_label", "active")
    search_fields = ("last_name", "first_name", "rpps", "adeli", "idnat_ps")
    readonly_fields = ("idnat_ps", "profession_label", "created_at", "updated_at")
    autocomplete_fields = ("user",)
    inlines = [PracticeSituationInline]
    list_per_page = 50
    fieldsets = (
        (_("Identité d'exercice"), {"fields": ("title", "last_name", "first_name")}),
        (_("Identifiants"), {"fields": ("rpps", "adeli", "idnat_ps")}),
        (_("Profession"), {"fields": ("profession_code", "profession_label", "category_code")}),
        (_("Contact et compte"), {"fields": ("mssante_address", "user")}),
        (_("Suivi"), {"fields": ("active", "source", "created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        # Same derivations as services.upsert_professional.
        obj.rpps = obj.rpps or None
        obj.adeli = obj.adeli or None
        obj.idnat_ps = validators.idnat_ps(rpps=obj.rpps or "", adeli=obj.adeli or "")
        obj.profession_label = form.service_cleaned["profession_label"]
        super().save_model(request, obj, form, change)


@admin.register(PracticeSituation)
class PracticeSituationAdmin(admin.ModelAdmin):
    form = PracticeSituationAdminForm
    list_display = ("professional", "organisation", "role_label", "specialty_label", "mode", "active")
    list_filter = ("mode", "active", "organisation__departement")
    search_fields = ("professional__last_name", "professional__first_name", "professional__rpps", "organisation__name", "organisation__finess")
    autocomplete_fields = ("professional", "organisation")
    list_select_related = ("professional", "organisation")
    list_per_page = 50


class ImportRejectionFormSet(forms.BaseInlineFormSet):
    def get_queryset(self):
        # A large file can have thousands of rejections: the page shows the first ones.
        return super().get_queryset()[:MAX_REJECTIONS_SHOWN]


class ImportRejectionInline(admin.TabularInline):
    model = ImportRejection
    formset = ImportRejectionFormSet
    fields = ("line_number", "field", "reason", "raw_line")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("lignes rejetées (les 200 premières)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the importers only."""

    list_display = ("created_at", "kind", "file_name", "status", "total_lines", "created_count", "updated_count", "rejected_count")
    list_filter = ("kind", "status")
    search_fields = ("file_name", "file_sha256")
    date_hierarchy = "created_at"
    inlines = [ImportRejectionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
