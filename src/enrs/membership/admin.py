"""Back office of the membership app. Register changes go through the screens
(services); the admin reads them. Tariffs are editable with the overlap check;
issued documents are read-only (the models refuse changes anyway)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrs.membership.models import (
    AccountRequest,
    Convention,
    Document,
    DocumentLine,
    GeneralAssembly,
    Member,
    Movement,
    ServiceOrder,
    Tariff,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TariffAdminForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("effective_from"), cleaned.get("effective_until")
        if start is None:
            return cleaned
        clash = Tariff.objects.filter(
            kind=cleaned.get("kind"), category=cleaned.get("category") or "", unit=cleaned.get("unit")
        ).filter(Q(effective_until__isnull=True) | Q(effective_until__gte=start))
        if end is not None:
            clash = clash.filter(effective_from__lte=end)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Cette période chevauche un autre tarif de même nature, catégorie et unité."))
        return cleaned


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    form = TariffAdminForm
    list_display = ("label", "kind", "category", "unit", "amount", "vat_rate", "effective_from", "effective_until")
    list_filter = ("kind",)
    search_fields = ("label", "category")


@admin.register(GeneralAssembly)
class GeneralAssemblyAdmin(admin.ModelAdmin):
    list_display = ("date", "title")


class MovementInline(admin.TabularInline):
    model = Movement
    fk_name = "member"
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "date", "assembly", "old_value", "new_value", "other_member", "note", "recorded_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("name", "college", "category", "status", "applied_on", "admitted_on", "left_on")
    list_filter = ("college", "status")
    search_fields = ("name",)
    inlines = [MovementInline]


class LineInline(admin.TabularInline):
    model = DocumentLine
    extra = 0
    can_delete = False
    readonly_fields = ("position", "description", "quantity", "unit", "unit_price", "vat_rate", "amount_ht", "amount_vat", "amount_ttc")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "member", "issued_on", "total_ht", "total_vat", "total_ttc")
    list_filter = ("kind", "year")
    search_fields = ("number", "member__name")
    inlines = [LineInline]


admin.site.register([Convention, ServiceOrder, AccountRequest], ReadOnlyAdmin)
