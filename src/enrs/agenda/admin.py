from django.contrib import admin

from enrs.agenda.models import Absence, Agenda, Circuit, Motif, OpeningRule


class MotifInline(admin.TabularInline):
    model = Motif
    extra = 0


class RuleInline(admin.TabularInline):
    model = OpeningRule
    extra = 0


@admin.register(Agenda)
class AgendaAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation", "specialty_code", "published", "next_free_at")
    list_filter = ("kind", "published")
    search_fields = ("name", "folded_name")
    raw_id_fields = ("professional", "organisation")
    inlines = [MotifInline, RuleInline]


@admin.register(Circuit)
class CircuitAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    filter_horizontal = ("organisations",)


admin.site.register(Absence)
