"""Back-office for connectors: agency staff create one and see its secret once.

Creation, scope changes, deactivation and secret rotation go through
``enrs.connectors.services``; connectors are deactivated, never deleted, so
that the trail of what they did keeps its subject.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrs.connectors import services
from enrs.connectors.forms import ConnectorAdminForm
from enrs.connectors.models import Connector

SECRET_ATTRIBUTE = "_enrs_connector_secret"


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    form = ConnectorAdminForm
    list_display = ("name", "organisation", "scopes_display", "active", "client_id", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "organisation__name", "organisation__finess", "application__client_id")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("client_id", "created_by", "created_at", "updated_at")
    actions = ("rotate_secret_action", "revoke_tokens_action")

    @admin.display(description=_("portées"))
    def scopes_display(self, obj):
        return ", ".join(obj.allowed_scopes)

    @admin.display(description=_("identifiant client (client_id)"))
    def client_id(self, obj):
        return obj.application.client_id if obj.application_id else "—"

    def get_readonly_fields(self, request, obj=None):
        # The organisation is fixed once tokens may exist: moving a connector to
        # another organisation would silently re-scope the tokens already issued.
        return self.readonly_fields + (("organisation",) if obj else ())

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.update_connector(
                obj, name=obj.name, scopes=form.cleaned_data["allowed_scopes"], active=obj.active
            )
        else:
            setattr(request, SECRET_ATTRIBUTE, services.register_connector(obj, created_by=request.user))

    def response_add(self, request, obj, post_url_continue=None):
        if secret := getattr(request, SECRET_ATTRIBUTE, None):
            return self._secret_once(request, obj, secret)
        return super().response_add(request, obj, post_url_continue)

    def _secret_once(self, request, connector: Connector, secret: str):
        response = TemplateResponse(
            request,
            "connectors/admin/secret_once.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "connector": connector,
                "client_id": connector.application.client_id,
                "client_secret": secret,
                "title": _("Secret du connecteur « %(name)s »") % {"name": connector.name},
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Régénérer le secret (un seul connecteur à la fois)"))
    def rotate_secret_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Sélectionnez exactement un connecteur."), messages.ERROR)
            return None
        connector = queryset.select_related("application").get()
        return self._secret_once(request, connector, services.rotate_secret(connector))

    @admin.action(description=_("Révoquer les jetons en cours"))
    def revoke_tokens_action(self, request, queryset):
        count = sum(services.revoke_tokens(connector) for connector in queryset)
        self.message_user(request, ngettext("%(count)d jeton révoqué.", "%(count)d jetons révoqués.", count) % {"count": count})
